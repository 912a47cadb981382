using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using V4 = DittoFs.Server.Protocol.Nfs4;

namespace DittoFs.Server.Tests.Protocol;

/// <summary>A read-only export refuses every procedure/operation the operation tables flag as modifying, over NFSv3 and NFSv4.1.</summary>
public sealed partial class MountAndPortmapTests
{
    [Fact]
    public void ReadOnlyExportRefusesEveryModifyingNfs3Procedure()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount("/ro");
        Assert.Equal(Nfs3Status.RoFs, client.Write(root, 0, [1, 2, 3], StableHow.FileSync).Status);
        Assert.Equal(Nfs3Status.RoFs, client.Remove(root, "x").Status);
        var chmod = new SetAttr3Args { Object = Nfs3Client.Fh(root), NewAttributes = new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x1FF } } };
        Assert.Equal(Nfs3Status.RoFs, client.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, chmod).Status);
        // Reading still works: ROFS comes from the procedure's flags, not from the export alone.
        Assert.Equal(Nfs3Status.NoEnt, client.Lookup(root, "x").Status);
    }

    [Fact]
    public void ReadOnlyExportRefusesEveryModifyingNfs4Operation()
    {
        using var client = new Nfs4.Nfs4TestClient(_server.NfsPort);
        client.Establish(Unique("rofs"));
        Nfs4.CompoundReply Run(Action<XdrWriterBox> op, string export = "ro") => client.Compound(4, b =>
        {
            client.Sequence(b);
            Nfs4.Nfs4TestClient.Op(b, V4.Nfs4Op.PutRootFh);
            Nfs4.Nfs4TestClient.Lookup(b, export);
            op(b);
        });
        byte[] anonymous = new byte[16];

        Nfs4.CompoundReply remove = Run(b =>
        {
            b.UInt32((uint)V4.Nfs4Op.Remove);
            b.Opaque("x"u8.ToArray());
        });
        Assert.Equal((V4.Nfs4Status.RoFs, 4), (remove.Status, remove.Count));

        Nfs4.CompoundReply write = Run(b =>
        {
            b.UInt32((uint)V4.Nfs4Op.Write);
            b.Raw(anonymous);
            b.UInt64(0);
            b.UInt32(2); // FILE_SYNC4
            b.Opaque([1, 2, 3]);
        });
        Assert.Equal((V4.Nfs4Status.RoFs, 4), (write.Status, write.Count));

        Nfs4.CompoundReply create = Run(b =>
        {
            b.UInt32((uint)V4.Nfs4Op.Create);
            b.UInt32(2); // NF4DIR
            b.Opaque("d"u8.ToArray());
            Nfs4.Nfs4OperationTests.Bitmap(b);
            b.UInt32(0);
        });
        Assert.Equal((V4.Nfs4Status.RoFs, 4), (create.Status, create.Count));

        // SETATTR4res is a struct: the refused SETATTR still carries its (empty) attrsset.
        Nfs4.CompoundReply setattr = Run(b =>
        {
            b.UInt32((uint)V4.Nfs4Op.SetAttr);
            b.Raw(anonymous);
            Nfs4.Nfs4OperationTests.Bitmap(b, 33); // mode
            b.Opaque([0, 0, 0x01, 0xFF]);
        });
        Assert.Equal((V4.Nfs4Status.RoFs, 4), (setattr.Status, setattr.Count));
        setattr.Next();
        setattr.Reader.Raw(36); // SEQUENCE4resok
        setattr.Next();
        setattr.Next();
        Assert.Equal(((uint)V4.Nfs4Op.SetAttr, V4.Nfs4Status.RoFs), setattr.Next());
        Assert.Equal(0u, setattr.Reader.UInt32());

        // The same operations on the writable export get past the read-only check.
        Nfs4.CompoundReply writable = Run(b =>
        {
            b.UInt32((uint)V4.Nfs4Op.Remove);
            b.Opaque(System.Text.Encoding.UTF8.GetBytes(Unique("absent")));
        }, export: "export");
        Assert.Equal(V4.Nfs4Status.NoEnt, writable.Status);

        // The pseudo-fs is read-only too.
        Nfs4.CompoundReply pseudo = client.Compound(3, b =>
        {
            client.Sequence(b);
            Nfs4.Nfs4TestClient.Op(b, V4.Nfs4Op.PutRootFh);
            b.UInt32((uint)V4.Nfs4Op.Remove);
            b.Opaque("ro"u8.ToArray());
        });
        Assert.Equal(V4.Nfs4Status.RoFs, pseudo.Status);
    }

    [Fact]
    public void LinkAndRenameWithoutASavedFilehandleAreNoFileHandle()
    {
        using var client = new Nfs4.Nfs4TestClient(_server.NfsPort);
        client.Establish(Unique("nosaved"));
        foreach (V4.Nfs4Op op in new[] { V4.Nfs4Op.Link, V4.Nfs4Op.Rename })
        {
            Nfs4.CompoundReply reply = client.Compound(4, b =>
            {
                client.Sequence(b);
                Nfs4.Nfs4TestClient.Op(b, V4.Nfs4Op.PutRootFh);
                Nfs4.Nfs4TestClient.Lookup(b, "export");
                b.UInt32((uint)op);
                b.Opaque("a"u8.ToArray());
                if (op == V4.Nfs4Op.Rename) b.Opaque("b"u8.ToArray());
            });
            Assert.Equal((V4.Nfs4Status.NoFileHandle, 4), (reply.Status, reply.Count));
        }
    }
}
