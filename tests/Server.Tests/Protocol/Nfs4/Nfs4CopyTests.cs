using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>A server with two exports, for COPY and CLONE across them.</summary>
public sealed class TwoExportFixture : IDisposable
{
    public TwoExportFixture()
    {
        Server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["DittoFs:Exports:1:Path"] = "/other",
            ["DittoFs:Exports:1:Squash"] = "None",
            ["Logging:LogLevel:DittoFs.Server.Protocol.Nfs4"] = "Debug",
        });
        Server.Start();
    }

    public ServerProcess Server { get; }

    public void Dispose() => Server.Dispose();
}

/// <summary>
/// NFSv4.2 COPY, CLONE, OFFLOAD_STATUS, OFFLOAD_CANCEL and CB_OFFLOAD over raw sockets (RFC 7862 §15.2, §15.8,
/// §15.9, §15.13, §16.1): SAVED_FH the source, CURRENT_FH the destination; errors for ranges, exports and stateids.
/// </summary>
public sealed class Nfs4CopyTests(TwoExportFixture fixture) : IClassFixture<TwoExportFixture>
{
    private static readonly byte[] Anonymous = new byte[16];

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private Nfs4TestClient Connect(bool backChannel = false)
    {
        var client = new Nfs4TestClient(fixture.Server.NfsPort);
        client.Establish(Unique("copy-"), backChannel: backChannel);
        if (backChannel) client.AnswerProbe();
        return client;
    }

