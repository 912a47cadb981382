using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>Leases that expire, and the grace period after a SIGKILL restart, each on its own server.</summary>
public sealed class Nfs4LeaseAndGraceTests
{
    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    internal static CompoundReply OpenIn(Nfs4TestClient client, string owner, string name, bool create = true) => client.Compound(5, b =>
    {
        client.Sequence(b);
        Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        Nfs4TestClient.Lookup(b, "export");
        Nfs4OperationTests.Open(b, client.ClientId, owner, name, create: create);
        Nfs4TestClient.Op(b, Nfs4Op.GetFh);
    });

    internal static (byte[] Handle, byte[] Stateid) OpenResult(CompoundReply reply)
    {
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        reply.Next();
        byte[] stateid = Nfs4OperationTests.ReadOpenResult(reply);
        reply.Next();
        return (reply.Reader.Opaque(), stateid);
    }

    private static Nfs4Status LockStatus(Nfs4TestClient client, byte[] handle, byte[] openStateid, bool reclaim = false) => client.Compound(3, b =>
    {
        client.Sequence(b);
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
        b.UInt32((uint)Nfs4Op.Lock);
        b.UInt32(2);
        b.UInt32(reclaim ? 1u : 0u);
        b.UInt64(0);
        b.UInt64(ulong.MaxValue);
        b.UInt32(1);
        b.UInt32(0);
        b.Raw(openStateid);
        b.UInt32(0);
        b.UInt64(client.ClientId);
        b.Opaque("lock-owner"u8.ToArray());
    }).Status;

    /// <summary>
    /// A client past its lease keeps its lock as a courtesy client (Nfs4CourtesyTests) only until another
    /// client's LOCK conflicts: then it is expired, whole, and the other LOCK is granted.
    /// </summary>
    [Fact]
    public void ClientThatStopsRenewingLosesItsLocksToAConflictingLock()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:LeaseSeconds"] = "5" });
        server.Start();
        using var a = new Nfs4TestClient(server.NfsPort);
        a.Establish(Unique("lease-a-"));
        string name = Unique("leased-");
        var (handle, stateA) = OpenResult(OpenIn(a, "oa", name));
        Assert.Equal(Nfs4Status.Ok, LockStatus(a, handle, stateA));

        using var b = new Nfs4TestClient(server.NfsPort);
        b.Establish(Unique("lease-b-"));
        var (_, stateB) = OpenResult(OpenIn(b, "ob", name));
        Assert.Equal(Nfs4Status.Denied, LockStatus(b, handle, stateB));

