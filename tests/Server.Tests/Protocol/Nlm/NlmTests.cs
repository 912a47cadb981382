using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nlm;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Server.Tests.Protocol.Nfs4;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nlm;

/// <summary>NLM v4 over raw sockets: conflicts between owners and with NFSv4.1 locks, blocking and cancel, error statuses.</summary>
public sealed class NlmTests(NlmFixture fixture) : IClassFixture<NlmFixture>
{
    private static readonly TimeSpan CallbackWait = TimeSpan.FromSeconds(20);

    private int Port => fixture.Server.NfsPort;

    private (string Name, byte[] Fh) NewFile(string prefix) => fixture.NewFile(prefix);

    [Fact]
    public void AConflictingLockOfAnotherOwnerIsDeniedAndTestNamesTheHolder()
    {
        var (_, fh) = NewFile("nlm-conflict-");
        using var a = new NlmTestClient(Port, "host-a");
        using var b = new NlmTestClient(Port, "host-b");

        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 11, offset: 0, length: 100));
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 11, offset: 0, length: 100)); // the owner's own lock again
        Assert.Equal(Nlm4Status.Denied, a.Lock(fh, svid: 12, offset: 50, length: 10)); // another process of the same host
        Assert.Equal(Nlm4Status.Denied, b.Lock(fh, svid: 11, offset: 99, length: 1)); // same svid, another host
        Assert.Equal(Nlm4Status.Granted, b.Lock(fh, svid: 11, offset: 100, length: 1)); // past the range
        Assert.Equal(Nlm4Status.Granted, b.Lock(fh, svid: 11, offset: 200, length: 0, exclusive: false));
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 13, offset: 300, length: 5, exclusive: false)); // two readers share

        Nlm4TestRes test = b.Test(fh, svid: 7, offset: 10, length: 1);
        Assert.Equal(Nlm4Status.Denied, test.Reply.Status);
        Assert.True(test.Reply.Holder.Exclusive);
        Assert.Equal(11, test.Reply.Holder.Svid);
        Assert.Equal(0ul, test.Reply.Holder.Offset);
        Assert.Equal(100ul, test.Reply.Holder.Length);
        Assert.Equal("11@host-a", Encoding.UTF8.GetString(test.Reply.Holder.Oh.Span));
        Assert.Equal("t", Encoding.UTF8.GetString(b.Test(fh, svid: 7, offset: 150, length: 10).Cookie.Span));
        Assert.Equal(Nlm4Status.Granted, b.Test(fh, svid: 7, offset: 150, length: 10).Reply.Status);

        Assert.Equal(Nlm4Status.Granted, a.Unlock(fh, svid: 11, offset: 0, length: 100));
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 12, offset: 50, length: 10));
    }

    [Fact]
    public void UnlockOfARangeNotHeldIsGranted()
    {
        var (_, fh) = NewFile("nlm-unheld-");
        using var a = new NlmTestClient(Port, "host-u");
        Assert.Equal(Nlm4Status.Granted, a.Unlock(fh, svid: 1, offset: 0, length: 0));
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Granted, a.Unlock(fh, svid: 1, offset: 5, length: 100)); // partly held: the held part goes
        Assert.Equal(Nlm4Status.Denied, a.Test(fh, svid: 2, offset: 4, length: 1).Reply.Status);
        Assert.Equal(Nlm4Status.Granted, a.Test(fh, svid: 2, offset: 5, length: 1).Reply.Status);
    }

    [Fact]
    public void ABadHandleIsStaleFhAndAnOffsetPastTheLargestIsFBig()
    {
        var (_, fh) = NewFile("nlm-errors-");
        using var a = new NlmTestClient(Port, "host-e");
        byte[] garbage = Encoding.ASCII.GetBytes("not a handle of ours");
        Assert.Equal(Nlm4Status.StaleFh, a.Lock(garbage, svid: 1));
        Assert.Equal(Nlm4Status.StaleFh, a.Test(garbage, svid: 1).Reply.Status);
        Assert.Equal(Nlm4Status.StaleFh, a.Unlock(garbage, svid: 1));
        Assert.Equal(Nlm4Status.FBig, a.Lock(fh, svid: 1, offset: 1ul << 63, length: 1));
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: (1ul << 63) - 1, length: 0));
    }

    [Fact]
    public void ABlockedLockIsGrantedWithACallbackWhenTheRangeComesFreeAndCancelThenDeniesAndKeepsIt()
    {
        var (_, fh) = NewFile("nlm-block-");
        using var a = new NlmTestClient(Port, "host-ba");
        using var b = new NlmTestClient(Port, "host-bb");
        using var c = new NlmTestClient(Port, "host-bc");
        while (fixture.ClientHost.Calls.TryTake(out _)) { }

        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1));
        Assert.Equal(Nlm4Status.Blocked, b.Lock(fh, svid: 2, block: true, cookie: "wait-b"));
        Assert.Equal(Nlm4Status.Blocked, b.Lock(fh, svid: 2, block: true, cookie: "wait-b")); // the client's poll: still waiting
        Assert.Equal(Nlm4Status.Granted, a.Unlock(fh, svid: 1));

        byte[]? granted = fixture.ClientHost.WaitFor(NlmTestClient.NlmProgram, (uint)NlmProcedure.Granted, CallbackWait);
        Assert.NotNull(granted);
        var reader = new DittoFs.Xdr.XdrReader(granted);
        Nlm4TestArgs args = Nlm4TestArgs.Decode(ref reader);
        Assert.Equal("wait-b", Encoding.UTF8.GetString(args.Cookie.Span));
        Assert.True(args.Exclusive);
        Assert.Equal(2, args.Lock.Svid);
        Assert.Equal("2@host-bb", Encoding.UTF8.GetString(args.Lock.Oh.Span));
        Assert.Equal(fh, args.Lock.Fh.ToArray());

        Assert.Equal(2, c.Test(fh, svid: 3).Reply.Holder.Svid); // b holds it now
        // The client cancels after the grant (its GRANTED raced the cancel): nothing waits, DENIED, and the lock stays.
        Assert.Equal(Nlm4Status.Denied, b.Cancel(fh, svid: 2));
        Assert.Equal(Nlm4Status.Denied, c.Lock(fh, svid: 3));
        Assert.Equal(Nlm4Status.Granted, b.Lock(fh, svid: 2, block: true)); // its poll: it has it
    }

    [Fact]
    public void ACancelledBlockedLockIsNeverGranted()
    {
        var (_, fh) = NewFile("nlm-cancel-");
        using var a = new NlmTestClient(Port, "host-ca");
        using var b = new NlmTestClient(Port, "host-cb");
        using var c = new NlmTestClient(Port, "host-cc");

        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Blocked, b.Lock(fh, svid: 2, offset: 5, length: 10, block: true));
        Assert.Equal(Nlm4Status.Granted, b.Cancel(fh, svid: 2, offset: 5, length: 10));
        Assert.Equal(Nlm4Status.Granted, a.Unlock(fh, svid: 1, offset: 0, length: 10));
        // Had b's request stayed queued, it would hold [5, 15) now; c gets the whole file instead.
        Assert.Equal(Nlm4Status.Granted, c.Lock(fh, svid: 3));
        Assert.Equal(3, b.Test(fh, svid: 2, offset: 5, length: 10).Reply.Holder.Svid);
    }

    [Fact]
    public void AClientThatRefusesTheGrantedCallbackGivesTheLockBack()
    {
        var (_, fh) = NewFile("nlm-refuse-");
        using var a = new NlmTestClient(Port, "host-ra");
        using var b = new NlmTestClient(Port, "host-rb");
        fixture.ClientHost.GrantedAnswer = (int)Nlm4Status.Denied;
        try
        {
            Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1));
            Assert.Equal(Nlm4Status.Blocked, b.Lock(fh, svid: 2, block: true));
            Assert.Equal(Nlm4Status.Granted, a.Unlock(fh, svid: 1));
            Assert.NotNull(fixture.ClientHost.WaitFor(NlmTestClient.NlmProgram, (uint)NlmProcedure.Granted, CallbackWait));
            DateTime until = DateTime.UtcNow + CallbackWait;
            while (a.Test(fh, svid: 9).Reply.Status != Nlm4Status.Granted && DateTime.UtcNow < until) Thread.Sleep(50);
            Assert.Equal(Nlm4Status.Granted, a.Test(fh, svid: 9).Reply.Status);
        }
        finally
        {
            fixture.ClientHost.GrantedAnswer = 0;
        }
    }

    internal static Nfs4Status V4Lock(Nfs4TestClient client, byte[] handle, byte[] openStateid, ulong offset, ulong length) =>
        client.LockNewOwner(handle, openStateid, "v4-owner", offset, length).Status;

    [Fact]
    public void AnNlmLockAndAnNfs41LockOfTheSameRangeConflictBothWays()
    {
        var (name, fh) = NewFile("nlm-v4-");
        using var v4 = new Nfs4TestClient(Port);
        v4.Establish("nlm-v4-" + Guid.NewGuid().ToString("N")[..8]);
        var (handle, stateid) = Nfs4LeaseAndGraceTests.OpenResult(Nfs4LeaseAndGraceTests.OpenIn(v4, "o", name, create: false));
        using var v3 = new NlmTestClient(Port, "host-v3");

        // v3 first: the v4 LOCK over it is denied, beside it granted.
        Assert.Equal(Nlm4Status.Granted, v3.Lock(fh, svid: 1, offset: 0, length: 100));
        Assert.Equal(Nfs4Status.Denied, V4Lock(v4, handle, stateid, 50, 10));
        Assert.Equal(Nfs4Status.Ok, V4Lock(v4, handle, stateid, 1000, 10));
        // v4 holds [1000, 1010): NLM LOCK there is denied, TEST names the v4 owner.
        Assert.Equal(Nlm4Status.Denied, v3.Lock(fh, svid: 2, offset: 1005, length: 1));
        Nlm4TestRes test = v3.Test(fh, svid: 2, offset: 1005, length: 1);
        Assert.Equal(Nlm4Status.Denied, test.Reply.Status);
        Assert.Equal(1000ul, test.Reply.Holder.Offset);
        Assert.Equal(10ul, test.Reply.Holder.Length);
        Assert.Equal("v4-owner", Encoding.UTF8.GetString(test.Reply.Holder.Oh.Span));
        // The NLM lock goes: v4 gets its range.
        Assert.Equal(Nlm4Status.Granted, v3.Unlock(fh, svid: 1, offset: 0, length: 100));
        Assert.Equal(Nfs4Status.Ok, V4Lock(v4, handle, stateid, 50, 10));
    }

    [Fact]
    public void TheStatusMonitorAnswersAndASmNotifyOfARebootedHostReleasesItsLocks()
    {
        var (_, fh) = NewFile("nsm-notify-");
        using var gone = new NlmTestClient(Port, "host-rebooted");
        using var other = new NlmTestClient(Port, "host-other");
        Assert.Equal(Nlm4Status.Granted, gone.Lock(fh, svid: 1));
        Assert.Equal(Nlm4Status.Denied, other.Lock(fh, svid: 1));

        RpcReply stat = other.Rpc.Call(NlmTestClient.NsmProgram, 1, 1, a => a.String("host-other"));
        var r = stat.Reader();
        Assert.Equal(0, r.Int32()); // STAT_SUCC
        Assert.Equal(1, r.Int32() % 2); // odd while up

        other.Rpc.Call(NlmTestClient.NsmProgram, 1, 6, a => { a.String("host-rebooted"); a.UInt32(3); });
        Assert.Equal(Nlm4Status.Granted, other.Lock(fh, svid: 1));
    }

    [Fact]
    public void AClientClaimingAnotherHostsNameCanNeitherUnlockNorFreeItsLocks()
    {
        var (_, fh) = NewFile("nlm-claim-");
        using var victim = new NlmTestClient(Port, "victim");
        using var thief = new NlmTestClient(Port, "victim", System.Net.IPAddress.Parse("127.0.0.2")); // same name, svid and oh
        Assert.Equal(Nlm4Status.Granted, victim.Lock(fh, svid: 7, offset: 0, length: 10));

        Assert.Equal(Nlm4Status.Granted, thief.Unlock(fh, svid: 7, offset: 0, length: 10)); // its own (unheld) range
        thief.FreeAll("victim");
        Assert.Equal(Nlm4Status.Denied, thief.Lock(fh, svid: 7, offset: 0, length: 10)); // the victim still holds it
        Assert.Equal(Nlm4Status.Denied, thief.Test(fh, svid: 7, offset: 5, length: 1).Reply.Status);
        Assert.Equal(Nlm4Status.Granted, victim.Unlock(fh, svid: 7, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Granted, thief.Lock(fh, svid: 7, offset: 0, length: 10));
    }

    [Fact]
    public void AClientInventingHostNamesGetsNoLocksPastTheBound()
    {
        var (_, fh) = NewFile("nlm-names-");
        var address = System.Net.IPAddress.Parse("127.0.0.3");
        for (int i = 0; i < DittoFs.Server.Protocol.Nsm.StatusMonitor.MaxHostsPerAddress; i++)
        {
            using var named = new NlmTestClient(Port, $"invented-{i}", address);
            Assert.Equal(Nlm4Status.Granted, named.Lock(fh, svid: 1, offset: (ulong)i, length: 1));
        }
        using var oneMore = new NlmTestClient(Port, "invented-last", address);
        Assert.Equal(Nlm4Status.DeniedNoLocks, oneMore.Lock(fh, svid: 1, offset: 1000, length: 1));
        using var known = new NlmTestClient(Port, "invented-0", address); // a known host keeps working
        Assert.Equal(Nlm4Status.Granted, known.Lock(fh, svid: 1, offset: 2000, length: 1));
    }

    [Fact]
    public void ThePortmapperListsNlmAndNsm()
    {
        using var rpc = new RpcClient(Port);
        uint GetPort(uint program, uint version) => rpc.Call(100000, 2, 3, a => { a.UInt32(program); a.UInt32(version); a.UInt32(6); a.UInt32(0); }).Reader().UInt32();
        Assert.Equal((uint)Port, GetPort(100021, 4));
        Assert.Equal((uint)Port, GetPort(100024, 1));
    }
}
