using System.Buffers;
using DittoFs.Server.Protocol.Mount;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Xdr;

namespace DittoFs.LoadGen;

/// <summary>NFSv3 + MOUNT with the server's generated codecs; arguments and replies go through reused buffers.</summary>
public sealed class Nfs3Client : NfsClient
{
    private const uint NfsProgram = 100003, MountProgram = 100005;
    private readonly RpcConnection _nfs;
    private readonly string _host;
    private readonly int _port, _mountPort;
    private readonly string _export;
    private byte[] _root = [];

    public Nfs3Client(string host, int port, int mountPort, string export)
    {
        _host = host;
        _port = port;
        _mountPort = mountPort;
        _export = export;
        _nfs = new RpcConnection(host, port);
    }

    public override byte[] Root => _root;

    public override void Connect()
    {
        RpcConnection mnt = _mountPort == _port ? _nfs : new RpcConnection(_host, _mountPort);
        try
        {
            var w = new XdrWriter(mnt.Begin(MountProgram, 3, (uint)MountProcedure.Mnt));
            w.WriteString(_export);
            w.Flush();
            var r = new XdrReader(mnt.Call());
            MountRes3 res = MountRes3.Decode(ref r);
            if (res.Status != MountStatus.Ok) throw new NfsException("MNT " + _export, (int)res.Status);
            _root = res.MountInfo.FHandle.ToArray();
        }
        finally
        {
            if (!ReferenceEquals(mnt, _nfs)) mnt.Dispose();
        }
    }

    private TRes Call<TArgs, TRes>(Nfs3Procedure proc, in TArgs args, Func<TRes, Nfs3Status> status)
        where TArgs : IXdrCodec<TArgs> where TRes : IXdrCodec<TRes>
    {
        int attempt = 0;
        while (true)
        {
            var w = new XdrWriter(_nfs.Begin(NfsProgram, 3, (uint)proc));
            args.Encode(ref w);
            w.Flush();
            var r = new XdrReader(_nfs.Call());
            TRes res = TRes.Decode(ref r);
            Nfs3Status s = status(res);
            if (s == Nfs3Status.Ok) return res;
            if ((int)s == Delay) { Backoff(proc.ToString(), ref attempt); continue; }
            throw new NfsException(proc.ToString(), (int)s);
        }
    }

    private static NfsFh3 Fh(byte[] h) => new() { Data = h };
    private static DirOpArgs3 Where(byte[] dir, byte[] name) => new() { Dir = Fh(dir), Name = name };
    private static readonly SAttr3 Mode644 = new() { Mode = new SetUInt32 { Set = true, Value = 0x1A4 } };
    private static readonly SAttr3 Mode755 = new() { Mode = new SetUInt32 { Set = true, Value = 0x1ED } };

    public override byte[] MkDir(byte[] dir, byte[] name)
    {
        try
        {
            MkDir3Res res = Call<MkDir3Args, MkDir3Res>(Nfs3Procedure.MkDir, new MkDir3Args { Where = Where(dir, name), Attributes = Mode755 }, x => x.Status);
            if (res.ResOk.Obj.Handle is { } h) return h.Data.ToArray();
        }
        catch (NfsException e) when (e.Status == (int)Nfs3Status.Exist) { }
        return Lookup(dir, name);
    }

    private byte[] Lookup(byte[] dir, byte[] name) =>
        Call<Lookup3Args, Lookup3Res>(Nfs3Procedure.Lookup, new Lookup3Args { What = Where(dir, name) }, x => x.Status).ResOk.Object.Data.ToArray();

    public override FileRef Create(byte[] dir, byte[] name)
    {
        Create3Res res = Call<Create3Args, Create3Res>(Nfs3Procedure.Create,
            new Create3Args { Where = Where(dir, name), How = new CreateHow3 { Mode = CreateMode3.Unchecked, ObjAttributes = Mode644 } }, x => x.Status);
        return new FileRef(res.ResOk.Obj.Handle is { } h ? h.Data.ToArray() : Lookup(dir, name));
    }

    public override FileRef Open(byte[] dir, byte[] name, bool write) => new(Lookup(dir, name));

    public override void Close(FileRef file) { }

    public override void Write(FileRef file, ulong offset, ReadOnlyMemory<byte> data)
    {
        Write3Res res = Call<Write3Args, Write3Res>(Nfs3Procedure.Write, new Write3Args
        {
            File = Fh(file.Handle), Offset = offset, Count = (uint)data.Length, Stable = StableHow.Unstable, Data = new ReadOnlySequence<byte>(data),
        }, x => x.Status);
        if (res.ResOk.Count != data.Length) throw new NfsException($"WRITE short ({res.ResOk.Count} of {data.Length})", -1);
    }

    public override int Read(FileRef file, ulong offset, Span<byte> into)
    {
        Read3Res res = Call<Read3Args, Read3Res>(Nfs3Procedure.Read, new Read3Args { File = Fh(file.Handle), Offset = offset, Count = (uint)into.Length }, x => x.Status);
        ReadOnlySpan<byte> data = res.ResOk.Data.Span;
        data.CopyTo(into);
        return data.Length;
    }

    public override void Commit(FileRef file) =>
        Call<Commit3Args, Commit3Res>(Nfs3Procedure.Commit, new Commit3Args { File = Fh(file.Handle) }, x => x.Status);

    public override ulong Stat(byte[] dir, byte[] name)
    {
        Lookup3Res l = Call<Lookup3Args, Lookup3Res>(Nfs3Procedure.Lookup, new Lookup3Args { What = Where(dir, name) }, x => x.Status);
        // The handle is a slice of the receive buffer, which a retried GETATTR would overwrite: copy it.
        byte[] handle = l.ResOk.Object.Data.ToArray();
        GetAttr3Res g = Call<GetAttr3Args, GetAttr3Res>(Nfs3Procedure.GetAttr, new GetAttr3Args { Object = Fh(handle) }, x => x.Status);
        return g.ResOk.ObjAttributes.Size;
    }

    public override void Remove(byte[] dir, byte[] name) =>
        Call<Remove3Args, Remove3Res>(Nfs3Procedure.Remove, new Remove3Args { Object = Where(dir, name) }, x => x.Status);

    public override void RmDir(byte[] dir, byte[] name)
    {
        var w = new XdrWriter(_nfs.Begin(NfsProgram, 3, (uint)Nfs3Procedure.RmDir));
        new DirOpArgs3 { Dir = Fh(dir), Name = name }.Encode(ref w);
        w.Flush();
        var r = new XdrReader(_nfs.Call());
        int status = r.ReadInt32();
        if (status != 0) throw new NfsException("RMDIR", status);
    }

    public override void Dispose() => _nfs.Dispose();
}