        // b keeps renewing, a goes quiet for longer than a lease and a half.
        for (int i = 0; i < 10; i++)
        {
            Thread.Sleep(1000);
            CompoundReply renew = b.Compound(1, x => b.Sequence(x));
            Assert.Equal(Nfs4Status.Ok, renew.Status);
        }
        // The conflict, not the lease alone, ends a's state.
        Assert.Equal(Nfs4Status.Ok, LockStatus(b, handle, stateB));
        CompoundReply expired = a.Compound(1, x => a.Sequence(x));
        Assert.Equal(Nfs4Status.BadSession, expired.Status);
    }

    [Fact]
    public void GraceStartsWhenStorageHasRecoveredNotBefore()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["DittoFs:Nfs4:LeaseSeconds"] = "5",
            ["DittoFs:Nfs4:GraceSeconds"] = "5",
        });
        server.Start();
        using (var a = new Nfs4TestClient(server.NfsPort))
        {
            a.Establish(Unique("grace-r-"));
            Assert.Equal(Nfs4Status.Ok, OpenIn(a, "oa", Unique("kept-")).Status);
        }
        server.Kill();
        // Recovery takes longer than the grace period: a clock started at process start would be over by the time clients can connect.
        server.Environment["DITTOFS_TEST_RECOVERY_DELAY_MS"] = "7000";
        server.Start();
        using var other = new Nfs4TestClient(server.NfsPort);
        other.Establish(Unique("grace-n-"));
        Assert.Equal(Nfs4Status.Grace, OpenIn(other, "ob", Unique("new-")).Status);
    }

    [Fact]
    public void AfterRestartClientsReclaimInGraceAndOthersWait()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["DittoFs:Nfs4:LeaseSeconds"] = "5",
            ["DittoFs:Nfs4:GraceSeconds"] = "60",
        });
        server.Start();
        string owner = Unique("grace-a-");
        string name = Unique("kept-");
        byte[] handle, oldSession, oldStateid;
        ulong oldClient;
        using (var a = new Nfs4TestClient(server.NfsPort))
        {
            a.Establish(owner);
            (handle, oldStateid) = OpenResult(OpenIn(a, "oa", name));
            oldSession = a.SessionId;
            oldClient = a.ClientId;
        }

        server.Kill();
        server.Start();

        using var again = new Nfs4TestClient(server.NfsPort);
        // The old session and client are unknown to the new instance.
        CompoundReply badSession = again.Compound(1, x =>
        {
            x.UInt32((uint)Nfs4Op.Sequence);
            x.Raw(oldSession);
            x.UInt32(2);
            x.UInt32(0);
            x.UInt32(0);
            x.UInt32(0);
        });
        Assert.Equal(Nfs4Status.BadSession, badSession.Status);
        Assert.Equal(Nfs4Status.StaleClientId, again.Compound(1, x => Nfs4TestClient.CreateSessionArgs(x, oldClient, 2)).Status);
        again.Establish(owner);
        // A stateid of the previous instance is stale (its per-boot tag is not this one's), not merely bad.
        CompoundReply staleRead = again.Compound(3, x =>
        {
            again.Sequence(x);
            x.UInt32((uint)Nfs4Op.PutFh);
            x.Opaque(handle);
            x.UInt32((uint)Nfs4Op.Read);
            x.Raw(oldStateid);
            x.UInt64(0);
            x.UInt32(10);
        });
        Assert.Equal(Nfs4Status.StaleStateId, staleRead.Status);

        // A newcomer must wait for the grace period.
        using var other = new Nfs4TestClient(server.NfsPort);
        other.Establish(Unique("grace-b-"));
        Assert.Equal(Nfs4Status.Grace, OpenIn(other, "ob", Unique("new-")).Status);

        // The old client reclaims its open by handle (the handle survived the restart) and a lock.
        CompoundReply reclaim = again.Compound(3, x =>
        {
            again.Sequence(x);
            x.UInt32((uint)Nfs4Op.PutFh);
            x.Opaque(handle);
            x.UInt32((uint)Nfs4Op.Open);
            x.UInt32(0);
            x.UInt32(3);
            x.UInt32(0);
            x.UInt64(again.ClientId);
            x.Opaque("oa"u8.ToArray());
            x.UInt32(0); // OPEN4_NOCREATE
            x.UInt32(1); // CLAIM_PREVIOUS
            x.UInt32(0); // OPEN_DELEGATE_NONE
        });
        Assert.Equal(Nfs4Status.Ok, reclaim.Status);
        reclaim.Next();
        reclaim.Reader.Raw(36);
        reclaim.Next();
        reclaim.Next();
        byte[] reclaimed = Nfs4OperationTests.ReadOpenResult(reclaim);
        Assert.Equal(Nfs4Status.Grace, LockStatus(again, handle, reclaimed));
        Assert.Equal(Nfs4Status.Ok, LockStatus(again, handle, reclaimed, reclaim: true));

        CompoundReply complete = again.Compound(2, x =>
        {
            again.Sequence(x);
            x.UInt32((uint)Nfs4Op.ReclaimComplete);
            x.UInt32(0);
        });
        Assert.Equal(Nfs4Status.Ok, complete.Status);

        // Every previous client is back: grace is over early, for everyone.
        Assert.Equal(Nfs4Status.Ok, OpenIn(other, "ob", Unique("new-")).Status);
        Assert.Equal(Nfs4Status.NoGrace, LockStatus(again, handle, reclaimed, reclaim: true));
    }
}
