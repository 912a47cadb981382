using System.Buffers;
using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Xdr;

namespace DittoFs.LoadGen;

/// <summary>
/// NFSv4.1 (RFC 8881) with one client id and one session per connection, slot 0: every request
/// is one COMPOUND that starts with SEQUENCE, with the ops the Linux client sends for the same call.
/// Arguments and results go through the server's own generated codecs (Protocol/Nfs4/Types).
/// </summary>
public sealed class Nfs41Client : NfsClient
{
    private const uint Program = 100003;
    private const uint ShareRead = 1, ShareBoth = 3;
    // GETATTR as after OPEN / LOOKUP: type, change, size, fsid, fileid | mode, numlinks, owner, owner_group, space_used, times.
    private const uint AttrWord0 = (1u << 1) | (1u << 3) | (1u << 4) | (1u << 8) | (1u << 20);
    private const uint AttrWord1 = (1u << (33 - 32)) | (1u << (35 - 32)) | (1u << (36 - 32)) | (1u << (37 - 32))
        | (1u << (45 - 32)) | (1u << (47 - 32)) | (1u << (52 - 32)) | (1u << (53 - 32));

    private readonly RpcConnection _rpc;
    private readonly string _export;
    private readonly byte[] _ownerId;
    private readonly byte[] _openOwner;
    private SessionId4 _sessionId;
    private ulong _clientId;
    private uint _seq;
    private byte[] _root = [];

    public Nfs41Client(string host, int port, string export, string ownerSuffix)
    {
        _rpc = new RpcConnection(host, port);
        _export = export;
        _ownerId = Encoding.UTF8.GetBytes($"dittofs-loadgen/{Environment.MachineName}/{Environment.ProcessId}/{ownerSuffix}/{Guid.NewGuid():N}");
        _openOwner = Encoding.UTF8.GetBytes("open-" + ownerSuffix);
    }

    public override byte[] Root => _root;

    // ---- call plumbing ----------------------------------------------------------------------

    private XdrWriter Begin(int ops)
    {
        var w = new XdrWriter(_rpc.Begin(Program, 4, 1));
        w.WriteUInt32(0);                 // tag ""
        w.WriteUInt32(1);                 // minorversion
        w.WriteUInt32((uint)ops);
        return w;
    }

    /// <summary>Begins a COMPOUND of SEQUENCE + <paramref name="ops"/> more ops.</summary>
    private XdrWriter BeginSeq(int ops)
    {
        XdrWriter w = Begin(ops + 1);
        Op(ref w, Nfs4Op.Sequence, new Sequence4Args { SessionId = _sessionId, SequenceId = ++_seq, SlotId = 0, HighestSlotId = 0, CacheThis = false });
        return w;
    }

    /// <summary>
    /// Sends the COMPOUND and reads its header and the SEQUENCE result. False when the server
    /// answered NFS4ERR_DELAY (the caller rebuilds and resends); throws on any other error.
    /// </summary>
    private bool Send(scoped ref XdrWriter w, string name, scoped ref int attempt, bool sequenced, out XdrReader r)
    {
        w.Flush();
        r = new XdrReader(_rpc.Call());
        int status = r.ReadInt32();
        _ = r.ReadOpaque(1024);           // tag
        int count = (int)r.ReadUInt32();
        if (sequenced)
        {
            if (count < 1) throw new NfsException(name + " (no SEQUENCE result)", status);
            _ = r.ReadUInt32();
            int seqStatus = r.ReadInt32();
            if (seqStatus != 0)
            {
                _seq--;                   // a failed SEQUENCE does not use the slot's seqid
                status = seqStatus;
            }
            else
            {
                _ = Sequence4ResOk.Decode(ref r);
            }
        }
        if (status == 0) return true;
        if (status == Delay) { Backoff(name, ref attempt); return false; }
        throw new NfsException(name, status);
    }

    private static void Expect(ref XdrReader r, Nfs4Op op)
    {
        uint got = r.ReadUInt32();
        int status = r.ReadInt32();
        if (got != (uint)op || status != 0) throw new NfsException($"{op} result: op {got} status {status}", status);
    }

    /// <summary>One nfs_argop4: the op number and its arguments.</summary>
    private static void Op<T>(ref XdrWriter w, Nfs4Op op, T args) where T : IXdrCodec<T>
    {
        w.WriteUInt32((uint)op);
        args.Encode(ref w);
    }

