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
    /// <summary>Bytes of the server-wide reply cache budget this session holds (slots × cached reply size).</summary>
    public long Reserved;
}

internal enum StateKind : byte { Open, Lock }

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

/// <summary>A byte range [Start, End) held by a lock owner.</summary>
internal sealed class LockRange
{
    public required LockState Owner;
    public ulong Start;
    /// <summary>Exclusive end; ulong.MaxValue means to the end of the file.</summary>
    public ulong End;
    public bool Write;
}
