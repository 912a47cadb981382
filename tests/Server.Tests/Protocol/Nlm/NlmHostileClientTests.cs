using System.Net;
using System.Text;
using DittoFs.Server.Protocol.Nlm;
using DittoFs.Server.Protocol.Nsm;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nlm;

/// <summary>NLM error paths over raw sockets: what a confused or hostile client sends gets a status, never a crash or another client's lock.</summary>
public sealed class NlmHostileClientTests(NlmFixture fixture) : IClassFixture<NlmFixture>
{
    private int Port => fixture.Server.NfsPort;

    [Fact]
    public void CancelOfAGrantedLockIsDeniedAndTheLockStays()
    {
        var (_, fh) = fixture.NewFile("nlm-cancel-held-");
        using var a = new NlmTestClient(Port, "cancel-a");
        using var b = new NlmTestClient(Port, "cancel-b");
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Denied, a.Cancel(fh, svid: 1, offset: 0, length: 10)); // nothing waits
        Assert.Equal(Nlm4Status.Denied, b.Lock(fh, svid: 2, offset: 0, length: 1));
        Assert.Equal(Nlm4Status.Denied, b.Cancel(fh, svid: 1, offset: 0, length: 10)); // another host's: not its to cancel
        Assert.Equal(1, b.Test(fh, svid: 2).Reply.Holder.Svid);
    }

    [Fact]
    public void UnlockOfALockNotHeldIsGrantedAndLeavesTheHoldersLock()
    {
        var (_, fh) = fixture.NewFile("nlm-unlock-other-");
        using var a = new NlmTestClient(Port, "unlock-a");
        using var b = new NlmTestClient(Port, "unlock-b");
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Granted, b.Unlock(fh, svid: 1, offset: 0, length: 10)); // b holds nothing there
        Assert.Equal(Nlm4Status.Granted, a.Unlock(fh, svid: 2, offset: 0, length: 0)); // another process of a: nothing either
        Assert.Equal(Nlm4Status.Denied, b.Lock(fh, svid: 1, offset: 9, length: 1));
    }

    /// <summary>An nlm4_lockargs with this caller_name and oh, written by hand (the codec would refuse to encode them).</summary>
    private static Action<XdrWriterBox> RawLockArgs(byte[] fh, string callerName, byte[] oh) => a =>
    {
        a.Opaque("c"u8);
        a.UInt32(0); // block
        a.UInt32(1); // exclusive
        a.Opaque(Encoding.ASCII.GetBytes(callerName));
        a.Opaque(fh);
        a.Opaque(oh);
        a.UInt32(1); // svid
        a.UInt64(0);
        a.UInt64(0);
        a.UInt32(0); // reclaim
        a.UInt32(1); // state
    };

    [Fact]
    public void OversizedCallerNamesAndOwnersAreGarbageArgsAndTheConnectionGoesOn()
    {
        var (_, fh) = fixture.NewFile("nlm-oversized-");
        using var a = new NlmTestClient(Port, "oversized");
        foreach ((string name, byte[] oh) in new[] { (new string('n', 1025), "o"u8.ToArray()), ("oversized", new byte[1025]), (new string('n', 1 << 16), "o"u8.ToArray()) })
        {
            RpcReply reply = a.Rpc.Call(NlmTestClient.NlmProgram, 4, (uint)NlmProcedure.Lock, RawLockArgs(fh, name, oh));
            Assert.True(reply.Accepted);
            Assert.Equal(4, reply.Status); // GARBAGE_ARGS
        }
        // At the limits: granted, and the same connection still serves.
        RpcReply atLimit = a.Rpc.Call(NlmTestClient.NlmProgram, 4, (uint)NlmProcedure.Lock, RawLockArgs(fh, new string('n', 1024), new byte[1024]));
        Assert.Equal(Nlm4Status.Granted, atLimit.Decode<Nlm4Res>().Status);
        Assert.Equal(Nlm4Status.Denied, a.Test(fh, svid: 2).Reply.Status);
    }

    [Fact]
    public void TheHostsOfOneAddressPastTheirBoundOfRangesAreDeniedNoLocksUntilOneUnlocks()
    {
        var (_, fh) = fixture.NewFile("nlm-many-ranges-");
        var (_, other) = fixture.NewFile("nlm-many-ranges-other-");
        var address = IPAddress.Parse("127.0.0.4");
        var hosts = new List<NlmTestClient>();
        try
        {
            // As many caller names as one address may claim, each far below the bound alone: the bound is of the address.
            for (int h = 0; h < StatusMonitor.MaxHostsPerAddress; h++) hosts.Add(new NlmTestClient(Port, $"many-ranges-{h}", address));
            // Every other byte: no two ranges merge. Half on a second file: the bound is not per file.
            for (int i = 0; i < NlmState.MaxRangesPerAddress; i++)
            {
                Assert.Equal(Nlm4Status.Granted, hosts[i % hosts.Count].Lock(i % 2 == 0 ? fh : other, svid: 1, offset: (ulong)(2 * i), length: 1));
            }
            Assert.Equal(Nlm4Status.DeniedNoLocks, hosts[0].Lock(fh, svid: 2, offset: 100_000, length: 1));
            Assert.Equal(Nlm4Status.DeniedNoLocks, hosts[^1].Lock(other, svid: 2, offset: 100_000, length: 1));
            using var b = new NlmTestClient(Port, "few-ranges");
            Assert.Equal(Nlm4Status.Granted, b.Lock(fh, svid: 1, offset: 100_000, length: 1)); // another address is not held back
            Assert.Equal(Nlm4Status.Granted, hosts[1].Unlock(other, svid: 1)); // one host's ranges go
            Assert.Equal(Nlm4Status.Granted, hosts[0].Lock(fh, svid: 2, offset: 200_000, length: 1));
        }
        finally
        {
            foreach (NlmTestClient host in hosts) host.Dispose();
        }
    }

    [Fact]
    public void ALockOrUnlockWhoseSplitWouldPassTheBoundOfRangesIsDeniedNoLocksAndChangesNothing()
    {
        var (_, fh) = fixture.NewFile("nlm-split-");
        using var a = new NlmTestClient(Port, "splitter", IPAddress.Parse("127.0.0.5"));
        using var b = new NlmTestClient(Port, "split-watcher");
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: 0, length: 100));
        for (int i = 0; i < NlmState.MaxRangesPerAddress - 4; i++)
        {
            Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: (ulong)(1000 + 2 * i), length: 1));
        }
        // Three short of the bound: a read lock inside [0, 100) splits it in three (two more ranges), within the bound.
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: 40, length: 20, exclusive: false));
        Assert.Equal(Nlm4Status.Granted, b.Test(fh, svid: 1, offset: 50, length: 1, exclusive: false).Reply.Status);
        // One short: another split would pass it by one, so it is refused, and [60, 100) stays a write lock.
        Assert.Equal(Nlm4Status.DeniedNoLocks, a.Lock(fh, svid: 1, offset: 70, length: 10, exclusive: false));
        Assert.Equal(Nlm4Status.Denied, b.Test(fh, svid: 1, offset: 75, length: 1, exclusive: false).Reply.Status);
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: 100_000, length: 1)); // the bound itself is reached
        // At the bound: an unlock splitting a range (one more) is refused and the range stays whole.
        Assert.Equal(Nlm4Status.DeniedNoLocks, a.Unlock(fh, svid: 1, offset: 85, length: 5));
        Assert.Equal(Nlm4Status.Denied, b.Test(fh, svid: 1, offset: 87, length: 1, exclusive: false).Reply.Status);
        // What splits nothing still works there: an unlock trimming a range, a lock over one the owner holds.
        Assert.Equal(Nlm4Status.Granted, a.Unlock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Granted, b.Test(fh, svid: 1, offset: 5, length: 1).Reply.Status);
        Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: 40, length: 20));
        Assert.Equal(Nlm4Status.Denied, b.Test(fh, svid: 1, offset: 50, length: 1, exclusive: false).Reply.Status);
    }
}
