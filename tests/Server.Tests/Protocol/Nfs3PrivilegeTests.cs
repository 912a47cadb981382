using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol;

/// <summary>
/// Issue 14 over raw NFSv3: no device files without root (CAP_MKNOD), setuid stripped when a
/// non-root caller truncates or writes, and READDIRPLUS counts read as unsigned.
/// </summary>
public sealed class Nfs3PrivilegeTests(SquashFixture fixture) : IClassFixture<SquashFixture>
{
    private const uint Mode0666 = 0x1B6;

    private Nfs3Client Connect(uint uid)
    {
        var client = new Nfs3Client(fixture.Server.NfsPort);
        client.Rpc.Uid = uid;
        client.Rpc.Gid = uid;
        return client;
    }

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static MkNod3Res MkNod(Nfs3Client client, byte[] dir, string name, Ftype3 type)
    {
        var attributes = new SAttr3 { Mode = new SetUInt32 { Set = true, Value = Mode0666 } };
        var what = type is Ftype3.Chr or Ftype3.Blk
            ? new MkNodData3 { Type = type, Device = new DeviceData3 { DevAttributes = attributes, Spec = new SpecData3 { SpecData1 = 1, SpecData2 = 1 } } }
            : new MkNodData3 { Type = type, PipeAttributes = attributes };
        return client.Call<MkNod3Args, MkNod3Res>(Nfs3Procedure.MkNod, new MkNod3Args { Where = Nfs3Client.Where(dir, name), What = what });
    }

    [Theory]
    [InlineData(Ftype3.Chr, "/export", 1000u, Nfs3Status.Perm)]
    [InlineData(Ftype3.Blk, "/export", 1000u, Nfs3Status.Perm)]
    [InlineData(Ftype3.Chr, "/rootsquash", 0u, Nfs3Status.Perm)]
    [InlineData(Ftype3.Blk, "/rootsquash", 0u, Nfs3Status.Perm)]
    [InlineData(Ftype3.Chr, "/export", 0u, Nfs3Status.Ok)]
    [InlineData(Ftype3.Blk, "/export", 0u, Nfs3Status.Ok)]
    [InlineData(Ftype3.Fifo, "/export", 1000u, Nfs3Status.Ok)]
    [InlineData(Ftype3.Sock, "/rootsquash", 0u, Nfs3Status.Ok)]
    public void MkNod_DevicesNeedUnsquashedRoot(Ftype3 type, string export, uint uid, Nfs3Status expected)
    {
        using Nfs3Client client = Connect(uid);
        byte[] dir = client.Mount(export);
        string name = Unique("node-");
        MkNod3Res res = MkNod(client, dir, name, type);

        Assert.Equal(expected, res.Status);
        Lookup3Res lookup = client.Lookup(dir, name);
        if (expected != Nfs3Status.Ok)
        {
            Assert.Equal(Nfs3Status.NoEnt, lookup.Status);
            return;
        }
        Assert.Equal(Nfs3Status.Ok, lookup.Status);
        FAttr3 attributes = res.ResOk.ObjAttributes.Attributes!.Value;
        Assert.Equal(type, attributes.Type);
        Assert.Equal(export == "/rootsquash" ? 65534u : uid, attributes.Uid);
        if (type is Ftype3.Chr or Ftype3.Blk) Assert.Equal(new SpecData3 { SpecData1 = 1, SpecData2 = 1 }, attributes.Rdev);
    }

    [Fact]
    public void TruncateOrWriteByNonOwner_ClearsSetuid()
    {
        using Nfs3Client owner = Connect(1000);
        using Nfs3Client stranger = Connect(2000);
        byte[] dir = owner.Mount("/export");
        stranger.Mount("/export");
        byte[] file = owner.CreateFile(dir, Unique("suid-"));
        Assert.Equal(Nfs3Status.Ok, owner.Write(file, 0, [1, 2, 3], StableHow.FileSync).Status);
        SetSuid(owner, file);

        SetAttr3Res truncated = SetAttr(stranger, file, new SAttr3 { Size = new SetUInt64 { Set = true, Value = 1 } });
        Assert.Equal(Nfs3Status.Ok, truncated.Status);
        Assert.Equal(0x1FFu, truncated.ResOk.ObjWcc.After.Attributes!.Value.Mode);
        Assert.Equal(1ul, truncated.ResOk.ObjWcc.After.Attributes!.Value.Size);

        // 06777: a write strips setuid and (g+x) setgid.
        Assert.Equal(Nfs3Status.Ok, SetAttr(owner, file, new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0xDFF } }).Status);
        Write3Res written = stranger.Write(file, 0, [9], StableHow.FileSync);
        Assert.Equal(Nfs3Status.Ok, written.Status);
        Assert.Equal(0x1FFu, written.ResOk.FileWcc.After.Attributes!.Value.Mode);
        Assert.Equal(0x1FFu, owner.GetAttr(file).ResOk.ObjAttributes.Mode);
    }

    [Theory]
    [InlineData(0x8000_0000u)]
    [InlineData(0xFFFF_FFFFu)]
    public void ReadDirPlus_HugeDirCount_ReturnsAFullPage(uint dirCount)
    {
        using Nfs3Client client = Connect(0);
        byte[] export = client.Mount("/export");
        string name = Unique("listing-");
        Assert.Equal(Nfs3Status.Ok, client.MkDir(export, name).Status);
        byte[] dir = client.Lookup(export, name).ResOk.Object.Data.ToArray();
        for (int i = 0; i < 40; i++) client.CreateFile(dir, "f" + i);

        ReadDirPlus3Res res = client.Call<ReadDirPlus3Args, ReadDirPlus3Res>(Nfs3Procedure.ReadDirPlus, new ReadDirPlus3Args
        {
            Dir = Nfs3Client.Fh(dir),
            DirCount = dirCount,
            MaxCount = 64 * 1024,
        });
        Assert.Equal(Nfs3Status.Ok, res.Status);
        var names = new List<string>();
        for (EntryPlus3? e = res.ResOk.Reply.Entries; e is not null; e = e.Next) names.Add(System.Text.Encoding.UTF8.GetString(e.Name.Span));
        Assert.Equal(42, names.Count); // ".", ".." and the 40 files, in one call
        Assert.True(res.ResOk.Reply.Eof);
    }

    private static SetAttr3Res SetAttr(Nfs3Client client, byte[] file, SAttr3 attributes) =>
        client.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, new SetAttr3Args { Object = Nfs3Client.Fh(file), NewAttributes = attributes });

    private static void SetSuid(Nfs3Client owner, byte[] file)
    {
        // 04777, set after the owner's own write (which would have stripped it).
        Assert.Equal(Nfs3Status.Ok, SetAttr(owner, file, new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x9FF } }).Status);
        Assert.Equal(0x9FFu, owner.GetAttr(file).ResOk.ObjAttributes.Mode);
    }
}
