using System.Buffers.Binary;
using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>One decoded COMPOUND4res: status, tag, and the (op, status) of each result with a reader positioned after the last one read.</summary>
public sealed class CompoundReply
{
    public required byte[] Record { get; init; }
    public required Nfs4Status Status { get; init; }
    public required int Count { get; init; }
    public required XdrReaderBox Reader { get; init; }

    /// <summary>Reads the next resop header: its op number and status.</summary>
    public (uint Op, Nfs4Status Status) Next() => (Reader.UInt32(), (Nfs4Status)Reader.Int32());
}

/// <summary>
/// A raw NFSv4.1 client over <see cref="RpcClient"/>: builds COMPOUNDs from the server's own
/// argument types (Protocol/Nfs4/Types), with a session when asked. Tests that need bytes the
/// types refuse to make (bad lengths, unknown discriminants) write them by hand.
/// </summary>
public sealed partial class Nfs4TestClient : IDisposable
{
    private const uint Program = 100003;

    public Nfs4TestClient(int port, bool connect = true)
    {
        _rpc = connect ? new RpcClient(port) : null;
    }

    private readonly RpcClient? _rpc;

    public RpcClient Rpc => _rpc ?? throw new InvalidOperationException("not connected");
    public ulong ClientId { get; private set; }
    /// <summary>The sequenceid of the last CREATE_SESSION <see cref="Establish"/> sent.</summary>
    public uint CreateSessionSeq { get; private set; }
    public byte[] SessionId { get; private set; } = [];
    public uint[] SlotSeq { get; } = new uint[64];

    /// <summary>Builds the call bytes of a COMPOUND (for replays).</summary>
    public byte[] BuildCompound(uint xid, uint minor, int opCount, Action<XdrWriterBox> ops, string tag = "t")
    {
        Action<XdrWriterBox> args = box =>
        {
            box.String(tag);
            box.UInt32(minor);
            box.UInt32((uint)opCount);
            ops(box);
        };
        if (_rpc is not null) return _rpc.BuildCall(xid, Program, 4, 1, args);
        // Offline (in-process tests): AUTH_SYS root.
        var call = new XdrWriterBox();
        foreach (uint v in new uint[] { xid, 0, 2, Program, 4, 1, 1 }) call.UInt32(v);
        var cred = new XdrWriterBox();
        cred.UInt32(0);
        cred.String("test");
        cred.UInt32(0);
        cred.UInt32(0);
        cred.UInt32(0);
        call.Opaque(cred.Bytes);
        call.UInt32(0);
        call.UInt32(0);
        args(call);
        return call.Bytes.ToArray();
    }

    /// <summary>Uses a session made elsewhere (offline tests).</summary>
    public void UseSession(byte[] sessionId)
    {
        SessionId = sessionId;
        Array.Clear(SlotSeq);
    }

    public static CompoundReply Parse(byte[] record)
    {
        RpcReply reply = RpcReply.Parse(record);
        Assert.True(reply.Accepted);
        Assert.Equal(0, reply.Status);
        XdrReaderBox reader = reply.Reader();
        var status = (Nfs4Status)reader.Int32();
        _ = reader.Opaque();
        int count = (int)reader.UInt32();
        return new CompoundReply { Record = record, Status = status, Count = count, Reader = reader };
    }

    public CompoundReply Compound(int opCount, Action<XdrWriterBox> ops, uint minor = 1)
    {
        byte[] call = BuildCompound(NextXid(), minor, opCount, ops);
        Rpc.SendRecord(call);
        return Parse(Rpc.ReceiveRecord());
    }

    private uint _xid = (uint)Random.Shared.Next(1, 1 << 30);

    public uint NextXid() => ++_xid;

    public static void ExchangeIdArgs(XdrWriterBox b, string owner, ulong verifier = 1)
    {
        b.UInt32((uint)Nfs4Op.ExchangeId);
        b.Write(new ExchangeId4Args
        {
            ClientOwner = new ClientOwner4 { Verifier = verifier, OwnerId = Encoding.UTF8.GetBytes(owner) },
            Flags = 0,
            StateProtect = new StateProtect4A { How = Nfs4Const.Sp4None },
            ClientImplId = [],
        });
    }