    /// <summary>OPEN (create) in an export, WRITE FILE_SYNC the content, CLOSE; the handle and the (closed) open stateid.</summary>
    private static (byte[] Handle, byte[] Closed) CreateFile(Nfs4TestClient client, string export, string name, byte[] content)
    {
        CompoundReply reply = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, export);
            Nfs4OperationTests.Open(b, client.ClientId, "owner", name);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        reply.Next();
        byte[] stateid = Nfs4OperationTests.ReadOpenResult(reply);
        Assert.Equal(((uint)Nfs4Op.GetFh, Nfs4Status.Ok), reply.Next());
        byte[] handle = reply.Reader.Opaque();
        CompoundReply written = client.Compound(4, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.PutFh(b, handle);
            b.UInt32((uint)Nfs4Op.Write);
            b.Raw(stateid);
            b.UInt64(0);
            b.UInt32(2); // FILE_SYNC4
            b.Opaque(content);
            b.UInt32((uint)Nfs4Op.Close);
            b.UInt32(0);
            b.Raw(stateid);
        });
        Assert.Equal(Nfs4Status.Ok, written.Status);
        return (handle, stateid);
    }

    private static byte[] ReadAll(Nfs4TestClient client, byte[] handle)
    {
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b, cacheThis: false);
            Nfs4TestClient.PutFh(b, handle);
            b.UInt32((uint)Nfs4Op.Read);
            b.Raw(Anonymous);
            b.UInt64(0);
            b.UInt32(1 << 20);
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        _ = reply.Reader.Bool();
        return reply.Reader.Opaque();
    }

    /// <summary>SEQUENCE, PUTFH source, SAVEFH, PUTFH destination, then the op (minor version 2 unless told).</summary>
    private static CompoundReply TwoFiles(Nfs4TestClient client, byte[] source, byte[] destination, Action<XdrWriterBox> op, uint minor = 2)
    {
        CompoundReply reply = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.PutFh(b, source);
            Nfs4TestClient.Op(b, Nfs4Op.SaveFh);
            Nfs4TestClient.PutFh(b, destination);
            op(b);
        }, minor);
        if (reply.Count == 5)
        {
            reply.Next();
            reply.Reader.Raw(36);
            reply.Next();
            reply.Next();
            reply.Next();
        }
        return reply;
    }

    private static Action<XdrWriterBox> Copy(ulong srcOffset, ulong dstOffset, ulong count, bool synchronous = true, byte[]? srcStateid = null, byte[]? dstStateid = null) => b =>
    {
        b.UInt32((uint)Nfs4Op.Copy);
        b.Raw(srcStateid ?? Anonymous);
        b.Raw(dstStateid ?? Anonymous);
        b.UInt64(srcOffset);
        b.UInt64(dstOffset);
        b.UInt64(count);
        b.UInt32(1);          // consecutive
        b.UInt32(synchronous ? 1u : 0u);
        b.UInt32(0);          // ca_source_server: none (intra-server)
    };

    private static Action<XdrWriterBox> Clone(ulong srcOffset, ulong dstOffset, ulong count, byte[]? srcStateid = null, byte[]? dstStateid = null) => b =>
    {
        b.UInt32((uint)Nfs4Op.Clone);
        b.Raw(srcStateid ?? Anonymous);
        b.Raw(dstStateid ?? Anonymous);
        b.UInt64(srcOffset);
        b.UInt64(dstOffset);
        b.UInt64(count);
    };

    private static byte[] Content(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Reads COPY4resok: wr_callback_id (0 or 1 stateid), count, committed, verifier, then requirements.</summary>
    private static (byte[]? CallbackId, ulong Count, uint Committed, bool Synchronous) ReadCopyResult(CompoundReply reply)
    {
        Assert.Equal(((uint)Nfs4Op.Copy, Nfs4Status.Ok), reply.Next());
        uint ids = reply.Reader.UInt32();
        byte[]? id = ids == 1 ? reply.Reader.Raw(16) : null;
        ulong count = reply.Reader.UInt64();
        uint committed = reply.Reader.UInt32();
        _ = reply.Reader.UInt64();
        _ = reply.Reader.Bool();
        bool synchronous = reply.Reader.Bool();
        return (id, count, committed, synchronous);
    }

    [Fact]
    public void SynchronousCopyOfAnUnalignedRangeWritesTheBytes()
    {
        using Nfs4TestClient client = Connect();
        byte[] content = Content(10_000, 1);
        var (src, _) = CreateFile(client, "export", Unique("src-"), content);
        var (dst, _) = CreateFile(client, "export", Unique("dst-"), Encoding.UTF8.GetBytes("0123456789"));
        CompoundReply reply = TwoFiles(client, src, dst, Copy(1000, 5, 3000));
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        var (id, count, committed, synchronous) = ReadCopyResult(reply);
        Assert.Null(id);
        Assert.Equal(3000UL, count);
        Assert.Equal(2u, committed); // FILE_SYNC4
        Assert.True(synchronous);
        byte[] expected = [.. Encoding.UTF8.GetBytes("01234"), .. content.AsSpan(1000, 3000)];
        Assert.Equal(expected, ReadAll(client, dst));
    }

    [Fact]
    public void CloneOfAWholeFileToItsEndCopiesIt()
    {
        using Nfs4TestClient client = Connect();
        byte[] content = Content(70_000, 2);
        var (src, _) = CreateFile(client, "export", Unique("src-"), content);
        var (dst, _) = CreateFile(client, "export", Unique("dst-"), []);
        CompoundReply reply = TwoFiles(client, src, dst, Clone(0, 0, 0));
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        Assert.Equal(((uint)Nfs4Op.Clone, Nfs4Status.Ok), reply.Next());
        Assert.Equal(content, ReadAll(client, dst));
    }

    [Fact]
    public void CloneOfAnUnalignedRangeIsInval()
    {
        using Nfs4TestClient client = Connect();
        var (src, _) = CreateFile(client, "export", Unique("src-"), Content(10_000, 3));
        var (dst, _) = CreateFile(client, "export", Unique("dst-"), []);
        Assert.Equal(Nfs4Status.Inval, TwoFiles(client, src, dst, Clone(1, 0, 0)).Status);
        Assert.Equal(Nfs4Status.Inval, TwoFiles(client, src, dst, Clone(0, 4096 + 1, 0)).Status);
        Assert.Equal(Nfs4Status.Inval, TwoFiles(client, src, dst, Clone(0, 0, 100)).Status); // not to the end, not a block
        Assert.Empty(ReadAll(client, dst));
    }

    [Fact]
    public void CopyAndCloneAcrossExportsAreXdev()
    {
        using Nfs4TestClient client = Connect();
        var (src, _) = CreateFile(client, "export", Unique("src-"), Content(5000, 4));
        var (dst, _) = CreateFile(client, "other", Unique("dst-"), []);
        Assert.Equal(Nfs4Status.XDev, TwoFiles(client, src, dst, Copy(0, 0, 100)).Status);
        Assert.Equal(Nfs4Status.XDev, TwoFiles(client, src, dst, Clone(0, 0, 0)).Status);
        Assert.Empty(ReadAll(client, dst));
    }

    [Fact]
    public void CopyPastTheSourcesEndIsInval()
    {
        using Nfs4TestClient client = Connect();
        var (src, _) = CreateFile(client, "export", Unique("src-"), Content(5000, 5));
        var (dst, _) = CreateFile(client, "export", Unique("dst-"), []);
        Assert.Equal(Nfs4Status.Inval, TwoFiles(client, src, dst, Copy(4000, 0, 1001)).Status);
        Assert.Equal(Nfs4Status.Inval, TwoFiles(client, src, dst, Copy(5001, 0, 0)).Status);
        Assert.Equal(Nfs4Status.Inval, TwoFiles(client, src, dst, Copy(4000, 0, 1001, synchronous: false)).Status);
        Assert.Empty(ReadAll(client, dst));
    }

    [Fact]
    public void CopyWithAClosedStateidIsBadStateid()
    {
        using Nfs4TestClient client = Connect();
        var (src, closed) = CreateFile(client, "export", Unique("src-"), Content(5000, 6));
        var (dst, _) = CreateFile(client, "export", Unique("dst-"), []);
        byte[] bumped = (byte[])closed.Clone();
        bumped[3]++; // the seqid CLOSE gave it
        Assert.Equal(Nfs4Status.BadStateId, TwoFiles(client, src, dst, Copy(0, 0, 100, srcStateid: bumped)).Status);
        byte[] foreign = (byte[])closed.Clone();
        foreign[4] ^= 0xFF; // another server instance's boot tag
        Assert.Equal(Nfs4Status.StaleStateId, TwoFiles(client, src, dst, Copy(0, 0, 100, srcStateid: foreign)).Status);
    }

    [Fact]
    public void CopyAndCloneWithAStaleStateidOfEitherFileAreStaleStateidAndWriteNothing()
    {
        using Nfs4TestClient client = Connect();
        var (src, closed) = CreateFile(client, "export", Unique("src-"), Content(5000, 9));
        var (dst, _) = CreateFile(client, "export", Unique("dst-"), []);
        byte[] stale = (byte[])closed.Clone();
        stale[4] ^= 0xFF; // a stateid of an earlier server instance (its boot tag)
        Assert.Equal(Nfs4Status.StaleStateId, TwoFiles(client, src, dst, Copy(0, 0, 100, dstStateid: stale)).Status);
        Assert.Equal(Nfs4Status.StaleStateId, TwoFiles(client, src, dst, Copy(0, 0, 0, synchronous: false, dstStateid: stale)).Status);
        Assert.Equal(Nfs4Status.StaleStateId, TwoFiles(client, src, dst, Clone(0, 0, 0, srcStateid: stale)).Status);
        Assert.Equal(Nfs4Status.StaleStateId, TwoFiles(client, src, dst, Clone(0, 0, 0, dstStateid: stale)).Status);
        Assert.Empty(ReadAll(client, dst));
    }

    [Fact]
    public void CopyAndCloneAreIllegalInMinorVersion1()
    {
        using Nfs4TestClient client = Connect();
        var (src, _) = CreateFile(client, "export", Unique("src-"), Content(100, 7));
        var (dst, _) = CreateFile(client, "export", Unique("dst-"), []);
        Assert.Equal(Nfs4Status.OpIllegal, TwoFiles(client, src, dst, Copy(0, 0, 0), minor: 1).Status);
        Assert.Equal(Nfs4Status.OpIllegal, TwoFiles(client, src, dst, Clone(0, 0, 0), minor: 1).Status);
    }

    [Fact]
    public void OffloadStatusAndCancelOfAnUnknownStateidAreBadStateid()
    {
        using Nfs4TestClient client = Connect();
        var (dst, closed) = CreateFile(client, "export", Unique("dst-"), []);
        byte[] unknown = (byte[])closed.Clone();
        unknown[15] ^= 0x5A; // this server's boot tag, an id it never gave
        foreach (Nfs4Op op in new[] { Nfs4Op.OffloadStatus, Nfs4Op.OffloadCancel })
        {
            CompoundReply reply = client.Compound(3, b =>
            {
                client.Sequence(b);
                Nfs4TestClient.PutFh(b, dst);
                b.UInt32((uint)op);
                b.Raw(unknown);
            }, minor: 2);
            Assert.Equal(Nfs4Status.BadStateId, reply.Status);
        }
    }

    [Fact]
    public void AsynchronousCopyEndsWithCbOffloadOnTheBackChannel()
    {
        using Nfs4TestClient client = Connect(backChannel: true);
        byte[] content = Content(200_000, 8);
        var (src, _) = CreateFile(client, "export", Unique("src-"), content);
        var (dst, _) = CreateFile(client, "export", Unique("dst-"), []);
        CompoundReply reply = TwoFiles(client, src, dst, Copy(0, 0, 0, synchronous: false));
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        var (id, count, _, synchronous) = ReadCopyResult(reply);
        Assert.False(synchronous);
        Assert.NotNull(id);
        Assert.Equal(0UL, count);

        // CB_COMPOUND (minor version 2) of CB_SEQUENCE + CB_OFFLOAD naming the destination and the copy stateid.
        Callback cb;
        try
        {
            cb = client.ReceiveCallback();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException("no CB_OFFLOAD; server log: " + fixture.Server.Log, e);
        }
        Assert.Equal(1u, cb.Procedure);
        XdrReaderBox r = cb.Args;
        _ = r.Opaque();
        Assert.Equal(2u, r.UInt32());   // minorversion
        _ = r.UInt32();
        Assert.Equal(2u, r.UInt32());
        Assert.Equal(11u, r.UInt32());  // CB_SEQUENCE
        byte[] session = r.Raw(16);
        uint sequence = r.UInt32();
        uint slot = r.UInt32();
        _ = r.UInt32();
        _ = r.Bool();
        Assert.Equal(0u, r.UInt32());
        Assert.Equal(15u, r.UInt32());  // CB_OFFLOAD
        Assert.Equal(dst, r.Opaque());
        Assert.Equal(id, r.Raw(16));
        Assert.Equal(Nfs4Status.Ok, (Nfs4Status)r.Int32());
        Assert.Equal(0u, r.UInt32());   // wr_callback_id: none
        Assert.Equal((ulong)content.Length, r.UInt64());
        Assert.Equal(2u, r.UInt32());   // FILE_SYNC4
        client.ReplyToCallback(cb.Xid, b =>
        {
            b.UInt32(0);
            b.Opaque([]);
            b.UInt32(2);
            b.UInt32(11);
            b.UInt32(0);
            b.Raw(session);
            b.UInt32(sequence);
            b.UInt32(slot);
            b.UInt32(0);
            b.UInt32(0);
            b.UInt32(15);
            b.UInt32(0);
        });
        Assert.Equal(content, ReadAll(client, dst));

        // OFFLOAD_STATUS after the callback: all bytes, complete with NFS4_OK.
        CompoundReply status = client.Compound(3, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.PutFh(b, dst);
            b.UInt32((uint)Nfs4Op.OffloadStatus);
            b.Raw(id!);
        }, minor: 2);
        Assert.Equal(Nfs4Status.Ok, status.Status);
        status.Next();
        status.Reader.Raw(36);
        status.Next();
        Assert.Equal(((uint)Nfs4Op.OffloadStatus, Nfs4Status.Ok), status.Next());
        Assert.Equal((ulong)content.Length, status.Reader.UInt64());
        Assert.Equal(1u, status.Reader.UInt32());
        Assert.Equal(0, status.Reader.Int32());
    }
}
