using System.Buffers;
using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Xdr;

namespace DittoFs.LoadGen;

/// <summary>
/// NFSv4.1 (RFC 8881) with one client id and one session per connection, slot 0: every request
/// is one COMPOUND that starts with SEQUENCE, with the ops the Linux client sends for the same call.
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
    private readonly byte[] _sessionId = new byte[16];
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
        w.WriteUInt32((uint)Nfs4Op.Sequence);
        w.WriteFixedOpaque(_sessionId);
        w.WriteUInt32(++_seq);
        w.WriteUInt32(0);                 // slot
        w.WriteUInt32(0);                 // highest slot
        w.WriteBool(false);               // cachethis
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
                r.Skip(16 + 20);          // sessionid, seqid, slotid, highest, target, status flags
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

    private static void PutFh(ref XdrWriter w, byte[] fh)
    {
        w.WriteUInt32((uint)Nfs4Op.PutFh);
        w.WriteOpaque(fh);
    }

    private static void GetAttr(ref XdrWriter w)
    {
        w.WriteUInt32((uint)Nfs4Op.GetAttr);
        w.WriteUInt32(2);
        w.WriteUInt32(AttrWord0);
        w.WriteUInt32(AttrWord1);
    }

    /// <summary>Reads a GETATTR result and returns the size attribute (0 when absent).</summary>
    private static ulong ReadGetAttrSize(ref XdrReader r)
    {
        int words = r.ReadArrayLength(16);
        uint w0 = 0;
        for (int i = 0; i < words; i++) { uint v = r.ReadUInt32(); if (i == 0) w0 = v; }
        ReadOnlySequence<byte> attrs = r.ReadOpaque();
        var a = new XdrReader(attrs);
        if ((w0 & (1u << 1)) != 0) a.Skip(4);     // type
        if ((w0 & (1u << 3)) != 0) a.Skip(8);     // change
        return (w0 & (1u << 4)) != 0 ? a.ReadUInt64() : 0;
    }

    private static void Name(ref XdrWriter w, byte[] name) => w.WriteOpaque(name);

    // ---- session ----------------------------------------------------------------------------

    public override void Connect()
    {
        int attempt = 0;
        XdrReader r;
        uint csSeq;
        do
        {
            XdrWriter w = Begin(1);
            w.WriteUInt32((uint)Nfs4Op.ExchangeId);
            w.WriteUInt64((ulong)Environment.TickCount64);   // verifier
            w.WriteOpaque(_ownerId);
            w.WriteUInt32(0);                               // flags
            w.WriteUInt32(0);                               // SP4_NONE
            w.WriteUInt32(0);                               // no impl id
            if (!Send(ref w, "EXCHANGE_ID", ref attempt, false, out r)) continue;
            Expect(ref r, Nfs4Op.ExchangeId);
            _clientId = r.ReadUInt64();
            csSeq = r.ReadUInt32();
            break;
        } while (true);

        attempt = 0;
        do
        {
            XdrWriter w = Begin(1);
            w.WriteUInt32((uint)Nfs4Op.CreateSession);
            w.WriteUInt64(_clientId);
            w.WriteUInt32(csSeq);
            w.WriteUInt32(0);                               // flags: no persist, no back channel
            ChannelAttrs(ref w, (1 << 20) + 8192, (1 << 20) + 8192, 16, 1);
            ChannelAttrs(ref w, 8192, 8192, 2, 1);
            w.WriteUInt32(0x40000000);                      // cb_program
            w.WriteUInt32(1);
            w.WriteUInt32(0);                               // AUTH_NONE for callbacks
            if (!Send(ref w, "CREATE_SESSION", ref attempt, false, out r)) continue;
            Expect(ref r, Nfs4Op.CreateSession);
            r.ReadFixedOpaque(_sessionId);
            break;
        } while (true);
        _seq = 0;

        attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(1);
            w.WriteUInt32((uint)Nfs4Op.ReclaimComplete);
            w.WriteBool(false);                             // rca_one_fs
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
            foreach (string p in parts)
            {
                w.WriteUInt32((uint)Nfs4Op.Lookup);
                w.WriteString(p);
            }
            w.WriteUInt32((uint)Nfs4Op.GetFh);
            if (!Send(ref w, "PUTROOTFH LOOKUP " + _export, ref attempt, true, out r)) continue;
            Expect(ref r, Nfs4Op.PutRootFh);
            for (int i = 0; i < parts.Length; i++) Expect(ref r, Nfs4Op.Lookup);
            Expect(ref r, Nfs4Op.GetFh);
            _root = r.ReadOpaqueArray(128);
            break;
        }
    }

    private static void ChannelAttrs(ref XdrWriter w, uint maxReq, uint maxResp, uint maxOps, uint slots)
    {
        w.WriteUInt32(0);                 // headerpadsize
        w.WriteUInt32(maxReq);
        w.WriteUInt32(maxResp);
        w.WriteUInt32(8192);              // maxresponsesize_cached
        w.WriteUInt32(maxOps);
        w.WriteUInt32(slots);
        w.WriteUInt32(0);                 // no rdma ird
    }

    // ---- operations ---------------------------------------------------------------------------

    public override byte[] MkDir(byte[] dir, byte[] name)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(3);
            PutFh(ref w, dir);
            w.WriteUInt32((uint)Nfs4Op.Create);
            w.WriteUInt32(2);             // NF4DIR
            Name(ref w, name);
            ModeAttrs(ref w, 0x1ED);
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
            Expect(ref r, Nfs4Op.Create);
            r.Skip(20);                   // change_info4
            int words = r.ReadArrayLength(16);
            r.Skip(words * 4);
            Expect(ref r, Nfs4Op.GetFh);
            return r.ReadOpaqueArray(128);
        }
    }

    private byte[] LookupFh(byte[] dir, byte[] name)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(3);
            PutFh(ref w, dir);
            w.WriteUInt32((uint)Nfs4Op.Lookup);
            Name(ref w, name);
            w.WriteUInt32((uint)Nfs4Op.GetFh);
            if (!Send(ref w, "LOOKUP", ref attempt, true, out XdrReader r)) continue;
            Expect(ref r, Nfs4Op.PutFh);
            Expect(ref r, Nfs4Op.Lookup);
            Expect(ref r, Nfs4Op.GetFh);
            return r.ReadOpaqueArray(128);
        }
    }

    private static void ModeAttrs(ref XdrWriter w, uint mode)
    {
        w.WriteUInt32(2);                 // bitmap: mode (attr 33)
        w.WriteUInt32(0);
        w.WriteUInt32(1u << 1);
        w.WriteUInt32(4);                 // attrlist
        w.WriteUInt32(mode);
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
            w.WriteUInt32((uint)Nfs4Op.Open);
            w.WriteUInt32(0);             // seqid (ignored in 4.1)
            w.WriteUInt32(access);
            w.WriteUInt32(0);             // deny none
            w.WriteUInt64(_clientId);
            w.WriteOpaque(_openOwner);
            if (create)
            {
                w.WriteUInt32(1);         // OPEN4_CREATE
                w.WriteUInt32(0);         // UNCHECKED4
                ModeAttrs(ref w, 0x1A4);
            }
            else
            {
                w.WriteUInt32(0);         // OPEN4_NOCREATE
            }
            w.WriteUInt32(0);             // CLAIM_NULL
            Name(ref w, name);
            w.WriteUInt32((uint)Nfs4Op.GetFh);
            GetAttr(ref w);
            if (!Send(ref w, create ? "OPEN create" : "OPEN", ref attempt, true, out XdrReader r)) continue;
            Expect(ref r, Nfs4Op.PutFh);
            Expect(ref r, Nfs4Op.Open);
            byte[] stateid = r.ReadFixedOpaqueArray(16);
            r.Skip(20 + 4);               // change_info4, rflags
            int words = r.ReadArrayLength(16);
            r.Skip(words * 4);            // attrset
            SkipDelegation(ref r);
            Expect(ref r, Nfs4Op.GetFh);
            byte[] fh = r.ReadOpaqueArray(128);
            return new FileRef(fh, stateid);
        }
    }

    /// <summary>open_delegation4 (RFC 8881 §18.16.2): we never use one, but must step over it.</summary>
    private static void SkipDelegation(ref XdrReader r)
    {
        uint type = r.ReadUInt32();
        switch (type)
        {
            case 0: return;                                           // NONE
            case 1: r.Skip(16 + 4); SkipAce(ref r); return;            // READ: stateid, recall, ace
            case 2:                                                   // WRITE: stateid, recall, space_limit, ace
                r.Skip(16 + 4);
                uint limitBy = r.ReadUInt32();
                r.Skip(limitBy == 1 ? 8 : 8);
                SkipAce(ref r);
                return;
            case 3:                                                   // NONE_EXT
                uint why = r.ReadUInt32();
                if (why is 2 or 3) r.Skip(4);                         // WND4_CONTENTION / RESOURCE: bool
                return;
            default: throw new NfsException($"OPEN: unknown delegation type {type}", -1);
        }
    }

    private static void SkipAce(ref XdrReader r)
    {
        r.Skip(12);
        _ = r.ReadOpaque();
    }

    public override void Close(FileRef file)
    {
        if (file.Stateid is null) return;
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(2);
            PutFh(ref w, file.Handle);
            w.WriteUInt32((uint)Nfs4Op.Close);
            w.WriteUInt32(0);
            w.WriteFixedOpaque(file.Stateid);
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
            w.WriteUInt32((uint)Nfs4Op.Write);
            w.WriteFixedOpaque(file.Stateid ?? AnonymousStateid);
            w.WriteUInt64(offset);
            w.WriteUInt32(0);             // UNSTABLE4
            w.WriteOpaque(data.Span);
            if (!Send(ref w, "WRITE", ref attempt, true, out XdrReader r)) continue;
            Expect(ref r, Nfs4Op.PutFh);
            Expect(ref r, Nfs4Op.Write);
            uint count = r.ReadUInt32();
            if (count != data.Length) throw new NfsException($"WRITE short ({count} of {data.Length})", -1);
            return;
        }
    }

    private static readonly byte[] AnonymousStateid = new byte[16];

    public override int Read(FileRef file, ulong offset, Span<byte> into)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(2);
            PutFh(ref w, file.Handle);
            w.WriteUInt32((uint)Nfs4Op.Read);
            w.WriteFixedOpaque(file.Stateid ?? AnonymousStateid);
            w.WriteUInt64(offset);
            w.WriteUInt32((uint)into.Length);
            if (!Send(ref w, "READ", ref attempt, true, out XdrReader r)) continue;
            Expect(ref r, Nfs4Op.PutFh);
            Expect(ref r, Nfs4Op.Read);
            _ = r.ReadBool();             // eof
            ReadOnlySequence<byte> data = r.ReadOpaque(into.Length);
            data.CopyTo(into);
            return (int)data.Length;
        }
    }

    public override void Commit(FileRef file)
    {
        int attempt = 0;
        while (true)
        {
            XdrWriter w = BeginSeq(2);
            PutFh(ref w, file.Handle);
            w.WriteUInt32((uint)Nfs4Op.Commit);
            w.WriteUInt64(0);
            w.WriteUInt32(0);
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
            w.WriteUInt32((uint)Nfs4Op.Lookup);
            Name(ref w, name);
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
            w.WriteUInt32((uint)Nfs4Op.Remove);
            Name(ref w, name);
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
            w.WriteUInt32((uint)Nfs4Op.DestroySession);
            w.WriteFixedOpaque(_sessionId);
            Send(ref w, "DESTROY_SESSION", ref attempt, false, out _);
            w = Begin(1);
            w.WriteUInt32(57);            // DESTROY_CLIENTID
            w.WriteUInt64(_clientId);
            Send(ref w, "DESTROY_CLIENTID", ref attempt, false, out _);
        }
        catch (Exception e) when (e is NfsException or RpcException or IOException or System.Net.Sockets.SocketException) { }
        _rpc.Dispose();
    }
}