    /// <summary>One nfs_resop4 that must be OK, and its result.</summary>
    private static T Result<T>(ref XdrReader r, Nfs4Op op) where T : IXdrCodec<T>
    {
        Expect(ref r, op);
        return T.Decode(ref r);
    }

    private static void PutFh(ref XdrWriter w, byte[] fh) => Op(ref w, Nfs4Op.PutFh, new PutFh4Args { Object = new NfsFh4 { Data = fh } });

    private static void GetAttr(ref XdrWriter w) =>
        Op(ref w, Nfs4Op.GetAttr, new GetAttr4Args { AttrRequest = new Bitmap4(AttrWord0, AttrWord1, 0) });

    /// <summary>Reads a GETATTR result and returns the size attribute (0 when absent).</summary>
    private static ulong ReadGetAttrSize(ref XdrReader r)
    {
        Fattr4 attrs = GetAttr4ResOk.Decode(ref r).ObjAttributes;
        uint w0 = attrs.AttrMask.W0;
        var a = new XdrReader(attrs.AttrVals);
        if ((w0 & (1u << 1)) != 0) a.Skip(4);     // type
        if ((w0 & (1u << 3)) != 0) a.Skip(8);     // change
        return (w0 & (1u << 4)) != 0 ? a.ReadUInt64() : 0;
    }

    private static byte[] Handle(ref XdrReader r) => Result<GetFh4ResOk>(ref r, Nfs4Op.GetFh).Object.Data.ToArray();

    /// <summary>A stateid as FileRef keeps it: its 16 XDR bytes.</summary>
    private static byte[] Bytes(Stateid4 stateid)
    {
        var buffer = new ArrayBufferWriter<byte>(Stateid4.Size);
        var w = new XdrWriter(buffer);
        stateid.Encode(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static Stateid4 StateidOf(byte[]? bytes)
    {
        if (bytes is null) return default; // the anonymous stateid
        var r = new XdrReader(bytes);
        return Stateid4.Decode(ref r);
    }

    // ---- session ----------------------------------------------------------------------------

    public override void Connect()
    {
        int attempt = 0;
        XdrReader r;
        uint csSeq;
        do
        {
            XdrWriter w = Begin(1);
            Op(ref w, Nfs4Op.ExchangeId, new ExchangeId4Args
            {
                ClientOwner = new ClientOwner4 { Verifier = (ulong)Environment.TickCount64, OwnerId = _ownerId },
                Flags = 0,
                StateProtect = new StateProtect4A { How = Nfs4Const.Sp4None },
            });
            if (!Send(ref w, "EXCHANGE_ID", ref attempt, false, out r)) continue;
            ExchangeId4ResOk exchanged = Result<ExchangeId4ResOk>(ref r, Nfs4Op.ExchangeId);
            _clientId = exchanged.ClientId;
            csSeq = exchanged.SequenceId;
            break;
        } while (true);

        attempt = 0;
        do
        {
            XdrWriter w = Begin(1);
            Op(ref w, Nfs4Op.CreateSession, new CreateSession4Args
            {
                ClientId = _clientId,
                Sequence = csSeq,
                Flags = 0,                                  // no persist, no back channel
                ForeChanAttrs = ChannelAttrs((1 << 20) + 8192, (1 << 20) + 8192, 16, 1),
                BackChanAttrs = ChannelAttrs(8192, 8192, 2, 1),
                CbProgram = 0x40000000,
                SecParms = s_authNone,                      // AUTH_NONE for callbacks
            });
            if (!Send(ref w, "CREATE_SESSION", ref attempt, false, out r)) continue;
            _sessionId = Result<CreateSession4ResOk>(ref r, Nfs4Op.CreateSession).SessionId;
            break;
        } while (true);
        _seq = 0;

        attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(1);
            Op(ref w, Nfs4Op.ReclaimComplete, new ReclaimComplete4Args { OneFs = false });
            try
            {
                if (Send(ref w, "RECLAIM_COMPLETE", ref attempt, true, out _)) break;
            }
            catch (NfsException e) when (e.Status == (int)Nfs4Status.CompleteAlready) { break; }
        }

        string[] parts = _export.Split('/', StringSplitOptions.RemoveEmptyEntries);
        attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(2 + parts.Length);
            w.WriteUInt32((uint)Nfs4Op.PutRootFh);
            foreach (string p in parts) Op(ref w, Nfs4Op.Lookup, new Lookup4Args { ObjName = Encoding.UTF8.GetBytes(p) });
            w.WriteUInt32((uint)Nfs4Op.GetFh);
            if (!Send(ref w, "PUTROOTFH LOOKUP " + _export, ref attempt, true, out r)) continue;
            Expect(ref r, Nfs4Op.PutRootFh);
            for (int i = 0; i < parts.Length; i++) Expect(ref r, Nfs4Op.Lookup);
            _root = Handle(ref r);
            break;
        }
    }

