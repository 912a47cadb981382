using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>sessionid4 (16 opaque bytes) as two integers, both from a CSPRNG: nothing in it can be guessed from another id.</summary>
internal readonly record struct SessionId(ulong High, ulong Low)
{
    public void Write(Span<byte> destination)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    public static SessionId Read(ReadOnlySpan<byte> source) => new(
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(source),
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(source[8..]));
}

/// <summary>RFC 8881 §18.36 channel_attrs4 (without RDMA).</summary>
internal record struct ChannelAttrs(uint HeaderPadSize, uint MaxRequestSize, uint MaxResponseSize, uint MaxResponseSizeCached, uint MaxOperations, uint MaxRequests);

/// <summary>One client (RFC 8881 §2.4): an EXCHANGE_ID owner with its lease, sessions and state.</summary>
internal sealed class ClientRecord
{
    public required ulong Id { get; init; }
    public required byte[] OwnerId { get; init; }
    public required ulong Verifier { get; init; }
    /// <summary>The principal of the EXCHANGE_ID that made the record: the only one that may confirm, use or destroy it.</summary>
    public required Principal Principal { get; init; }
    /// <summary>The owner as the persisted owners file and the by-owner index spell it (hex).</summary>
    public required string OwnerKey { get; init; }
    public bool Confirmed;
    /// <summary>The CREATE_SESSION "slot" of the client (§18.36.4): last sequenceid seen and its cached reply.</summary>
    public uint CreateSessionSeq;
    public Nfs4Status CreateSessionStatus;
    public byte[]? CreateSessionReply;
    public long LastRenewed = Environment.TickCount64;
    public bool ReclaimComplete;
    public readonly List<Session> Sessions = [];
    public readonly HashSet<StateObject> States = [];
    /// <summary>Compounds of this client in progress: a busy client's lease does not expire under it.</summary>
    public int Busy;
    /// <summary>Past its lease but kept with its state until another client's request conflicts with it (courteous server).</summary>
    public bool Courtesy;
    /// <summary>Delegations revoked and not yet freed (SEQ4_STATUS_RECALLABLE_STATE_REVOKED while not 0).</summary>
    public int RevokedDelegations;
    /// <summary>An NFSv4.0 client (SETCLIENTID): no sessions, seqids per owner (Nfs4State.V40.cs); null for 4.1.</summary>
    public V40Client? V40;
}

/// <summary>One slot of a session's fore channel (§2.10.6.1): the last seqid and the reply it got.</summary>
internal sealed class Slot
{
    public uint Seqid;
    public bool InUse;
    public byte[] Cache = [];
    /// <summary>Length of the cached reply; -1 when the last reply was not cached.</summary>
    public int CacheLength = -1;
}

internal sealed class Session
{
    public required SessionId Id { get; init; }
    public required ClientRecord Client { get; init; }
    public required Slot[] Slots { get; init; }
    public required ChannelAttrs Fore { get; init; }
    public required ChannelAttrs Back { get; init; }
    public uint CallbackProgram;
    /// <summary>The minor version (1 or 2) of the client's compounds on this session; CB_COMPOUNDs use the same.</summary>
    public uint Minor = 1;
    /// <summary>Bytes of the server-wide reply cache budget this session holds (slots × cached reply size).</summary>
    public long Reserved;
    /// <summary>The connection the back channel runs on (CREATE_SESSION with CONN_BACK_CHAN, BIND_CONN_TO_SESSION); null: none.</summary>
    public Rpc.IRpcConnection? BackConnection;
    /// <summary>The credential callbacks carry (csa_sec_parms / BACKCHANNEL_CTL); null when none we can send was offered.</summary>
    public CallbackSecurity? CallbackSecurity;
    public BackChannelState BackState;
    /// <summary>Back channel slot 0: the next csa_sequenceid; one callback at a time (taken by the sender, never under the state lock).</summary>
    public uint CallbackSequence = 1;
    public readonly SemaphoreSlim CallbackSlot = new(1, 1);

    /// <summary>Can the server call back now?</summary>
    public bool BackChannelUp => BackState == BackChannelState.Up && BackConnection is { IsClosed: false } && CallbackSecurity is not null;
}

/// <summary>What the server knows of a session's back channel: none asked for, being probed (CB_NULL), answering, or not answering.</summary>
internal enum BackChannelState : byte { None, Probing, Up, Down }

/// <summary>callback_sec_parms4 we can send (RFC 8881 §18.36): AUTH_NONE, or AUTH_SYS with its authsys_parms as sent (the credential body).</summary>
internal sealed record CallbackSecurity(uint Flavor, byte[] Body);

internal enum StateKind : byte { Open, Lock, Delegation }

/// <summary>An open or lock stateid's state.</summary>
internal abstract class StateObject
{
    public required ulong Id { get; init; }
    public required ClientRecord Client { get; init; }
    public required FileId File { get; init; }
    public uint Seqid = 1;
    public abstract StateKind Kind { get; }
}

internal sealed class OpenState : StateObject
{
    public required byte[] Owner { get; init; }
    public uint Access;
    public uint Deny;
    public readonly List<LockState> Locks = [];
    public override StateKind Kind => StateKind.Open;
}

internal sealed class LockState : StateObject
{
    public required OpenState Open { get; init; }
    public required byte[] LockOwner { get; init; }
    public override StateKind Kind => StateKind.Lock;

    public bool SameOwner(ulong clientId, ReadOnlySpan<byte> owner) => Client.Id == clientId && LockOwner.AsSpan().SequenceEqual(owner);
}

/// <summary>
/// A read or write delegation (RFC 8881 §10.2, §10.4): the client may cache the file and open it
/// locally (a write delegation: also write it, cache its size and change) until it is recalled.
/// Recalled once a conflicting request comes (<see cref="RecallSent"/>);
/// revoked when not returned within a lease (it then stays, as DELEG_REVOKED, until FREE_STATEID).
/// </summary>
internal sealed class DelegationState : StateObject
{
    /// <summary>When CB_RECALL was started (Environment.TickCount64); 0 = not recalled.</summary>
    public long RecallSent;
    /// <summary>The client answered the CB_RECALL (else it is sent again once a back channel of the client answers a probe).</summary>
    public bool RecallDelivered;
    public bool Revoked;
    /// <summary>OPEN_DELEGATE_WRITE: any other client's access conflicts, not only changes.</summary>
    public bool Write;
    public override StateKind Kind => StateKind.Delegation;
}
