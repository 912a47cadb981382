using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>Issue 14 over raw NFSv4.1: no device files without root (CAP_MKNOD); READDIR counts read as unsigned.</summary>
public sealed class Nfs4PrivilegeTests(SquashFixture fixture) : IClassFixture<SquashFixture>
{
    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private Nfs4TestClient Connect(uint uid)
    {
        var client = new Nfs4TestClient(fixture.Server.NfsPort);
        client.Rpc.Uid = uid;
        client.Rpc.Gid = uid;
        client.Establish(Unique("priv-"));
        return client;
    }

    [Theory]
    [InlineData(Nfs4Const.Nf4Chr, "rootsquash", 0u, Nfs4Status.Perm)]
    [InlineData(Nfs4Const.Nf4Blk, "rootsquash", 0u, Nfs4Status.Perm)]
    [InlineData(Nfs4Const.Nf4Chr, "export", 1000u, Nfs4Status.Perm)]
    [InlineData(Nfs4Const.Nf4Blk, "export", 1000u, Nfs4Status.Perm)]
    [InlineData(Nfs4Const.Nf4Chr, "export", 0u, Nfs4Status.Ok)]
    [InlineData(Nfs4Const.Nf4Blk, "export", 0u, Nfs4Status.Ok)]
    [InlineData(Nfs4Const.Nf4Fifo, "export", 1000u, Nfs4Status.Ok)]
    [InlineData(Nfs4Const.Nf4Sock, "rootsquash", 0u, Nfs4Status.Ok)]
    public void Create_DevicesNeedUnsquashedRoot(uint type, string export, uint uid, Nfs4Status expected)
    {
        using Nfs4TestClient client = Connect(uid);
        string name = Unique("node-");
        CompoundReply reply = client.Compound(4, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, export);
            b.UInt32((uint)Nfs4Op.Create);
            b.UInt32(type);
            if (type is Nfs4Const.Nf4Chr or Nfs4Const.Nf4Blk)
            {
                b.UInt32(1); // specdata1: 1:1 is /dev/mem
                b.UInt32(1);
            }
            b.Opaque(Encoding.UTF8.GetBytes(name));
            Nfs4OperationTests.Bitmap(b, 33); // mode
            b.UInt32(4);
            b.UInt32(0x1B6);                  // 0666
        });
        Assert.Equal(expected, reply.Status);
        Assert.Equal(4, reply.Count);

        CompoundReply lookup = client.Compound(4, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, export);
            Nfs4TestClient.Lookup(b, name);
        });
        Assert.Equal(expected == Nfs4Status.Ok ? Nfs4Status.Ok : Nfs4Status.NoEnt, lookup.Status);
    }

    [Theory]
    [InlineData(0x8000_0000u)]
    [InlineData(0xFFFF_FFFFu)]
    public void ReadDir_HugeDirCount_ReturnsAFullPage(uint dirCount)
    {
        string name = Unique("listing-");
        using (var v3 = new Nfs3Client(fixture.Server.NfsPort))
        {
            byte[] export = v3.Mount("/export");
            Assert.Equal(Nfs3Status.Ok, v3.MkDir(export, name).Status);
            byte[] dir = v3.Lookup(export, name).ResOk.Object.Data.ToArray();
            for (int i = 0; i < 40; i++) v3.CreateFile(dir, "f" + i);
        }

        using Nfs4TestClient client = Connect(0);
        CompoundReply reply = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4TestClient.Lookup(b, name);
            b.UInt32((uint)Nfs4Op.ReadDir);
            b.UInt64(0);
            b.UInt64(0);
            b.UInt32(dirCount);
            b.UInt32(64 * 1024);
            Nfs4OperationTests.Bitmap(b, 1); // type
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        Assert.Equal(((uint)Nfs4Op.Sequence, Nfs4Status.Ok), reply.Next());
        reply.Reader.Raw(16 + 20);
        for (int i = 0; i < 3; i++) Assert.Equal(Nfs4Status.Ok, reply.Next().Status);
        Assert.Equal(((uint)Nfs4Op.ReadDir, Nfs4Status.Ok), reply.Next());
        reply.Reader.Raw(8); // verifier
        int entries = 0;
        while (reply.Reader.Bool())
        {
            reply.Reader.UInt64();
            Assert.StartsWith("f", Encoding.UTF8.GetString(reply.Reader.Opaque()));
            reply.Reader.Raw(4 * (int)reply.Reader.UInt32());
            reply.Reader.Opaque();
            entries++;
        }
        Assert.Equal(40, entries); // every file in one call
        Assert.True(reply.Reader.Bool()); // eof
    }
}
