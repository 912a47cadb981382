using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// NFSv4.0 (RFC 7530) over a raw socket: SETCLIENTID / SETCLIENTID_CONFIRM / RENEW, OPEN_CONFIRM, the seqids of open
/// and lock owners (a retransmission gets the same reply, any other seqid BAD_SEQID), RELEASE_LOCKOWNER, the
/// operations of the other minor version, and 4.0 locks against 4.1 locks (one state for both).
/// </summary>
public sealed class Nfs4V40Tests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private int Port => fixture.Server.NfsPort;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private Nfs4TestClient Connect40(uint uid = 0)
    {
        var client = new Nfs4TestClient(Port);
        client.Rpc.Uid = uid;
        client.Rpc.Gid = uid;
        client.Establish40(Unique("v40-"));
        return client;
    }

    [Fact]
    public void SetClientIdConfirmAndRenew()
    {
        using var client = new Nfs4TestClient(Port);
        string owner = Unique("v40-");
        Assert.Equal(Nfs4Status.Ok, client.SetClientId(owner));
        // Unconfirmed: not yet a client RENEW knows; a wrong verifier does not confirm it.
        Assert.Equal(Nfs4Status.StaleClientId, client.Renew(client.ClientId));
        Assert.Equal(Nfs4Status.StaleClientId, client.SetClientIdConfirm(client.ClientId, client.ConfirmVerifier ^ 1));
        Assert.Equal(Nfs4Status.Ok, client.SetClientIdConfirm(client.ClientId, client.ConfirmVerifier));
        // A retransmitted confirm is answered the same.
        Assert.Equal(Nfs4Status.Ok, client.SetClientIdConfirm(client.ClientId, client.ConfirmVerifier));
        Assert.Equal(Nfs4Status.Ok, client.Renew(client.ClientId));
        // A callback update (same verifier): the clientid stays.
        ulong id = client.ClientId;
        Assert.Equal(Nfs4Status.Ok, client.SetClientId(owner));
        Assert.Equal(id, client.ClientId);
        Assert.Equal(Nfs4Status.Ok, client.SetClientIdConfirm(client.ClientId, client.ConfirmVerifier));
        Assert.Equal(Nfs4Status.Ok, client.Renew(id));
    }

    [Fact]
    public void RenewOfAnUnknownClientIsStaleClientIdAndRenewIsNotSupportedInVersionOne()
    {
        using var client = new Nfs4TestClient(Port);
        Assert.Equal(Nfs4Status.StaleClientId, client.Renew(0x1234_5678_9abc_def0));
        // The 4.0-only operations are NOTSUPP in a 4.1 compound (RFC 8881 §18.29: sessions replaced them).
        client.Establish(Unique("v41-"));
        CompoundReply reply = client.Compound(2, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.Renew);
            b.UInt64(client.ClientId);
        });
        Assert.Equal(Nfs4Status.NotSupp, reply.Status);
    }

    [Fact]
    public void AnotherPrincipalCannotTakeOverAConfirmedClientId()
    {
        string owner = Unique("v40-");
        using var victim = new Nfs4TestClient(Port);
        victim.Rpc.Uid = 1000;
        victim.Rpc.Gid = 1000;
        victim.Establish40(owner);
        using var attacker = new Nfs4TestClient(Port);
        attacker.Rpc.Uid = 2000;
        attacker.Rpc.Gid = 2000;
        CompoundReply reply = attacker.Compound40(1, b => Nfs4TestClient.SetClientIdArgs(b, owner, verifier: 2));
        Assert.Equal(Nfs4Status.ClidInUse, reply.Status);
        Assert.Equal(((uint)Nfs4Op.SetClientId, Nfs4Status.ClidInUse), reply.Next());
        Assert.Equal("tcp", System.Text.Encoding.ASCII.GetString(reply.Reader.Opaque())); // clientaddr4 client_using
        // Nor confirm the victim's clientid with its verifier.
        Assert.Equal(Nfs4Status.ClidInUse, attacker.SetClientIdConfirm(victim.ClientId, victim.ConfirmVerifier));
        Assert.Equal(Nfs4Status.Ok, victim.Renew(victim.ClientId));
    }

    [Theory]
    [InlineData(Nfs4Op.Sequence)]
    [InlineData(Nfs4Op.ExchangeId)]
    [InlineData(Nfs4Op.ReclaimComplete)]
    [InlineData(Nfs4Op.TestStateId)]
    public void MinorVersionOneOperationsAreIllegalInAVersionZeroCompound(Nfs4Op op)
    {
        using var client = new Nfs4TestClient(Port);
        CompoundReply reply = client.Compound40(2, b =>
        {
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            b.UInt32((uint)op);
            b.Raw(new byte[64]);
        });
        Assert.Equal(Nfs4Status.OpIllegal, reply.Status);
        Assert.Equal(2, reply.Count);
        Assert.Equal(((uint)Nfs4Op.PutRootFh, Nfs4Status.Ok), reply.Next());
        Assert.Equal(((uint)Nfs4Op.Illegal, Nfs4Status.OpIllegal), reply.Next());
    }

    [Fact]
    public void OpenOfANewOwnerIsConfirmedAndARetransmissionGetsTheSameReply()
    {
        using Nfs4TestClient client = Connect40();
        string owner = Unique("oo-"), name = Unique("f-");
        uint seqid = client.NextSeqid(owner);
        CompoundReply first = client.Open40(owner, name, seqid: seqid);
        Opened40 opened = Nfs4TestClient.ReadOpen40(first);
        Assert.NotEqual(0u, opened.Flags & Nfs4Const.OpenResultConfirm);
        Assert.Equal(1u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(opened.Stateid));

        // The same seqid again: the OPEN is not done twice; the reply (stateid, handle) is the first one's.
        Opened40 replayed = Nfs4TestClient.ReadOpen40(client.Open40(owner, name, seqid: seqid));
        Assert.Equal(opened.Stateid, replayed.Stateid);
        Assert.Equal(opened.Handle, replayed.Handle);

        // A seqid ahead or behind is BAD_SEQID and moves nothing.
        Assert.Equal(Nfs4Status.BadSeqId, client.OnOpen40(Nfs4Op.OpenConfirm, opened.Handle, opened.Stateid, seqid + 5).Status);
        Assert.Equal(Nfs4Status.BadSeqId, client.OnOpen40(Nfs4Op.OpenConfirm, opened.Handle, opened.Stateid, seqid - 1).Status);

        CompoundReply confirm = client.OnOpen40(Nfs4Op.OpenConfirm, opened.Handle, opened.Stateid, client.NextSeqid(owner));
        Assert.Equal(Nfs4Status.Ok, confirm.Status);
        confirm.Next();
        confirm.Next();
        byte[] confirmed = confirm.Reader.Raw(16);
        Assert.Equal(2u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(confirmed));
        Assert.Equal(opened.Stateid.AsSpan(4).ToArray(), confirmed.AsSpan(4).ToArray());
        // OPEN_CONFIRM again by the next seqid: the owner is confirmed already (BAD_STATEID leaves the seqid as it is, §9.1.7).
        Assert.Equal(Nfs4Status.BadStateId, client.OnOpen40(Nfs4Op.OpenConfirm, opened.Handle, confirmed, seqid + 2).Status);

        // A confirmed owner's next OPEN needs no confirmation.
        Opened40 second = Nfs4TestClient.ReadOpen40(client.Open40(owner, Unique("g-")));
        Assert.Equal(0u, second.Flags & Nfs4Const.OpenResultConfirm);
    }

    [Fact]
    public void RetransmittedCloseGetsItsReplyAndALaterSeqidIsChecked()
    {
        using Nfs4TestClient client = Connect40();
        string owner = Unique("oo-");
        Opened40 opened = client.OpenConfirmed40(owner, Unique("f-"));
        uint seqid = client.NextSeqid(owner);
        CompoundReply close = client.OnOpen40(Nfs4Op.Close, opened.Handle, opened.Stateid, seqid);
        Assert.Equal(Nfs4Status.Ok, close.Status);
        // The stateid is gone, yet the retransmission finds its owner and gets OK again, not BAD_STATEID.
        CompoundReply again = client.OnOpen40(Nfs4Op.Close, opened.Handle, opened.Stateid, seqid);
        Assert.Equal(Nfs4Status.Ok, again.Status);
        Assert.Equal(close.Record.AsSpan(8).ToArray(), again.Record.AsSpan(8).ToArray()); // all but the xid
        // Past the replay, the closed stateid is just unknown.
        Assert.Equal(Nfs4Status.BadStateId, client.OnOpen40(Nfs4Op.Close, opened.Handle, opened.Stateid, seqid + 1).Status);
    }

    [Fact]
    public void LocksOfVersionZeroAndOneConflictAndReleaseLockOwnerWaitsForUnlock()
    {
        using Nfs4TestClient v40 = Connect40();
        string owner = Unique("oo-"), lockOwner = Unique("lo-"), name = Unique("f-");
        Opened40 opened = v40.OpenConfirmed40(owner, name);
        CompoundReply locked = v40.Lock40(opened.Handle, opened.Stateid, lockOwner, openOwner: owner);
        Assert.Equal(Nfs4Status.Ok, locked.Status);
        locked.Next();
        locked.Next();
        byte[] lockStateid = locked.Reader.Raw(16);

        // A 4.1 client's lock of the same file is DENIED by the 4.0 lock, its owner named with the 4.0 clientid.
        using var v41 = new Nfs4TestClient(Port);
        v41.Establish(Unique("v41-"));
        (byte[] handle41, byte[] open41) = Nfs4LeaseAndGraceTests.OpenResult(Nfs4LeaseAndGraceTests.OpenIn(v41, "o41", name, create: false));
        Assert.Equal(opened.Handle, handle41);
        CompoundReply Lock41() => v41.Compound(3, b =>
        {
            v41.Sequence(b);
            Nfs4TestClient.PutFh(b, handle41);
            b.UInt32((uint)Nfs4Op.Lock);
            b.UInt32(Nfs4Const.ReadLt);
            b.UInt32(0);
            b.UInt64(0);
            b.UInt64(10);
            b.UInt32(1);
            b.UInt32(0);
            b.Raw(open41);
            b.UInt32(0);
            b.UInt64(v41.ClientId);
            b.Opaque("l41"u8);
        });
        CompoundReply denied = Lock41();
        Assert.Equal(Nfs4Status.Denied, denied.Status);
        denied.Next();
        denied.Reader.Raw(36); // SEQUENCE4resok
        denied.Next();
        Assert.Equal(((uint)Nfs4Op.Lock, Nfs4Status.Denied), denied.Next());
        denied.Reader.Raw(8 + 8 + 4);
        Assert.Equal(v40.ClientId, denied.Reader.UInt64());

        Assert.Equal(Nfs4Status.LocksHeld, v40.ReleaseLockOwner(lockOwner));
        // LOCKU by the lock owner's seqid (its first LOCK was the open owner's); a retransmission gets the same stateid.
        uint seqid = v40.NextSeqid(lockOwner);
        CompoundReply unlocked = v40.LockU40(opened.Handle, lockStateid, seqid);
        Assert.Equal(Nfs4Status.Ok, unlocked.Status);
        CompoundReply replay = v40.LockU40(opened.Handle, lockStateid, seqid);
        Assert.Equal(unlocked.Record.AsSpan(8).ToArray(), replay.Record.AsSpan(8).ToArray());
        Assert.Equal(Nfs4Status.BadSeqId, v40.LockU40(opened.Handle, lockStateid, seqid + 3).Status);
        Assert.Equal(Nfs4Status.Ok, v40.ReleaseLockOwner(lockOwner));
        // The 4.1 lock goes through now.
        Assert.Equal(Nfs4Status.Ok, Lock41().Status);
    }
}
