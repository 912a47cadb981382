using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// Issue 15 item 5 over raw NFSv4.1: an open file outlives its last name (GETATTR by handle shows
/// numlinks 0 until CLOSE, OPEN says PRESERVE_UNLINKED), and a stranger's chown to the current owner is PERM.
/// </summary>
public sealed class Nfs4PosixTests(SquashFixture fixture) : IClassFixture<SquashFixture>
{
    private const int NumLinks = 35, Owner = 36;

    private int Port => fixture.Server.NfsPort;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private Nfs4TestClient Connect(uint uid)
    {
        var client = new Nfs4TestClient(Port);
        client.Rpc.Uid = uid;
        client.Rpc.Gid = uid;
        client.Establish("posix-" + Guid.NewGuid().ToString("N"));
        return client;
    }

    private static void PutFh(XdrWriterBox b, byte[] handle)
    {
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
    }

    /// <summary>GETATTR numlinks of a handle: the status, and the count when OK.</summary>
    private static (Nfs4Status Status, uint Links) Links(Nfs4TestClient client, byte[] handle)
    {
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            PutFh(b, handle);
            b.UInt32((uint)Nfs4Op.GetAttr);
            Nfs4OperationTests.Bitmap(b, NumLinks);
        });
        if (reply.Status != Nfs4Status.Ok) return (reply.Status, 0);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        uint words = reply.Reader.UInt32();
        reply.Reader.Raw((int)words * 4);
        byte[] values = reply.Reader.Opaque();
        return (Nfs4Status.Ok, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(values));
    }

    [Fact]
    public void AnOpenFileThatLosesItsLastNameShowsNoLinksUntilClosed()
    {
        using Nfs4TestClient client = Connect(1000);
        string name = Unique("unlinked-");
        CompoundReply opened = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, "posix", name);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Assert.Equal(Nfs4Status.Ok, opened.Status);
        opened.Next();
        opened.Reader.Raw(36);
        opened.Next();
        opened.Next();
        opened.Next();
        byte[] stateid = opened.Reader.Raw(16);
        opened.Reader.Raw(4 + 8 + 8);
        uint rflags = opened.Reader.UInt32();
        Assert.Equal(0x8u, rflags & 0x8); // OPEN4_RESULT_PRESERVE_UNLINKED
        opened.Reader.Raw((int)opened.Reader.UInt32() * 4); // attrset
        Assert.Equal(0u, opened.Reader.UInt32()); // OPEN_DELEGATE_NONE
        Assert.Equal(((uint)Nfs4Op.GetFh, Nfs4Status.Ok), opened.Next());
        byte[] handle = opened.Reader.Opaque();
        Assert.Equal((Nfs4Status.Ok, 1u), Links(client, handle));

        CompoundReply written = client.Compound(3, b =>
        {
            client.Sequence(b);
            PutFh(b, handle);
            b.UInt32((uint)Nfs4Op.Write);
            b.Raw(stateid);
            b.UInt64(0);
            b.UInt32(2); // FILE_SYNC4
            b.Opaque("still here"u8.ToArray());
        });
        Assert.Equal(Nfs4Status.Ok, written.Status);

        CompoundReply removed = client.Compound(4, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            b.UInt32((uint)Nfs4Op.Remove);
            b.Opaque(Encoding.UTF8.GetBytes(name));
        });
        Assert.Equal(Nfs4Status.Ok, removed.Status);

        // fstat of the open, unlinked file: nlink 0, and its bytes still read.
        Assert.Equal((Nfs4Status.Ok, 0u), Links(client, handle));
        CompoundReply read = client.Compound(3, b =>
        {
            client.Sequence(b);
            PutFh(b, handle);
            b.UInt32((uint)Nfs4Op.Read);
            b.Raw(stateid);
            b.UInt64(0);
            b.UInt32(100);
        });
        Assert.Equal(Nfs4Status.Ok, read.Status);
        Assert.Contains("still here", Encoding.UTF8.GetString(read.Record));

        CompoundReply closed = client.Compound(3, b =>
        {
            client.Sequence(b);
            PutFh(b, handle);
            b.UInt32((uint)Nfs4Op.Close);
            b.UInt32(0);
            b.Raw(stateid);
        });
        Assert.Equal(Nfs4Status.Ok, closed.Status);
        // The last open went: the file goes (in the background), and its handle turns stale.
        Nfs4Status after = Nfs4Status.Ok;
        for (int i = 0; i < 100 && after == Nfs4Status.Ok; i++)
        {
            after = Links(client, handle).Status;
            if (after == Nfs4Status.Ok) Thread.Sleep(100);
        }
        Assert.Equal(Nfs4Status.Stale, after);
    }

    [Fact]
    public void ChownToTheCurrentOwnerIsPermForAStranger()
    {
        using Nfs4TestClient owner = Connect(1000);
        using Nfs4TestClient stranger = Connect(2000);
        var (handle, _) = Nfs4OperationTests.CreateOpen(owner, Unique("chown-"), owner: "posix-chown");

        Nfs4Status SetOwner(Nfs4TestClient client, string value) => client.Compound(3, b =>
        {
            client.Sequence(b);
            PutFh(b, handle);
            b.UInt32((uint)Nfs4Op.SetAttr);
            b.Raw(new byte[16]);
            Nfs4OperationTests.Bitmap(b, Owner);
            var attrs = new XdrWriterBox();
            attrs.Opaque(Encoding.UTF8.GetBytes(value));
            b.Opaque(attrs.Bytes.ToArray());
        }).Status;

        Assert.Equal(Nfs4Status.Perm, SetOwner(stranger, "1000"));
        Assert.Equal(Nfs4Status.Ok, SetOwner(owner, "1000"));
        Assert.Equal(Nfs4Status.Perm, SetOwner(owner, "2000"));
    }
}
