using System.Text;
using DittoFs.Server.Protocol.Nlm;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Xdr;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nlm;

/// <summary>NLM's _MSG procedures over raw sockets: a void reply, then the result as a _RES call to the client host's lockd; bounded per host.</summary>
public sealed class NlmMessageTests(NlmFixture fixture) : IClassFixture<NlmFixture>
{
    private static readonly TimeSpan CallbackWait = TimeSpan.FromSeconds(20);

    private Nlm4Res NextRes(NlmProcedure procedure)
    {
        byte[]? args = fixture.ClientHost.WaitFor(NlmTestClient.NlmProgram, (uint)procedure, CallbackWait);
        Assert.NotNull(args);
        var reader = new XdrReader(args);
        return Nlm4Res.Decode(ref reader);
    }

    [Fact]
    public void LockTestAndUnlockMessagesAnswerWithResCallsCarryingTheCookie()
    {
        var (_, fh) = fixture.NewFile("nlm-msg-");
        using var a = new NlmTestClient(fixture.Server.NfsPort, "msg-a");
        using var b = new NlmTestClient(fixture.Server.NfsPort, "msg-b");
        while (fixture.ClientHost.Calls.TryTake(out _)) { }

        RpcReply reply = a.LockMsg(fh, svid: 1, offset: 0, length: 10, cookie: "lock-1");
        Assert.True(reply.Accepted);
        Assert.Equal(0, reply.Status);
        Assert.Equal(0, reply.Results.Length); // void
        Nlm4Res locked = NextRes(NlmProcedure.LockRes);
        Assert.Equal(Nlm4Status.Granted, locked.Status);
        Assert.Equal("lock-1", Encoding.UTF8.GetString(locked.Cookie.Span));
        Assert.Equal(Nlm4Status.Denied, b.Lock(fh, svid: 2, offset: 5, length: 1)); // the message's lock is real

        b.TestMsg(fh, svid: 2, offset: 9, length: 1);
        byte[]? tested = fixture.ClientHost.WaitFor(NlmTestClient.NlmProgram, (uint)NlmProcedure.TestRes, CallbackWait);
        Assert.NotNull(tested);
        var reader = new XdrReader(tested);
        Nlm4TestRes test = Nlm4TestRes.Decode(ref reader);
        Assert.Equal("tm", Encoding.UTF8.GetString(test.Cookie.Span));
        Assert.Equal(Nlm4Status.Denied, test.Reply.Status);
        Assert.Equal(1, test.Reply.Holder.Svid);
        Assert.Equal(10ul, test.Reply.Holder.Length);

        b.LockMsg(fh, svid: 2, offset: 5, length: 1, cookie: "lock-2");
        Assert.Equal(Nlm4Status.Denied, NextRes(NlmProcedure.LockRes).Status);
        a.UnlockMsg(fh, svid: 1, offset: 0, length: 10);
        Nlm4Res unlocked = NextRes(NlmProcedure.UnlockRes);
        Assert.Equal(Nlm4Status.Granted, unlocked.Status);
        Assert.Equal("um", Encoding.UTF8.GetString(unlocked.Cookie.Span));
        Assert.Equal(Nlm4Status.Granted, b.Lock(fh, svid: 2, offset: 5, length: 1));
    }

    [Fact]
    public void ResultsOfCallsNeverSentAreTakenWithAVoidReply()
    {
        using var a = new NlmTestClient(fixture.Server.NfsPort, "msg-res");
        foreach (NlmProcedure p in new[] { NlmProcedure.GrantedMsg, NlmProcedure.TestRes, NlmProcedure.LockRes, NlmProcedure.CancelRes, NlmProcedure.UnlockRes })
        {
            RpcReply reply = a.Rpc.Call(NlmTestClient.NlmProgram, 4, (uint)p, w => w.Write(new Nlm4Res { Cookie = "x"u8.ToArray(), Status = Nlm4Status.Granted }));
            Assert.True(reply.Accepted);
            Assert.Equal(0, reply.Status);
        }
    }

    [Fact]
    public void MessagesPastTheBoundOfResultsOnTheirWayAreDroppedUnprocessed()
    {
        var (_, fh) = fixture.NewFile("nlm-msg-flood-");
        using var a = new NlmTestClient(fixture.Server.NfsPort, "msg-flood");
        using var probe = new NlmTestClient(fixture.Server.NfsPort, "msg-probe");
        fixture.ClientHost.Stalled = true; // the client's portmapper takes the calls and does not answer: results pile up
        try
        {
            for (int i = 0; i < NlmState.MaxCallbacksPerHost; i++) a.LockMsg(fh, svid: 1, offset: (ulong)i, length: 1);
            for (int i = 0; i < NlmState.MaxCallbacksPerHost; i++) Assert.Equal(Nlm4Status.Denied, probe.Test(fh, svid: 9, offset: (ulong)i, length: 1).Reply.Status);
            RpcReply dropped = a.LockMsg(fh, svid: 1, offset: 100, length: 1);
            Assert.True(dropped.Accepted);
            Assert.Equal(Nlm4Status.Granted, probe.Test(fh, svid: 9, offset: 100, length: 1).Reply.Status); // never locked
        }
        finally
        {
            fixture.ClientHost.Stalled = false;
        }
        // The answered callbacks make room again.
        DateTime until = DateTime.UtcNow + CallbackWait;
        while (probe.Test(fh, svid: 9, offset: 200, length: 1).Reply.Status == Nlm4Status.Granted && DateTime.UtcNow < until)
        {
            a.LockMsg(fh, svid: 1, offset: 200, length: 1);
            Thread.Sleep(100);
        }
        Assert.Equal(Nlm4Status.Denied, probe.Test(fh, svid: 9, offset: 200, length: 1).Reply.Status);
    }
}