    public static void ChannelAttrs(XdrWriterBox b, uint maxOps, uint slots, uint cached = 8192) => b.Write(Channel(maxOps, slots, cached));

    /// <summary>Fore-channel attributes as Linux asks for them: a 1 MiB WRITE or READ plus its headers fits (SEQUENCE enforces the sizes).</summary>
    internal static ChannelAttrs4 Channel(uint maxOps, uint slots, uint cached = 8192) => new()
    {
        HeaderPadSize = 0,
        MaxRequestSize = (1 << 20) + (64 << 10),
        MaxResponseSize = (1 << 20) + (64 << 10),
        MaxResponseSizeCached = cached,
        MaxOperations = maxOps,
        MaxRequests = slots,
        RdmaIrd = [],
    };

    /// <summary>sessionid4 as the 16 bytes tests compare and send raw.</summary>
    internal static byte[] Bytes(SessionId4 id)
    {
        byte[] bytes = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, id.High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), id.Low);
        return bytes;
    }

    internal static SessionId4 Id(byte[] bytes) => new()
    {
        High = BinaryPrimitives.ReadUInt64BigEndian(bytes),
        Low = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(8)),
    };

    /// <summary>EXCHANGE_ID then CREATE_SESSION; afterwards <see cref="Sequence"/> can start compounds.</summary>
    public void Establish(string owner, uint maxOps = 16, uint slots = 4, ulong verifier = 1, bool backChannel = true)
    {
        CompoundReply ex = Compound(1, b => ExchangeIdArgs(b, owner, verifier));
        Assert.Equal(Nfs4Status.Ok, ex.Status);
        Assert.Equal(((uint)Nfs4Op.ExchangeId, Nfs4Status.Ok), ex.Next());
        ExchangeId4ResOk exchanged = ex.Reader.Decode<ExchangeId4ResOk>();
        ClientId = exchanged.ClientId;
        uint seq = exchanged.SequenceId;
        CreateSessionSeq = seq;

        CompoundReply cs = Compound(1, b => CreateSessionArgs(b, ClientId, seq, maxOps, slots, backChannel: backChannel));
        Assert.Equal(Nfs4Status.Ok, cs.Status);
        Assert.Equal(((uint)Nfs4Op.CreateSession, Nfs4Status.Ok), cs.Next());
        SessionId = Bytes(cs.Reader.Decode<CreateSession4ResOk>().SessionId);
        Array.Clear(SlotSeq);
    }

    public static void CreateSessionArgs(XdrWriterBox b, ulong clientId, uint seq, uint maxOps = 16, uint slots = 4, uint cached = 8192, bool backChannel = true)
    {
        b.UInt32((uint)Nfs4Op.CreateSession);
        b.Write(new CreateSession4Args
        {
            ClientId = clientId,
            Sequence = seq,
            Flags = backChannel ? Nfs4Const.CreateSessionConnBackChan : 0,
            ForeChanAttrs = Channel(maxOps, slots, cached),
            BackChanAttrs = Channel(2, 1),
            CbProgram = 0x40000000,
            SecParms = [new CallbackSecParms4 { Flavor = Nfs4Const.AuthNone }],
        });
    }

    /// <summary>SEQUENCE on <paramref name="slot"/> with the next seqid (or <paramref name="seqid"/>).</summary>
    public void Sequence(XdrWriterBox b, uint slot = 0, uint? seqid = null, bool cacheThis = true)
    {
        b.UInt32((uint)Nfs4Op.Sequence);
        b.Write(new Sequence4Args
        {
            SessionId = Id(SessionId),
            SequenceId = seqid ?? ++SlotSeq[slot],
            SlotId = slot,
            HighestSlotId = slot,
            CacheThis = cacheThis,
        });
    }

    public static void Op(XdrWriterBox b, Nfs4Op op) => b.UInt32((uint)op);

    public static void Lookup(XdrWriterBox b, string name)
    {
        b.UInt32((uint)Nfs4Op.Lookup);
        b.Write(new Lookup4Args { ObjName = Encoding.UTF8.GetBytes(name) });
    }

    public static void PutFh(XdrWriterBox b, byte[] handle)
    {
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Write(new PutFh4Args { Object = new NfsFh4 { Data = handle } });
    }

    /// <summary>The next CALL the server sent on this connection's back channel, its header read.</summary>
    public Callback ReceiveCallback()
    {
        byte[] record = Rpc.ReceiveCall();
        var r = new XdrReaderBox(record);
        uint xid = r.UInt32();
        Assert.Equal(0u, r.UInt32()); // CALL
        Assert.Equal(2u, r.UInt32());
        uint program = r.UInt32();
        uint version = r.UInt32();
        uint procedure = r.UInt32();
        uint flavor = r.UInt32();
        byte[] credential = r.Opaque();
        _ = r.UInt32();
        _ = r.Opaque();
        return new Callback(xid, program, version, procedure, flavor, credential, r);
    }

    /// <summary>Answers a callback: SUCCESS with these results (none for CB_NULL).</summary>
    public void ReplyToCallback(uint xid, Action<XdrWriterBox>? results = null)
    {
        var b = new XdrWriterBox();
        b.UInt32(xid);
        b.UInt32(1); // REPLY
        b.UInt32(0); // MSG_ACCEPTED
        b.UInt32(0); // verifier AUTH_NONE
        b.UInt32(0);
        b.UInt32(0); // SUCCESS
        results?.Invoke(b);
        Rpc.SendRecord(b.Bytes);
    }

    /// <summary>Answers the CB_NULL probe the server sends after CREATE_SESSION with a back channel.</summary>
    public void AnswerProbe()
    {
        Callback probe = ReceiveCallback();
        Assert.Equal(0x40000000u, probe.Program);
        Assert.Equal(0u, probe.Procedure);
        ReplyToCallback(probe.Xid);
    }

    /// <summary>
    /// Reads a CB_COMPOUND of CB_SEQUENCE + CB_RECALL and (when <paramref name="answer"/>) answers both with NFS4_OK.
    /// </summary>
    public Recall ReceiveRecall(bool answer = true)
    {
        Callback cb = ReceiveCallback();
        Assert.Equal(1u, cb.Procedure);
        XdrReaderBox r = cb.Args;
        _ = r.Opaque();                 // tag
        Assert.Equal(1u, r.UInt32());   // minorversion
        _ = r.UInt32();                 // callback_ident
        Assert.Equal(2u, r.UInt32());
        Assert.Equal(11u, r.UInt32());  // CB_SEQUENCE
        byte[] session = r.Raw(16);
        uint sequence = r.UInt32();
        uint slot = r.UInt32();
        _ = r.UInt32();
        _ = r.Bool();
        Assert.Equal(0u, r.UInt32());   // referring call lists
        Assert.Equal(4u, r.UInt32());   // CB_RECALL
        byte[] stateid = r.Raw(16);
        bool truncate = r.Bool();
        byte[] fh = r.Opaque();
        if (answer)
        {
            ReplyToCallback(cb.Xid, b =>
            {
                b.UInt32(0);
                b.Opaque([]);
                b.UInt32(2);
                b.UInt32(11);
                b.UInt32(0);
                b.Raw(session);
                b.UInt32(sequence);
                b.UInt32(slot);
                b.UInt32(0);
                b.UInt32(0);
                b.UInt32(4);
                b.UInt32(0);
            });
        }
        return new Recall(session, sequence, stateid, truncate, fh);
    }

    public void Dispose() => _rpc?.Dispose();
}

/// <summary>A CALL from the server: header fields and a reader at its arguments.</summary>
public sealed record Callback(uint Xid, uint Program, uint Version, uint Procedure, uint Flavor, byte[] Credential, XdrReaderBox Args);

/// <summary>What a CB_SEQUENCE + CB_RECALL carried.</summary>
public sealed record Recall(byte[] SessionId, uint Sequence, byte[] Stateid, bool Truncate, byte[] Fh);