    private static readonly CallbackSecParms4[] s_authNone = [new CallbackSecParms4 { Flavor = Nfs4Const.AuthNone }];

    private static ChannelAttrs4 ChannelAttrs(uint maxReq, uint maxResp, uint maxOps, uint slots) => new()
    {
        HeaderPadSize = 0,
        MaxRequestSize = maxReq,
        MaxResponseSize = maxResp,
        MaxResponseSizeCached = 8192,
        MaxOperations = maxOps,
        MaxRequests = slots,
        // no rdma ird
    };

    // ---- operations ---------------------------------------------------------------------------

    public override byte[] MkDir(byte[] dir, byte[] name)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(3);
            PutFh(ref w, dir);
            Op(ref w, Nfs4Op.Create, new Create4Args
            {
                ObjType = new CreateType4 { Type = Nfs4Const.Nf4Dir },
                ObjName = name,
                CreateAttrs = ModeAttrs(0x1ED),
            });
            w.WriteUInt32((uint)Nfs4Op.GetFh);
            XdrReader r;
            try
            {
                if (!Send(ref w, "CREATE dir", ref attempt, true, out r)) continue;
            }
            catch (NfsException e) when (e.Status == (int)Nfs4Status.Exist)
            {
                return LookupFh(dir, name);
            }
            Expect(ref r, Nfs4Op.PutFh);
            _ = Result<Create4ResOk>(ref r, Nfs4Op.Create);
            return Handle(ref r);
        }
    }

    private byte[] LookupFh(byte[] dir, byte[] name)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(3);
            PutFh(ref w, dir);
            Op(ref w, Nfs4Op.Lookup, new Lookup4Args { ObjName = name });
            w.WriteUInt32((uint)Nfs4Op.GetFh);
            if (!Send(ref w, "LOOKUP", ref attempt, true, out XdrReader r)) continue;
            Expect(ref r, Nfs4Op.PutFh);
            Expect(ref r, Nfs4Op.Lookup);
            return Handle(ref r);
        }
    }

    /// <summary>fattr4 with the mode (attr 33) alone.</summary>
    private static Fattr4 ModeAttrs(uint mode)
    {
        byte[] value = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(value, mode);
        return new Fattr4 { AttrMask = new Bitmap4(0, 1u << 1, 0), AttrVals = new ReadOnlySequence<byte>(value) };
    }

    public override FileRef Create(byte[] dir, byte[] name) => OpenCore(dir, name, ShareBoth, create: true);

    public override FileRef Open(byte[] dir, byte[] name, bool write) => OpenCore(dir, name, write ? ShareBoth : ShareRead, create: false);

    private FileRef OpenCore(byte[] dir, byte[] name, uint access, bool create)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(4);
            PutFh(ref w, dir);
            Op(ref w, Nfs4Op.Open, new Open4Args
            {
                Seqid = 0,                // ignored in 4.1
                ShareAccess = access,
                ShareDeny = 0,
                Owner = new StateOwner4 { ClientId = _clientId, Owner = _openOwner },
                OpenHow = create
                    ? new OpenFlag4 { OpenType = Nfs4Const.OpenCreate, How = new CreateHow4 { Mode = Nfs4Const.Unchecked4, CreateAttrs = ModeAttrs(0x1A4) } }
                    : new OpenFlag4 { OpenType = Nfs4Const.OpenNoCreate },
                Claim = new OpenClaim4 { Claim = Nfs4Const.ClaimNull, File = name },
            });
            w.WriteUInt32((uint)Nfs4Op.GetFh);
            GetAttr(ref w);
            if (!Send(ref w, create ? "OPEN create" : "OPEN", ref attempt, true, out XdrReader r)) continue;
            Expect(ref r, Nfs4Op.PutFh);
            // The whole OPEN4resok, a delegation included (we never use one, but must step over it).
            Stateid4 stateid = Result<Open4ResOk>(ref r, Nfs4Op.Open).Stateid;
            byte[] fh = Handle(ref r);
            return new FileRef(fh, Bytes(stateid));
        }
    }

    public override void Close(FileRef file)
    {
        if (file.Stateid is null) return;
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(2);
            PutFh(ref w, file.Handle);
            Op(ref w, Nfs4Op.Close, new Close4Args { Seqid = 0, OpenStateid = StateidOf(file.Stateid) });
            if (!Send(ref w, "CLOSE", ref attempt, true, out _)) continue;
            file.Stateid = null;
            return;
        }
    }

    public override void Write(FileRef file, ulong offset, ReadOnlyMemory<byte> data)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(2);
            PutFh(ref w, file.Handle);
            Op(ref w, Nfs4Op.Write, new Write4Args
            {
                Stateid = StateidOf(file.Stateid),
                Offset = offset,
                Stable = Nfs4Const.Unstable4,
                Data = new ReadOnlySequence<byte>(data),
            });
            if (!Send(ref w, "WRITE", ref attempt, true, out XdrReader r)) continue;
            Expect(ref r, Nfs4Op.PutFh);
            uint count = Result<Write4ResOk>(ref r, Nfs4Op.Write).Count;
            if (count != data.Length) throw new NfsException($"WRITE short ({count} of {data.Length})", -1);
            return;
        }
    }

    public override int Read(FileRef file, ulong offset, Span<byte> into)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(2);
            PutFh(ref w, file.Handle);
            Op(ref w, Nfs4Op.Read, new Read4Args { Stateid = StateidOf(file.Stateid), Offset = offset, Count = (uint)into.Length });
            if (!Send(ref w, "READ", ref attempt, true, out XdrReader r)) continue;
            Expect(ref r, Nfs4Op.PutFh);
            ReadOnlyMemory<byte> data = Result<Read4ResOk>(ref r, Nfs4Op.Read).Data;
            if (data.Length > into.Length) throw new NfsException($"READ long ({data.Length} of {into.Length})", -1);
            data.Span.CopyTo(into);
            return data.Length;
        }
    }

    public override void Commit(FileRef file)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(2);
            PutFh(ref w, file.Handle);
            Op(ref w, Nfs4Op.Commit, new Commit4Args { Offset = 0, Count = 0 });
            if (Send(ref w, "COMMIT", ref attempt, true, out _)) return;
        }
    }

    public override ulong Stat(byte[] dir, byte[] name)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(3);
            PutFh(ref w, dir);
            Op(ref w, Nfs4Op.Lookup, new Lookup4Args { ObjName = name });
            GetAttr(ref w);
            if (!Send(ref w, "LOOKUP GETATTR", ref attempt, true, out XdrReader r)) continue;
            Expect(ref r, Nfs4Op.PutFh);
            Expect(ref r, Nfs4Op.Lookup);
            Expect(ref r, Nfs4Op.GetAttr);
            return ReadGetAttrSize(ref r);
        }
    }

    public override void Remove(byte[] dir, byte[] name)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(2);
            PutFh(ref w, dir);
            Op(ref w, Nfs4Op.Remove, new Remove4Args { Target = name });
            if (Send(ref w, "REMOVE", ref attempt, true, out _)) return;
        }
    }

    public override void RmDir(byte[] dir, byte[] name) => Remove(dir, name);

    public override void Dispose()
    {
        try
        {
            int attempt = 0;
            XdrWriter w = Begin(1);
            Op(ref w, Nfs4Op.DestroySession, new DestroySession4Args { SessionId = _sessionId });
            Send(ref w, "DESTROY_SESSION", ref attempt, false, out _);
            w = Begin(1);
            Op(ref w, Nfs4Op.DestroyClientId, new DestroyClientId4Args { ClientId = _clientId });
            Send(ref w, "DESTROY_CLIENTID", ref attempt, false, out _);
        }
        catch (Exception e) when (e is NfsException or RpcException or IOException or System.Net.Sockets.SocketException) { }
        _rpc.Dispose();
    }
}
