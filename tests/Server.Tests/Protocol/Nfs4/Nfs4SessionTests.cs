using System.Buffers.Binary;
using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// NFSv4.1 COMPOUND and session rules over a raw socket against the real server:
/// the slot reply cache, slot and sequence errors, limits, and that every error
/// leaves the connection usable.
/// </summary>
public sealed class Nfs4SessionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private int Port => fixture.Server.NfsPort;

    private static string Owner() => "test-" + Guid.NewGuid().ToString("N");

    /// <summary>A compound that must work: SEQUENCE, PUTROOTFH, GETFH.</summary>
    private static void AssertUsable(Nfs4TestClient client)
    {
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        Assert.Equal(3, reply.Count);
    }

    [Fact]
    public void SequenceReplayReturnsTheCachedReplyByteForByte()
    {
        using var client = new Nfs4TestClient(Port);
        client.Establish(Owner());
        string dir = "replay-" + Guid.NewGuid().ToString("N")[..8];
        uint xid = client.NextXid();
        Action<XdrWriterBox> ops = b =>
        {
            client.Sequence(b, slot: 1, seqid: 1);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            b.UInt32((uint)Nfs4Op.Create);
            b.UInt32(2); // NF4DIR
            b.Opaque(Encoding.UTF8.GetBytes(dir));
            b.UInt32(0); // empty bitmap
            b.UInt32(0); // no values
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        };
        byte[] call = client.BuildCompound(xid, 1, 5, ops);
        client.Rpc.SendRecord(call);
        byte[] first = client.Rpc.ReceiveRecord();
        CompoundReply parsed = Nfs4TestClient.Parse(first);
        Assert.Equal(Nfs4Status.Ok, parsed.Status);
        Assert.Equal(5, parsed.Count);

        // The same request again (a retransmission): not executed again (CREATE would say EXIST), the same bytes.
        client.Rpc.SendRecord(call);
        byte[] second = client.Rpc.ReceiveRecord();
        Assert.Equal(first, second);

        // The same slot and seqid under another xid: the same reply after the xid.
        byte[] again = client.BuildCompound(xid + 1000, 1, 5, ops);
        client.Rpc.SendRecord(again);
        byte[] third = client.Rpc.ReceiveRecord();
        Assert.Equal(xid + 1000, BinaryPrimitives.ReadUInt32BigEndian(third));
        Assert.Equal(first.AsSpan(4).ToArray(), third.AsSpan(4).ToArray());

        // The next seqid on that slot runs again: now CREATE finds the directory.
        CompoundReply next = client.Compound(4, b =>
        {
            client.Sequence(b, slot: 1, seqid: 2);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            b.UInt32((uint)Nfs4Op.Create);
            b.UInt32(2);
            b.Opaque(Encoding.UTF8.GetBytes(dir));
            b.UInt32(0);
            b.UInt32(0);
        });
        Assert.Equal(Nfs4Status.Exist, next.Status);
        Assert.Equal(4, next.Count);
        AssertUsable(client);
    }

    [Fact]
    public void BadSlotIsBadSlot()
    {
        using var client = new Nfs4TestClient(Port);
        client.Establish(Owner(), slots: 4);
        CompoundReply reply = client.Compound(2, b =>
        {
            client.Sequence(b, slot: 4, seqid: 1);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        });
        Assert.Equal(Nfs4Status.BadSlot, reply.Status);
        Assert.Equal(1, reply.Count);
        Assert.Equal(((uint)Nfs4Op.Sequence, Nfs4Status.BadSlot), reply.Next());
        AssertUsable(client);
    }

    [Fact]
    public void WrongSequenceIdIsMisordered()
    {
        using var client = new Nfs4TestClient(Port);
        client.Establish(Owner());
        CompoundReply reply = client.Compound(1, b => client.Sequence(b, slot: 0, seqid: 5));
        Assert.Equal(Nfs4Status.SeqMisordered, reply.Status);
        Assert.Equal(((uint)Nfs4Op.Sequence, Nfs4Status.SeqMisordered), reply.Next());
        AssertUsable(client);
    }

    [Fact]
    public void UnknownSessionIsBadSession()
    {
        using var client = new Nfs4TestClient(Port);
        client.Establish(Owner());
        byte[] real = client.SessionId;
        CompoundReply reply = client.Compound(1, b =>
        {
            b.UInt32((uint)Nfs4Op.Sequence);
            b.Raw(new byte[16]);
            b.UInt32(1);
            b.UInt32(0);
            b.UInt32(0);
            b.UInt32(0);
        });
        Assert.Equal(Nfs4Status.BadSession, reply.Status);
        Assert.Equal(real, client.SessionId);
        AssertUsable(client);
    }

    [Fact]
    public void StaleClientIdIsStaleClientId()
    {
        using var client = new Nfs4TestClient(Port);
        CompoundReply reply = client.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, 0x0000_0001_0000_1234, 1));
        Assert.Equal(Nfs4Status.StaleClientId, reply.Status);
        Assert.Equal(((uint)Nfs4Op.CreateSession, Nfs4Status.StaleClientId), reply.Next());
        client.Establish(Owner());
        AssertUsable(client);
    }

    [Fact]
    public void TenThousandOpsIsTooManyOps()
    {
        using var client = new Nfs4TestClient(Port);
        client.Establish(Owner(), maxOps: 16);
        CompoundReply reply = client.Compound(10_000, b =>
        {
            client.Sequence(b);
            for (int i = 1; i < 10_000; i++) Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        });
        Assert.Equal(Nfs4Status.TooManyOps, reply.Status);
        Assert.Equal(1, reply.Count);
        Assert.Equal(((uint)Nfs4Op.Sequence, Nfs4Status.TooManyOps), reply.Next());
        client.SlotSeq[0]--; // the refused SEQUENCE did not use the seqid
        AssertUsable(client);
    }

    [Fact]
    public void UnknownOperationIsOpIllegal()
    {
        using var client = new Nfs4TestClient(Port);
        client.Establish(Owner());
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            b.UInt32(9999);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        });
        Assert.Equal(Nfs4Status.OpIllegal, reply.Status);
        Assert.Equal(2, reply.Count);
        Assert.Equal(((uint)Nfs4Op.Sequence, Nfs4Status.Ok), reply.Next());
        reply.Reader.Raw(16 + 5 * 4);
        Assert.Equal((10044u, Nfs4Status.OpIllegal), reply.Next());
        AssertUsable(client);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(7u)]
    public void OtherMinorVersionsAreMinorVersMismatch(uint minor)
    {
        using var client = new Nfs4TestClient(Port);
        CompoundReply reply = client.Compound(1, b => Nfs4TestClient.Op(b, Nfs4Op.PutRootFh), minor);
        Assert.Equal(Nfs4Status.MinorVersMismatch, reply.Status);
        Assert.Equal(0, reply.Count);
        client.Establish(Owner());
        AssertUsable(client);
    }

    [Fact]
    public void OperationWithoutSequenceIsOpNotInSession()
    {
        using var client = new Nfs4TestClient(Port);
        CompoundReply reply = client.Compound(2, b =>
        {
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Assert.Equal(Nfs4Status.OpNotInSession, reply.Status);
        Assert.Equal(1, reply.Count);
        client.Establish(Owner());
        CompoundReply late = client.Compound(2, b =>
        {
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            client.Sequence(b);
        });
        Assert.Equal(Nfs4Status.OpNotInSession, late.Status);
        client.SlotSeq[0]--;
        CompoundReply second = client.Compound(2, b =>
        {
            client.Sequence(b);
            client.Sequence(b, slot: 1);
        });
        Assert.Equal(Nfs4Status.SequencePos, second.Status);
        client.SlotSeq[1]--;
        AssertUsable(client);
    }

    [Fact]
    public void Version4AndVersion3ShareTheProgram()
    {
        using var client = new RpcClient(Port);
        RpcReply mismatch = client.Call(100003, 5, 0);
        Assert.Equal(2, mismatch.Status); // PROG_MISMATCH
        Assert.Equal(3u, mismatch.Detail1);
        Assert.Equal(4u, mismatch.Detail2);
        Assert.Equal(0, client.Call(100003, 4, 0).Status); // NULL v4
        Assert.Equal(0, client.Call(100003, 3, 0).Status); // NULL v3
    }
}
