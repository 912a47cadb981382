using System.Buffers;
using System.Text;
using DittoFs.Server.Protocol.Mount;
using DittoFs.Server.Protocol.Nfs3;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>NFSv3 + MOUNT calls over a raw socket with the generated codecs, for protocol tests.</summary>
public sealed class Nfs3Client(int port) : IDisposable
{
    public const uint NfsProgram = 100003;
    public const uint MountProgram = 100005;

    public RpcClient Rpc { get; } = new(port);

    public byte[] Mount(string path = "/export")
    {
        RpcReply reply = Rpc.Call(MountProgram, 3, (uint)MountProcedure.Mnt, a => a.String(path));
        MountRes3 res = reply.Decode<MountRes3>();
        if (res.Status != MountStatus.Ok) throw new InvalidOperationException($"MNT {path}: {res.Status}");
        return res.MountInfo.FHandle.ToArray();
    }

    public TRes Call<TArgs, TRes>(Nfs3Procedure procedure, TArgs args)
        where TArgs : DittoFs.Xdr.IXdrCodec<TArgs>
        where TRes : DittoFs.Xdr.IXdrCodec<TRes>
        => Rpc.Call(NfsProgram, 3, (uint)procedure, a => a.Write(args)).Decode<TRes>();

    public static NfsFh3 Fh(byte[] handle) => new() { Data = handle };

    public static DirOpArgs3 Where(byte[] dir, string name) => new() { Dir = Fh(dir), Name = Encoding.UTF8.GetBytes(name) };

    public static DirOpArgs3 Where(byte[] dir, byte[] name) => new() { Dir = Fh(dir), Name = name };

    public GetAttr3Res GetAttr(byte[] fh) => Call<GetAttr3Args, GetAttr3Res>(Nfs3Procedure.GetAttr, new GetAttr3Args { Object = Fh(fh) });

    public Lookup3Res Lookup(byte[] dir, string name) => Call<Lookup3Args, Lookup3Res>(Nfs3Procedure.Lookup, new Lookup3Args { What = Where(dir, name) });

    public Lookup3Res Lookup(byte[] dir, byte[] name) => Call<Lookup3Args, Lookup3Res>(Nfs3Procedure.Lookup, new Lookup3Args { What = Where(dir, name) });

    public Create3Res Create(byte[] dir, string name, CreateMode3 mode = CreateMode3.Unchecked, uint fileMode = 0x1A4, ulong verifier = 0) =>
        Call<Create3Args, Create3Res>(Nfs3Procedure.Create, new Create3Args
        {
            Where = Where(dir, name),
            How = mode == CreateMode3.Exclusive
                ? new CreateHow3 { Mode = mode, Verf = verifier }
                : new CreateHow3 { Mode = mode, ObjAttributes = new SAttr3 { Mode = new SetUInt32 { Set = true, Value = fileMode } } },
        });

    public MkDir3Res MkDir(byte[] dir, string name, uint mode = 0x1ED) =>
        Call<MkDir3Args, MkDir3Res>(Nfs3Procedure.MkDir, new MkDir3Args { Where = Where(dir, name), Attributes = new SAttr3 { Mode = new SetUInt32 { Set = true, Value = mode } } });

    public Write3Res Write(byte[] fh, ulong offset, byte[] data, StableHow stable = StableHow.Unstable) =>
        Call<Write3Args, Write3Res>(Nfs3Procedure.Write, new Write3Args { File = Fh(fh), Offset = offset, Count = (uint)data.Length, Stable = stable, Data = new ReadOnlySequence<byte>(data) });

    public Read3Res Read(byte[] fh, ulong offset, uint count) =>
        Call<Read3Args, Read3Res>(Nfs3Procedure.Read, new Read3Args { File = Fh(fh), Offset = offset, Count = count });

    /// <summary>Reads <paramref name="length"/> bytes (or to EOF) in chunks, waiting out JUKEBOX (a block still coming from the bucket); any other status fails.</summary>
    public byte[] ReadAll(byte[] fh, int length, uint chunk = 1 << 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var all = new MemoryStream();
        while (all.Length < length)
        {
            Read3Res r = Read(fh, (ulong)all.Length, (uint)Math.Min(chunk, length - all.Length));
            if (r.Status == Nfs3Status.Jukebox && DateTime.UtcNow < deadline) { Thread.Sleep(50); continue; }
            Xunit.Assert.Equal(Nfs3Status.Ok, r.Status);
            all.Write(r.ResOk.Data.Span);
            if (r.ResOk.Eof) break;
        }
        return all.ToArray();
    }

    public Commit3Res Commit(byte[] fh) => Call<Commit3Args, Commit3Res>(Nfs3Procedure.Commit, new Commit3Args { File = Fh(fh) });

    public Remove3Res Remove(byte[] dir, string name) => Call<Remove3Args, Remove3Res>(Nfs3Procedure.Remove, new Remove3Args { Object = Where(dir, name) });

    public byte[] CreateFile(byte[] dir, string name)
    {
        Create3Res res = Create(dir, name);
        if (res.Status != Nfs3Status.Ok) throw new InvalidOperationException($"CREATE {name}: {res.Status}");
        return res.ResOk.Obj.Handle!.Value.Data.ToArray();
    }

    public void Dispose() => Rpc.Dispose();
}
