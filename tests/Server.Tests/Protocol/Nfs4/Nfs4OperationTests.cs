using System.Buffers.Binary;
using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>NFSv4.1 operations over a raw socket: stateids, open/lock state between clients, the pseudo-fs, attributes.</summary>
public sealed class Nfs4OperationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private int Port => fixture.Server.NfsPort;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static Nfs4TestClient Connect(int port, uint uid = 0)
    {
        var client = new Nfs4TestClient(port);
        client.Rpc.Uid = uid;
        client.Rpc.Gid = uid;
        client.Establish(Unique("ops-"));
        return client;
    }

    internal static void Bitmap(XdrWriterBox b, params int[] bits)
    {
        uint[] words = new uint[3];
        foreach (int bit in bits) words[bit / 32] |= 1u << (bit % 32);
        int count = words[2] != 0 ? 3 : words[1] != 0 ? 2 : words[0] != 0 ? 1 : 0;
        b.UInt32((uint)count);
        for (int i = 0; i < count; i++) b.UInt32(words[i]);
    }

    /// <summary>OPEN (CLAIM_NULL, create UNCHECKED4 when <paramref name="create"/>) by open owner <paramref name="owner"/>.</summary>
    internal static void Open(XdrWriterBox b, ulong clientId, string owner, string name, uint access = 3, bool create = true, uint deny = 0)
    {
        b.UInt32((uint)Nfs4Op.Open);
        b.UInt32(0);
        b.UInt32(access);
        b.UInt32(deny);
        b.UInt64(clientId);
        b.Opaque(Encoding.UTF8.GetBytes(owner));
        b.UInt32(create ? 1u : 0u);
        if (create)
        {
            b.UInt32(0); // UNCHECKED4
            Bitmap(b);
            b.UInt32(0);
        }
        b.UInt32(0); // CLAIM_NULL
        b.Opaque(Encoding.UTF8.GetBytes(name));
    }

    /// <summary>Reads an OPEN4resok and returns its stateid (16 bytes).</summary>
    internal static byte[] ReadOpenResult(CompoundReply reply)
    {
        byte[] stateid = reply.Reader.Raw(16);
        reply.Reader.Raw(4 + 8 + 8 + 4); // cinfo, rflags
        uint words = reply.Reader.UInt32();
        reply.Reader.Raw((int)words * 4);
        Assert.Equal(0u, reply.Reader.UInt32()); // OPEN_DELEGATE_NONE
        return stateid;
    }

    private static void Read(XdrWriterBox b, byte[] stateid, ulong offset = 0, uint count = 100)
    {
        b.UInt32((uint)Nfs4Op.Read);
        b.Raw(stateid);
        b.UInt64(offset);
        b.UInt32(count);
    }

    private static void PutExport(XdrWriterBox b)
    {
        Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        Nfs4TestClient.Lookup(b, "export");
    }

    /// <summary>Creates and opens a file in the export; returns its handle and open stateid.</summary>
    internal static (byte[] Handle, byte[] Stateid) CreateOpen(Nfs4TestClient client, string name, string owner = "owner1")
    {
        CompoundReply reply = client.Compound(5, b =>
        {
            client.Sequence(b);
            PutExport(b);
            Open(b, client.ClientId, owner, name);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        SkipTo(reply, 3);
        Assert.Equal(((uint)Nfs4Op.Open, Nfs4Status.Ok), reply.Next());
        byte[] stateid = ReadOpenResult(reply);
        Assert.Equal(((uint)Nfs4Op.GetFh, Nfs4Status.Ok), reply.Next());
        return (reply.Reader.Opaque(), stateid);
    }

    /// <summary>Skips the SEQUENCE, PUTROOTFH and LOOKUP results at the start of a reply (then <paramref name="index"/> results were read).</summary>
    private static void SkipTo(CompoundReply reply, int index)
    {
        Assert.Equal(((uint)Nfs4Op.Sequence, Nfs4Status.Ok), reply.Next());
        reply.Reader.Raw(16 + 20);
        for (int i = 1; i < index; i++) Assert.Equal(Nfs4Status.Ok, reply.Next().Status);
    }

    private static Nfs4Status ReadStatus(Nfs4TestClient client, byte[] handle, byte[] stateid)
    {
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            Read(b, stateid);
        });
        return reply.Status;
    }

    [Fact]
    public void StaleBadAndOldStateidsGetTheirOwnErrors()
    {
        using Nfs4TestClient client = Connect(Port);
        string name = Unique("sid-");
        var (handle, first) = CreateOpen(client, name);
        Assert.Equal(Nfs4Status.Ok, ReadStatus(client, handle, first));

        // A second OPEN by the same owner bumps the seqid: the first stateid is now old.
        var (_, second) = CreateOpen(client, name);
        Assert.Equal(first.AsSpan(4).ToArray(), second.AsSpan(4).ToArray());
        Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(first) + 1, BinaryPrimitives.ReadUInt32BigEndian(second));
        Assert.Equal(Nfs4Status.OldStateId, ReadStatus(client, handle, first));
        Assert.Equal(Nfs4Status.Ok, ReadStatus(client, handle, second));

        byte[] stale = (byte[])second.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(stale.AsSpan(4), BinaryPrimitives.ReadUInt32BigEndian(stale.AsSpan(4)) - 1); // an earlier boot
        Assert.Equal(Nfs4Status.StaleStateId, ReadStatus(client, handle, stale));

        byte[] bad = (byte[])second.Clone();
        bad[15] ^= 0x5A; // an id never handed out
        Assert.Equal(Nfs4Status.BadStateId, ReadStatus(client, handle, bad));

        byte[] future = (byte[])second.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(future, 99);
        Assert.Equal(Nfs4Status.BadStateId, ReadStatus(client, handle, future));

        // Another client cannot use it.
        using Nfs4TestClient other = Connect(Port);
        Assert.Equal(Nfs4Status.BadStateId, ReadStatus(other, handle, second));

        // After CLOSE the stateid is gone.
        CompoundReply close = client.Compound(3, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            b.UInt32((uint)Nfs4Op.Close);
            b.UInt32(0);
            b.Raw(second);
        });
        Assert.Equal(Nfs4Status.Ok, close.Status);
        Assert.Equal(Nfs4Status.BadStateId, ReadStatus(client, handle, second));
        Assert.Equal(Nfs4Status.Ok, ReadStatus(client, handle, new byte[16])); // the anonymous stateid still reads
    }

    private static CompoundReply Lock(Nfs4TestClient client, byte[] handle, byte[] openStateid, string lockOwner, ulong offset, ulong length, bool write = true) =>
        client.LockNewOwner(handle, openStateid, lockOwner, offset, length, write);

    [Fact]
    public void ByteRangeLocksConflictBetweenClients()
    {
        using Nfs4TestClient a = Connect(Port);
        using Nfs4TestClient b = Connect(Port);
        string name = Unique("lock-");
        var (handle, openA) = CreateOpen(a, name);
        var (_, openB) = CreateOpen(b, name);

        CompoundReply locked = Lock(a, handle, openA, "lo-a", 0, 100);
        Assert.Equal(Nfs4Status.Ok, locked.Status);
        SkipTo(locked, 2);
        Assert.Equal(((uint)Nfs4Op.Lock, Nfs4Status.Ok), locked.Next());
        byte[] lockStateid = locked.Reader.Raw(16);

        CompoundReply denied = Lock(b, handle, openB, "lo-b", 50, 10, write: false);
        Assert.Equal(Nfs4Status.Denied, denied.Status);
        SkipTo(denied, 2);
        Assert.Equal(((uint)Nfs4Op.Lock, Nfs4Status.Denied), denied.Next());
        Assert.Equal(0ul, denied.Reader.UInt64());     // conflicting offset
        Assert.Equal(100ul, denied.Reader.UInt64());   // length
        Assert.Equal(2u, denied.Reader.UInt32());      // WRITE_LT
        Assert.Equal(a.ClientId, denied.Reader.UInt64());
        Assert.Equal("lo-a", Encoding.UTF8.GetString(denied.Reader.Opaque()));

        Assert.Equal(Nfs4Status.Ok, Lock(b, handle, openB, "lo-b", 100, 10).Status); // adjacent, no overlap

        // LOCKT sees the conflict; LOCKU releases it.
        CompoundReply test = b.Compound(3, x =>
        {
            b.Sequence(x);
            x.UInt32((uint)Nfs4Op.PutFh);
            x.Opaque(handle);
            x.UInt32((uint)Nfs4Op.LockT);
            x.UInt32(2);
            x.UInt64(10);
            x.UInt64(1);
            x.UInt64(b.ClientId);
            x.Opaque("lo-b"u8.ToArray());
        });
        Assert.Equal(Nfs4Status.Denied, test.Status);
        CompoundReply unlock = a.Compound(3, x =>
        {
            a.Sequence(x);
            x.UInt32((uint)Nfs4Op.PutFh);
            x.Opaque(handle);
            x.UInt32((uint)Nfs4Op.LockU);
            x.UInt32(2);
            x.UInt32(0);
            x.Raw(lockStateid);
            x.UInt64(0);
            x.UInt64(ulong.MaxValue);
        });
        Assert.Equal(Nfs4Status.Ok, unlock.Status);
        Assert.Equal(Nfs4Status.Ok, Lock(b, handle, openB, "lo-b", 50, 10).Status);
    }

    [Fact]
    public void PseudoRootListsTheExportAndLookupPReturnsToIt()
    {
        using Nfs4TestClient client = Connect(Port);
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            b.UInt32((uint)Nfs4Op.ReadDir);
            b.UInt64(0);
            b.UInt64(0);
            b.UInt32(4096);
            b.UInt32(8192);
            Bitmap(b, 1, 8, 55); // type, fsid, mounted_on_fileid
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        SkipTo(reply, 2);
        Assert.Equal(((uint)Nfs4Op.ReadDir, Nfs4Status.Ok), reply.Next());
        reply.Reader.Raw(8);
        Assert.True(reply.Reader.Bool());
        Assert.Equal(3ul, reply.Reader.UInt64());
        Assert.Equal("export", Encoding.UTF8.GetString(reply.Reader.Opaque()));
        Assert.Equal(2u, reply.Reader.UInt32()); // bitmap words
        reply.Reader.Raw(8);
        byte[] attrs = reply.Reader.Opaque();
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(attrs));          // NF4DIR
        Assert.NotEqual(0ul, BinaryPrimitives.ReadUInt64BigEndian(attrs.AsSpan(4))); // the export's fsid, not the pseudo-fs's
        Assert.False(reply.Reader.Bool());
        Assert.True(reply.Reader.Bool()); // eof

        CompoundReply back = client.Compound(6, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4TestClient.Op(b, Nfs4Op.LookupP);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Assert.Equal(Nfs4Status.Ok, back.Status);
        SkipTo(back, 2);
        back.Next();
        byte[] root = back.Reader.Opaque();
        back.Next();
        back.Next();
        back.Next();
        Assert.Equal(root, back.Reader.Opaque());

        CompoundReply missing = client.Compound(3, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "nope");
        });
        Assert.Equal(Nfs4Status.NoEnt, missing.Status);
    }

    [Fact]
    public void OwnersAreNumericStringsAndAcceptNamesWithDomains()
    {
        using Nfs4TestClient root = Connect(Port, uid: 0);
        string name = Unique("own-");
        var (handle, _) = CreateOpen(root, name);
        string[] Owners()
        {
            CompoundReply reply = root.Compound(3, b =>
            {
                root.Sequence(b);
                b.UInt32((uint)Nfs4Op.PutFh);
                b.Opaque(handle);
                b.UInt32((uint)Nfs4Op.GetAttr);
                Bitmap(b, 36, 37);
            });
            Assert.Equal(Nfs4Status.Ok, reply.Status);
            SkipTo(reply, 2);
            reply.Next();
            uint words = reply.Reader.UInt32();
            reply.Reader.Raw((int)words * 4);
            reply.Reader.UInt32();
            return [reply.Reader.String(), reply.Reader.String()];
        }
        Nfs4Status SetOwner(string owner, string group)
        {
            return root.Compound(3, b =>
            {
                root.Sequence(b);
                b.UInt32((uint)Nfs4Op.PutFh);
                b.Opaque(handle);
                b.UInt32((uint)Nfs4Op.SetAttr);
                b.Raw(new byte[16]);
                Bitmap(b, 36, 37);
                var values = new XdrWriterBox();
                values.String(owner);
                values.String(group);
                b.Opaque(values.Bytes);
            }).Status;
        }
        Assert.Equal(["0", "0"], Owners());
        Assert.Equal(Nfs4Status.Ok, SetOwner("1000", "1000"));
        Assert.Equal(["1000", "1000"], Owners());
        // "name@domain" forms: numeric users map, unknown names become the anonymous id.
        Assert.Equal(Nfs4Status.Ok, SetOwner("1234@example.com", "4321"));
        Assert.Equal(["1234", "4321"], Owners());
        Assert.Equal(Nfs4Status.Ok, SetOwner("nobody", "somegroup@example.com"));
        Assert.Equal(["65534", "65534"], Owners());
    }

    [Fact]
    public void VerifyAndNVerifyCompareAttributes()
    {
        using Nfs4TestClient client = Connect(Port);
        var (handle, _) = CreateOpen(client, Unique("ver-"));
        Nfs4Status Check(Nfs4Op op, ulong size) => client.Compound(3, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            b.UInt32((uint)op);
            Bitmap(b, 4);
            var values = new XdrWriterBox();
            values.UInt64(size);
            b.Opaque(values.Bytes);
        }).Status;
        Assert.Equal(Nfs4Status.Ok, Check(Nfs4Op.Verify, 0));
        Assert.Equal(Nfs4Status.NotSame, Check(Nfs4Op.Verify, 7));
        Assert.Equal(Nfs4Status.Same, Check(Nfs4Op.NVerify, 0));
        Assert.Equal(Nfs4Status.Ok, Check(Nfs4Op.NVerify, 7));
    }

    [Theory]
    [InlineData(Nfs4Op.LayoutGet)]
    [InlineData(Nfs4Op.GetDirDelegation)]
    [InlineData(Nfs4Op.GetDeviceInfo)]
    [InlineData(Nfs4Op.WantDelegation)]
    [InlineData(Nfs4Op.SetClientId)]
    public void UnsupportedOperationsAreNotSupp(Nfs4Op op)
    {
        using Nfs4TestClient client = Connect(Port);
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Op(b, op);
        });
        Assert.Equal(Nfs4Status.NotSupp, reply.Status);
        Assert.Equal(3, reply.Count);
    }

    [Fact]
    public void NoCurrentFilehandleIsNoFileHandle()
    {
        using Nfs4TestClient client = Connect(Port);
        CompoundReply reply = client.Compound(2, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Assert.Equal(Nfs4Status.NoFileHandle, reply.Status);
        CompoundReply badHandle = client.Compound(2, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(new byte[] { 1, 2, 3 });
        });
        Assert.Equal(Nfs4Status.BadHandle, badHandle.Status);
    }
}
