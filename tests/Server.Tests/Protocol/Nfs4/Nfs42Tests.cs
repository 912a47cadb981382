using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// NFSv4.2 over a raw socket (RFC 7862, RFC 8276): minor version 2 on a session made by 4.1 operations, the 4.2
/// operations' results and error paths (SEEK, ALLOCATE, DEALLOCATE, READ_PLUS, extended attributes), and that a
/// 4.1 COMPOUND does not see them. The server's payload store is Local with 4 MiB blocks: holes are whole blocks.
/// </summary>
public sealed class Nfs42Tests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const uint Minor2 = 2;
    private const ulong Block = 4 << 20;
    private int Port => fixture.Server.NfsPort;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private Nfs4TestClient Connect(uint uid = 0)
    {
        var client = new Nfs4TestClient(Port);
        client.Rpc.Uid = uid;
        client.Rpc.Gid = uid;
        client.Establish(Unique("v42-"));
        return client;
    }

    private static void PutFh(XdrWriterBox b, byte[] handle)
    {
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
    }

    /// <summary>SEQUENCE, PUTFH, then one operation (minor version 2 unless said): the reply positioned at that operation's result.</summary>
    private static (CompoundReply Reply, uint Op, Nfs4Status Status) OnFile(Nfs4TestClient client, byte[] handle, Action<XdrWriterBox> op, uint minor = Minor2)
    {
        // Not cached in the slot: a 64 KiB xattr would not fit the 8 KiB the session allows for cached replies.
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b, cacheThis: false);
            PutFh(b, handle);
            op(b);
        }, minor);
        Assert.Equal(((uint)Nfs4Op.Sequence, Nfs4Status.Ok), reply.Next());
        reply.Reader.Raw(16 + 20);
        Assert.Equal(((uint)Nfs4Op.PutFh, Nfs4Status.Ok), reply.Next());
        (uint resop, Nfs4Status status) = reply.Next();
        Assert.Equal(status, reply.Status);
        return (reply, resop, status);
    }

    private static void Write(Nfs4TestClient client, byte[] handle, byte[] stateid, ulong offset, byte[] data)
    {
        var (reply, _, status) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.Write);
            b.Raw(stateid);
            b.UInt64(offset);
            b.UInt32(2); // FILE_SYNC4
            b.Opaque(data);
        });
        Assert.Equal(Nfs4Status.Ok, status);
        Assert.Equal((uint)data.Length, reply.Reader.UInt32());
    }

    private static (Nfs4Status Status, bool Eof, ulong Offset) Seek(Nfs4TestClient client, byte[] handle, byte[] stateid, ulong offset, bool data, uint minor = Minor2)
    {
        var (reply, op, status) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.Seek);
            b.Raw(stateid);
            b.UInt64(offset);
            b.UInt32(data ? 0u : 1u);
        }, minor);
        if (status != Nfs4Status.Ok) return (status, false, 0);
        Assert.Equal((uint)Nfs4Op.Seek, op);
        return (status, reply.Reader.Bool(), reply.Reader.UInt64());
    }

    private static Nfs4Status Allocate(Nfs4TestClient client, byte[] handle, byte[] stateid, ulong offset, ulong length, bool deallocate) =>
        OnFile(client, handle, b =>
        {
            b.UInt32((uint)(deallocate ? Nfs4Op.Deallocate : Nfs4Op.Allocate));
            b.Raw(stateid);
            b.UInt64(offset);
            b.UInt64(length);
        }).Status;

    private static ulong Size(Nfs4TestClient client, byte[] handle)
    {
        var (reply, _, status) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.GetAttr);
            Nfs4OperationTests.Bitmap(b, 4); // size
        });
        Assert.Equal(Nfs4Status.Ok, status);
        reply.Reader.Raw(4 + 4); // bitmap4 of one word
        Assert.Equal(8u, reply.Reader.UInt32());
        return reply.Reader.UInt64();
    }

    /// <summary>GETATTR space_used (45): the bytes of the blocks that hold data.</summary>
    private static ulong SpaceUsed(Nfs4TestClient client, byte[] handle)
    {
        var (reply, _, status) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.GetAttr);
            Nfs4OperationTests.Bitmap(b, 45);
        });
        Assert.Equal(Nfs4Status.Ok, status);
        reply.Reader.Raw(4 + 4 + 4); // bitmap4 of two words
        Assert.Equal(8u, reply.Reader.UInt32());
        return reply.Reader.UInt64();
    }

    /// <summary>A file with 10 bytes at 2 blocks + 100 (blocks 0 and 1 never written: holes).</summary>
    private static (byte[] Handle, byte[] Stateid) SparseFile(Nfs4TestClient client)
    {
        var (handle, stateid) = Nfs4OperationTests.CreateOpen(client, Unique("sparse-"));
        Write(client, handle, stateid, 2 * Block + 100, "0123456789"u8.ToArray());
        return (handle, stateid);
    }

    [Fact]
    public void MinorVersion2RunsOnASessionMadeByMinorVersion1()
    {
        using Nfs4TestClient client = Connect();
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        }, Minor2);
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        Assert.Equal(3, reply.Count);
    }

    [Fact]
    public void AMinorVersion2OperationInAMinorVersion1CompoundIsIllegal()
    {
        using Nfs4TestClient client = Connect();
        var (handle, stateid) = SparseFile(client);
        var (_, op, status) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.Seek);
            b.Raw(stateid);
            b.UInt64(0);
            b.UInt32(0);
        }, minor: 1);
        // RFC 8881 §15.2: an operation number the minor version does not define is OP_ILLEGAL, answered as OP_ILLEGAL.
        Assert.Equal(Nfs4Status.OpIllegal, status);
        Assert.Equal(10044u, op);
        Assert.Equal(Nfs4Status.Ok, Seek(client, handle, stateid, 0, data: true).Status);
    }

    [Fact]
    public void SupportedAttrsNameThe42AttributesOnlyInMinorVersion2()
    {
        using Nfs4TestClient client = Connect();
        var (handle, _) = SparseFile(client);
        uint Word2(uint minor)
        {
            var (reply, _, status) = OnFile(client, handle, b =>
            {
                b.UInt32((uint)Nfs4Op.GetAttr);
                Nfs4OperationTests.Bitmap(b, 0); // supported_attrs
            }, minor);
            Assert.Equal(Nfs4Status.Ok, status);
            reply.Reader.Raw(4 + 4);
            reply.Reader.UInt32(); // attr_vals length
            uint words = reply.Reader.UInt32();
            uint[] map = Enumerable.Range(0, (int)words).Select(_ => reply.Reader.UInt32()).ToArray();
            return words > 2 ? map[2] : 0;
        }
        // space_freed 78, change_attr_type 79, xattr_support 82; never clone_blksize 77 or sec_label 80 here.
        uint expected = 1u << (78 - 64) | 1u << (79 - 64) | 1u << (82 - 64);
        Assert.Equal(expected, Word2(Minor2) & expected);
        Assert.Equal(0u, Word2(Minor2) & (1u << (80 - 64)));
        Assert.Equal(0u, Word2(1) & expected);
    }

    [Fact]
    public void SeekFindsDataAndHolesFromTheBlockMap()
    {
        using Nfs4TestClient client = Connect();
        var (handle, stateid) = SparseFile(client);
        ulong size = 2 * Block + 110;
        Assert.Equal(size, Size(client, handle));

        Assert.Equal((Nfs4Status.Ok, false, 2 * Block), Seek(client, handle, stateid, 0, data: true));
        Assert.Equal((Nfs4Status.Ok, false, 2 * Block + 105), Seek(client, handle, stateid, 2 * Block + 105, data: true));
        Assert.Equal((Nfs4Status.Ok, false, 0UL), Seek(client, handle, stateid, 0, data: false));
        Assert.Equal((Nfs4Status.Ok, false, Block + 7), Seek(client, handle, stateid, Block + 7, data: false));
        // After the last data the end of the file is the hole.
        Assert.Equal((Nfs4Status.Ok, true, size), Seek(client, handle, stateid, 2 * Block, data: false));
        // At or past the end: NXIO (knfsd's ENXIO), for data and holes alike.
        Assert.Equal(Nfs4Status.NxIo, Seek(client, handle, stateid, size, data: true).Status);
        Assert.Equal(Nfs4Status.NxIo, Seek(client, handle, stateid, size + 5, data: false).Status);

        var (_, _, bad) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.Seek);
            b.Raw(stateid);
            b.UInt64(0);
            b.UInt32(7);
        });
        Assert.Equal(Nfs4Status.UnionNotSupp, bad);
    }

    [Fact]
    public void ReadPlusAnswersHolesAsSegmentsAndDataAsBytes()
    {
        using Nfs4TestClient client = Connect();
        var (handle, stateid) = SparseFile(client);
        var (reply, op, status) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.ReadPlus);
            b.Raw(stateid);
            b.UInt64(2 * Block - 50);
            b.UInt32(1000);
        });
        Assert.Equal(((uint)Nfs4Op.ReadPlus, Nfs4Status.Ok), (op, status));
        Assert.True(reply.Reader.Bool()); // eof: the read reached the end
        Assert.Equal(2u, reply.Reader.UInt32());
        Assert.Equal(1u, reply.Reader.UInt32()); // NFS4_CONTENT_HOLE
        Assert.Equal(2 * Block - 50, reply.Reader.UInt64());
        Assert.Equal(50UL, reply.Reader.UInt64());
        Assert.Equal(0u, reply.Reader.UInt32()); // NFS4_CONTENT_DATA
        Assert.Equal(2 * Block, reply.Reader.UInt64());
        byte[] data = reply.Reader.Opaque();
        Assert.Equal(110, data.Length);
        Assert.All(data[..100], x => Assert.Equal(0, x));
        Assert.Equal("0123456789"u8.ToArray(), data[100..]);
    }

    [Fact]
    public void AllocateGrowsTheFileAsAHoleAndDeallocatePunchesWholeBlocks()
    {
        using Nfs4TestClient client = Connect();
        var (handle, stateid) = Nfs4OperationTests.CreateOpen(client, Unique("falloc-"));
        Assert.Equal(Nfs4Status.Ok, Allocate(client, handle, stateid, 0, 3 * Block, deallocate: false));
        Assert.Equal(3 * Block, Size(client, handle));
        Assert.Equal(Nfs4Status.NxIo, Seek(client, handle, stateid, 0, data: true).Status); // all hole
        Assert.Equal(0UL, SpaceUsed(client, handle));

        byte[] ones = Enumerable.Repeat((byte)1, 1 << 20).ToArray();
        for (ulong b = 0; b < 3; b++) Write(client, handle, stateid, b * Block + Block - (ulong)ones.Length, ones);
        Write(client, handle, stateid, Block, ones);
        Assert.Equal((Nfs4Status.Ok, true, 3 * Block), Seek(client, handle, stateid, 0, data: false));
        Assert.Equal(3 * Block, SpaceUsed(client, handle));

        // Punch [Block - 10, 2 * Block + 10): block 1 goes whole, 10 bytes at each side are zeroed; the size stays.
        Assert.Equal(Nfs4Status.Ok, Allocate(client, handle, stateid, Block - 10, Block + 20, deallocate: true));
        Assert.Equal(3 * Block, Size(client, handle));
        Assert.Equal((Nfs4Status.Ok, false, Block), Seek(client, handle, stateid, 0, data: false));
        Assert.Equal((Nfs4Status.Ok, false, 2 * Block), Seek(client, handle, stateid, Block, data: true));
        Assert.Equal(2 * Block, SpaceUsed(client, handle)); // space_used drops with the punched block

        var (reply, _, status) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.Read);
            b.Raw(stateid);
            b.UInt64(Block - 20);
            b.UInt32(20);
        });
        Assert.Equal(Nfs4Status.Ok, status);
        reply.Reader.Bool();
        Assert.Equal([.. Enumerable.Repeat((byte)1, 10), .. new byte[10]], reply.Reader.Opaque());

        // ALLOCATE past the largest file size is FBIG; a zero length INVAL.
        Assert.Equal(Nfs4Status.FBig, Allocate(client, handle, stateid, long.MaxValue, 2, deallocate: false));
        Assert.Equal(Nfs4Status.Inval, Allocate(client, handle, stateid, 0, 0, deallocate: true));
    }

    [Fact]
    public void DeallocateOnADirectoryIsIsDir()
    {
        using Nfs4TestClient client = Connect();
        CompoundReply reply = client.Compound(4, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            b.UInt32((uint)Nfs4Op.Deallocate);
            b.Raw(new byte[16]); // the anonymous stateid
            b.UInt64(0);
            b.UInt64(4096);
        }, Minor2);
        Assert.Equal(Nfs4Status.IsDir, reply.Status);
    }

    private static Nfs4Status SetXattr(Nfs4TestClient client, byte[] handle, uint option, byte[] name, byte[] value) =>
        OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.SetXattr);
            b.UInt32(option);
            b.Opaque(name);
            b.Opaque(value);
        }).Status;

    private static (Nfs4Status Status, byte[]? Value) GetXattr(Nfs4TestClient client, byte[] handle, byte[] name)
    {
        var (reply, _, status) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.GetXattr);
            b.Opaque(name);
        });
        return (status, status == Nfs4Status.Ok ? reply.Reader.Opaque() : null);
    }

    private static void AssertXattr(string expected, (Nfs4Status Status, byte[]? Value) got)
    {
        Assert.Equal(Nfs4Status.Ok, got.Status);
        Assert.Equal(expected, Encoding.UTF8.GetString(got.Value!));
    }

    private static (Nfs4Status Status, ulong Cookie, string[] Names, bool Eof) ListXattrs(Nfs4TestClient client, byte[] handle, ulong cookie, uint maxCount)
    {
        var (reply, _, status) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.ListXattrs);
            b.UInt64(cookie);
            b.UInt32(maxCount);
        });
        if (status != Nfs4Status.Ok) return (status, 0, [], false);
        ulong next = reply.Reader.UInt64();
        string[] names = Enumerable.Range(0, (int)reply.Reader.UInt32()).Select(_ => Encoding.UTF8.GetString(reply.Reader.Opaque())).ToArray();
        return (status, next, names, reply.Reader.Bool());
    }

    [Fact]
    public void ExtendedAttributesFollowCreateReplaceAndTheirLimits()
    {
        using Nfs4TestClient client = Connect();
        var (handle, _) = Nfs4OperationTests.CreateOpen(client, Unique("xattr-"));
        byte[] color = "color"u8.ToArray();
        Assert.Equal(Nfs4Status.NoXattr, GetXattr(client, handle, color).Status);
        Assert.Equal(Nfs4Status.Ok, SetXattr(client, handle, Nfs4Const.SetXattr4Create, color, "blue"u8.ToArray()));
        Assert.Equal(Nfs4Status.Exist, SetXattr(client, handle, Nfs4Const.SetXattr4Create, color, "red"u8.ToArray()));
        AssertXattr("blue", GetXattr(client, handle, color));
        Assert.Equal(Nfs4Status.Ok, SetXattr(client, handle, Nfs4Const.SetXattr4Replace, color, "green"u8.ToArray()));
        AssertXattr("green", GetXattr(client, handle, color));
        Assert.Equal(Nfs4Status.NoXattr, SetXattr(client, handle, Nfs4Const.SetXattr4Replace, "absent"u8.ToArray(), [1]));

        Assert.Equal(Nfs4Status.NameTooLong, SetXattr(client, handle, Nfs4Const.SetXattr4Either, Enumerable.Repeat((byte)'n', 256).ToArray(), [1]));
        Assert.Equal(Nfs4Status.Xattr2Big, SetXattr(client, handle, Nfs4Const.SetXattr4Either, "big"u8.ToArray(), new byte[(64 << 10) + 1]));
        Assert.Equal(Nfs4Status.Ok, SetXattr(client, handle, Nfs4Const.SetXattr4Either, "max"u8.ToArray(), new byte[64 << 10]));
        Assert.Equal(64 << 10, GetXattr(client, handle, "max"u8.ToArray()).Value!.Length);

        // LISTXATTRS pages by cookie: room for one name at a time (cookie 8 + count 4 + eof 4 + one 8-byte name).
        Assert.Equal(Nfs4Status.Ok, SetXattr(client, handle, Nfs4Const.SetXattr4Either, "alpha"u8.ToArray(), [2]));
        var all = ListXattrs(client, handle, 0, 4096);
        Assert.Equal((Nfs4Status.Ok, 3UL, true), (all.Status, all.Cookie, all.Eof));
        Assert.Equal(["alpha", "color", "max"], all.Names);
        var first = ListXattrs(client, handle, 0, 8 + 4 + 4 + 12);
        Assert.Equal((Nfs4Status.Ok, 1UL, false), (first.Status, first.Cookie, first.Eof));
        Assert.Equal(["alpha"], first.Names);
        var rest = ListXattrs(client, handle, first.Cookie, 4096);
        Assert.Equal(["color", "max"], rest.Names);
        Assert.True(rest.Eof);
        Assert.Equal(Nfs4Status.TooSmall, ListXattrs(client, handle, 0, 8).Status);

        var (_, _, removed) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.RemoveXattr);
            b.Opaque(color);
        });
        Assert.Equal(Nfs4Status.Ok, removed);
        Assert.Equal(Nfs4Status.NoXattr, GetXattr(client, handle, color).Status);
        var (_, _, again) = OnFile(client, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.RemoveXattr);
            b.Opaque(color);
        });
        Assert.Equal(Nfs4Status.NoXattr, again);
    }

    [Fact]
    public void ExtendedAttributesNeedReadAndWritePermissionAndAccessSaysSo()
    {
        using Nfs4TestClient root = Connect();
        var (handle, _) = Nfs4OperationTests.CreateOpen(root, Unique("xperm-"));
        Assert.Equal(Nfs4Status.Ok, SetXattr(root, handle, Nfs4Const.SetXattr4Either, "k"u8.ToArray(), "v"u8.ToArray()));
        // Mode 0644 (root's): another user reads the attributes but may not change them.
        var (_, _, chmod) = OnFile(root, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.SetAttr);
            b.Raw(new byte[16]);
            Nfs4OperationTests.Bitmap(b, 33);
            b.UInt32(4);
            b.UInt32(0x1A4);
        });
        Assert.Equal(Nfs4Status.Ok, chmod);

        using Nfs4TestClient other = Connect(uid: 4242);
        AssertXattr("v", GetXattr(other, handle, "k"u8.ToArray()));
        Assert.Equal(Nfs4Status.Access, SetXattr(other, handle, Nfs4Const.SetXattr4Either, "k"u8.ToArray(), "w"u8.ToArray()));

        var (reply, _, status) = OnFile(other, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.Access);
            b.UInt32(0x1 | 0x4 | Nfs4Const.Access4XaRead | Nfs4Const.Access4XaWrite | Nfs4Const.Access4XaList);
        });
        Assert.Equal(Nfs4Status.Ok, status);
        Assert.Equal(0x1 | 0x4 | Nfs4Const.Access4XaRead | Nfs4Const.Access4XaWrite | Nfs4Const.Access4XaList, reply.Reader.UInt32()); // supported
        Assert.Equal(0x1 | Nfs4Const.Access4XaRead | Nfs4Const.Access4XaList, reply.Reader.UInt32());             // granted

        // Minor version 1 knows no xattr bits: not even "supported".
        var (reply1, _, status1) = OnFile(other, handle, b =>
        {
            b.UInt32((uint)Nfs4Op.Access);
            b.UInt32(0x1 | Nfs4Const.Access4XaRead);
        }, minor: 1);
        Assert.Equal(Nfs4Status.Ok, status1);
        Assert.Equal(0x1u, reply1.Reader.UInt32());
    }
}
