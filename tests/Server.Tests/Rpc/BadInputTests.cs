using System.Buffers.Binary;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Rpc;

/// <summary>
/// Bad input over a real socket: each gets the right RPC/NFS error or a closed
/// connection, and a second client is served the whole time.
/// </summary>
public sealed class BadInputTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private int Port => fixture.Server.NfsPort;

    /// <summary>The bystander: a healthy client that must keep working.</summary>
    private void AssertServerStillServes()
    {
        using var client = new Nfs3Client(Port);
        byte[] root = client.Mount();
        GetAttr3Res res = client.GetAttr(root);
        Assert.Equal(Nfs3Status.Ok, res.Status);
        Assert.Equal(Ftype3.Dir, res.ResOk.ObjAttributes.Type);
        Assert.False(fixture.Server.HasExited);
    }

    [Fact]
    public void RandomBytesCloseOnlyThatConnection()
    {
        using var bystander = new Nfs3Client(Port);
        byte[] root = bystander.Mount();
        var random = new Random(42);
        for (int i = 0; i < 20; i++)
        {
            using var bad = new RpcClient(Port);
            byte[] junk = new byte[random.Next(1, 2000)];
            random.NextBytes(junk);
            junk[0] &= 0x7F; // a non-final fragment of some size, or whatever else the bytes say
            bad.SendRaw(junk);
            // Either the server closes it (broken marking/header) or waits for more bytes; both are fine, a crash is not.
            Assert.Equal(Nfs3Status.Ok, bystander.GetAttr(root).Status);
        }
        AssertServerStillServes();
    }

    [Fact]
    public void RandomRecordsAreAnsweredOrClosed()
    {
        var random = new Random(7);
        for (int i = 0; i < 50; i++)
        {
            using var bad = new RpcClient(Port);
            byte[] body = new byte[random.Next(1, 300)];
            random.NextBytes(body);
            bad.SendRecord(body);
            try
            {
                byte[] reply = bad.ReceiveRecord();
                Assert.True(reply.Length >= 12);
            }
            catch (IOException)
            {
                // closed: fine
            }
        }
        AssertServerStillServes();
    }

    [Fact]
    public void TwoGigabyteFragmentClosesTheConnection()
    {
        using var bad = new RpcClient(Port);
        bad.SendRaw([0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.True(bad.IsClosedByServer());
        AssertServerStillServes();
    }

    [Fact]
    public void RecordOverTheMaximumClosesTheConnection()
    {
        using var bad = new RpcClient(Port);
        byte[] mark = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(mark, 0x8000_0000u | (2 * 1024 * 1024));
        bad.SendRaw(mark);
        Assert.True(bad.IsClosedByServer());
        AssertServerStillServes();
    }

    [Fact]
    public void TruncatedRecordThenHangUpLeavesServerHealthy()
    {
        using (var bad = new RpcClient(Port))
        {
            byte[] call = bad.BuildCall(1, 100003, 3, 0, null);
            byte[] mark = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(mark, 0x8000_0000u | (uint)(call.Length + 100));
            bad.SendRaw(mark);
            bad.SendRaw(call);
        }
        AssertServerStillServes();
    }

    [Fact]
    public void TruncatedHeaderClosesTheConnection()
    {
        using var bad = new RpcClient(Port);
        bad.SendRecord([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        Assert.True(bad.IsClosedByServer());
        AssertServerStillServes();
    }

    [Fact]
    public void UnknownProgramIsProgUnavail()
    {
        using var client = new RpcClient(Port);
        RpcReply reply = client.Call(395_000, 1, 0);
        Assert.True(reply.Accepted);
        Assert.Equal(1, reply.Status); // PROG_UNAVAIL
    }

    [Fact]
    public void WrongVersionIsProgMismatchWithRange()
    {
        using var client = new RpcClient(Port);
        RpcReply reply = client.Call(100003, 2, 0);
        Assert.True(reply.Accepted);
        Assert.Equal(2, reply.Status); // PROG_MISMATCH
        Assert.Equal(3u, reply.Detail1);
        Assert.True(reply.Detail2 >= 3u);
    }

    [Fact]
    public void UnknownProcedureIsProcUnavail()
    {
        using var client = new RpcClient(Port);
        RpcReply reply = client.Call(100003, 3, 99);
        Assert.True(reply.Accepted);
        Assert.Equal(3, reply.Status); // PROC_UNAVAIL
    }

    [Fact]
    public void GarbageArgumentsAreGarbageArgs()
    {
        using var client = new RpcClient(Port);
        RpcReply reply = client.Call(100003, 3, 1, a => a.UInt32(1000)); // GETATTR: handle length 1000 > 64, no bytes
        Assert.True(reply.Accepted);
        Assert.Equal(4, reply.Status); // GARBAGE_ARGS
        AssertServerStillServes();
    }

    [Fact]
    public void RpcVersion3IsRpcMismatch()
    {
        using var client = new RpcClient(Port);
        byte[] call = client.BuildCall(77, 100003, 3, 0, null);
        BinaryPrimitives.WriteUInt32BigEndian(call.AsSpan(8), 3);
        client.SendRecord(call);
        RpcReply reply = RpcReply.Parse(client.ReceiveRecord());
        Assert.Equal(77u, reply.Xid);
        Assert.False(reply.Accepted);
        Assert.Equal(0, reply.Status); // RPC_MISMATCH
        Assert.Equal(2u, reply.Detail1);
        Assert.Equal(2u, reply.Detail2);
    }

    [Fact]
    public void AuthSysBodyThatLiesAboutLengthsIsAuthError()
    {
        using var client = new RpcClient(Port);
        // cred body: stamp, machine name length 200 but only 4 bytes follow.
        byte[] cred = [0, 0, 0, 1, 0, 0, 0, 200, (byte)'h', (byte)'o', (byte)'s', (byte)'t'];
        byte[] call = [.. Header(99), 0, 0, 0, 1, .. BE((uint)cred.Length), .. cred, 0, 0, 0, 0, 0, 0, 0, 0];
        client.SendRecord(call);
        RpcReply reply = RpcReply.Parse(client.ReceiveRecord());
        Assert.False(reply.Accepted);
        Assert.Equal(1, reply.Status); // AUTH_ERROR
        Assert.Equal(1u, reply.Detail1); // AUTH_BADCRED

        // 17 supplementary groups (the limit is 16)
        var body = new List<byte>();
        body.AddRange(BE(0)); body.AddRange(BE(4)); body.AddRange("host"u8.ToArray());
        body.AddRange(BE(0)); body.AddRange(BE(0)); body.AddRange(BE(17));
        for (int i = 0; i < 17; i++) body.AddRange(BE((uint)i));
        call = [.. Header(100), 0, 0, 0, 1, .. BE((uint)body.Count), .. body, 0, 0, 0, 0, 0, 0, 0, 0];
        client.SendRecord(call);
        reply = RpcReply.Parse(client.ReceiveRecord());
        Assert.False(reply.Accepted);
        Assert.Equal(1, reply.Status);
        AssertServerStillServes();
    }

    [Fact]
    public void CredentialLengthPastTheRecordClosesOrRejects()
    {
        using var client = new RpcClient(Port);
        byte[] call = [.. Header(5), 0, 0, 0, 1, 0, 0, 1, 0]; // 256-byte body announced, none sent
        client.SendRecord(call);
        Assert.True(client.IsClosedByServer());
        AssertServerStillServes();
    }

    [Fact]
    public void RpcSecGssIsAuthError()
    {
        using var client = new RpcClient(Port) { Flavor = 6 };
        RpcReply reply = client.Call(100003, 3, 0);
        Assert.False(reply.Accepted);
        Assert.Equal(1, reply.Status); // AUTH_ERROR
    }

    [Fact]
    public void LookupDotDotAtTheRootStaysAtTheRoot()
    {
        using var client = new Nfs3Client(Port);
        byte[] root = client.Mount();
        Lookup3Res res = client.Lookup(root, "..");
        Assert.Equal(Nfs3Status.Ok, res.Status);
        Assert.Equal(root, res.ResOk.Object.Data.ToArray());
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("/")]
    [InlineData("a\0b")]
    public void NameWithSlashOrNulIsRefused(string name)
    {
        using var client = new Nfs3Client(Port);
        byte[] root = client.Mount();
        Assert.Equal(Nfs3Status.Acces, client.Lookup(root, name).Status);
        Assert.Equal(Nfs3Status.Acces, client.Create(root, name).Status);
        Assert.Equal(Nfs3Status.Acces, client.MkDir(root, name).Status);
    }

    [Fact]
    public void NameOver255BytesIsNameTooLong()
    {
        using var client = new Nfs3Client(Port);
        byte[] root = client.Mount();
        Assert.Equal(Nfs3Status.NameTooLong, client.Create(root, new string('x', 256)).Status);
        Assert.Equal(Nfs3Status.Ok, client.Create(root, new string('y', 255)).Status);
    }

    [Fact]
    public void ForgedHandlesAreBadHandleOrStale()
    {
        using var client = new Nfs3Client(Port);
        byte[] root = client.Mount();
        Assert.Equal(Nfs3Status.BadHandle, client.GetAttr([1, 2, 3]).Status);
        Assert.Equal(Nfs3Status.BadHandle, client.GetAttr(new byte[64]).Status);
        byte[] forgedInode = (byte[])root.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(forgedInode.AsSpan(8), 0xDEAD_BEEF_0000);
        Assert.Equal(Nfs3Status.Stale, client.GetAttr(forgedInode).Status);
        byte[] forgedVolume = (byte[])root.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(forgedVolume.AsSpan(4), 999);
        Assert.Equal(Nfs3Status.Stale, client.GetAttr(forgedVolume).Status);
        byte[] forgedGeneration = (byte[])root.Clone();
        forgedGeneration[19] ^= 0xFF;
        Assert.Equal(Nfs3Status.Stale, client.GetAttr(forgedGeneration).Status);
        AssertServerStillServes();
    }

    [Fact]
    public void RemovedFileHandleIsStale()
    {
        using var client = new Nfs3Client(Port);
        byte[] root = client.Mount();
        string name = "doomed-" + Guid.NewGuid();
        byte[] file = client.CreateFile(root, name);
        Assert.Equal(Nfs3Status.Ok, client.GetAttr(file).Status);
        Assert.Equal(Nfs3Status.Ok, client.Remove(root, name).Status);
        Assert.Equal(Nfs3Status.Stale, client.GetAttr(file).Status);
        Assert.Equal(Nfs3Status.Stale, client.Read(file, 0, 10).Status);
    }

    private static byte[] BE(uint v)
    {
        byte[] b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    /// <summary>xid, CALL, rpcvers 2, NFS v3 NULL.</summary>
    private static byte[] Header(uint xid) => [.. BE(xid), .. BE(0), .. BE(2), .. BE(100003), .. BE(3), .. BE(0)];
}
