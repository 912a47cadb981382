using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// A courteous server (as knfsd since 5.19): a client past its lease keeps its opens and locks until
/// another client's request conflicts with them; then that client is expired, whole (knfsd's choice,
/// ours too), and the request goes on. Each test on its own server with a 5 s lease.
/// </summary>
public sealed class Nfs4CourtesyTests
{
    /// <summary>Longer than a lease and a half plus a reaper pass: an ordinary server would have expired the client.</summary>
    private const int PastTheLease = 10_000;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static ServerProcess Start(int maxCourtesyClients = 256)
    {
        var server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["DittoFs:Nfs4:LeaseSeconds"] = "5",
            ["DittoFs:Nfs4:MaxCourtesyClients"] = maxCourtesyClients.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        server.Start();
        return server;
    }

    private static (byte[] Handle, byte[] Stateid) Open(Nfs4TestClient client, string owner, string name, uint access = 3, uint deny = 0) =>
        Nfs4LeaseAndGraceTests.OpenResult(client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, owner, name, access: access, deny: deny);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        }));

    private static CompoundReply LockReply(Nfs4TestClient client, byte[] handle, byte[] openStateid, string lockOwner) =>
        client.LockNewOwner(handle, openStateid, lockOwner);

    private static byte[] Lock(Nfs4TestClient client, byte[] handle, byte[] openStateid)
    {
        CompoundReply reply = LockReply(client, handle, openStateid, "lo-" + client.ClientId);
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        return reply.Reader.Raw(16);
    }

    private static Nfs4Status[] TestStateids(Nfs4TestClient client, params byte[][] stateids)
    {
        CompoundReply reply = client.Compound(2, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.TestStateId);
            b.UInt32((uint)stateids.Length);
            foreach (byte[] s in stateids) b.Raw(s);
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        int count = (int)reply.Reader.UInt32();
        return [.. Enumerable.Range(0, count).Select(_ => (Nfs4Status)reply.Reader.Int32())];
    }

    private static Nfs4Status SequenceStatus(Nfs4TestClient client) => client.Compound(1, b => client.Sequence(b)).Status;

    [Fact]
    public void AClientPastItsLeaseWithoutConflictsFindsItsStateAlive()
    {
        using ServerProcess server = Start();
        using var a = new Nfs4TestClient(server.NfsPort);
        a.Establish(Unique("courtesy-a-"));
        string name = Unique("kept-");
        var (handle, open) = Open(a, "oa", name);
        byte[] lockStateid = Lock(a, handle, open);

        Thread.Sleep(PastTheLease);

        // Nobody wanted its state: the session, the open and the lock are all still there.
        Assert.Equal(Nfs4Status.Ok, SequenceStatus(a));
        Assert.Equal([Nfs4Status.Ok, Nfs4Status.Ok], TestStateids(a, open, lockStateid));
        // Renewed, it is an ordinary client again: its lock stops another owner.
        using var b = new Nfs4TestClient(server.NfsPort);
        b.Establish(Unique("courtesy-b-"));
        var (_, openB) = Open(b, "ob", name);
        Assert.Equal(Nfs4Status.Denied, LockReply(b, handle, openB, "lo-b").Status);
    }

    [Fact]
    public void AConflictingRequestExpiresTheCourtesyClientAndSucceeds()
    {
        using ServerProcess server = Start();
        using var a = new Nfs4TestClient(server.NfsPort);
        a.Establish(Unique("courtesy-a-"));
        string name = Unique("denied-");
        // a reads with DENY_WRITE, and holds another file open besides.
        _ = Open(a, "oa", name, access: 1, deny: 2);
        _ = Open(a, "oa", Unique("other-"));

        using var b = new Nfs4TestClient(server.NfsPort);
        b.Establish(Unique("courtesy-b-"));
        Assert.Equal(Nfs4Status.ShareDenied, Nfs4LeaseAndGraceTests.OpenIn(b, "ob", name).Status);

        // b keeps renewing while a goes quiet; then b's write open conflicts with the courtesy client's deny.
        for (int i = 0; i < PastTheLease / 1000; i++)
        {
            Thread.Sleep(1000);
            Assert.Equal(Nfs4Status.Ok, SequenceStatus(b));
        }
        Assert.Equal(Nfs4Status.Ok, Nfs4LeaseAndGraceTests.OpenIn(b, "ob", name).Status);

        // The whole client went, not only the open in the way.
        Assert.Equal(Nfs4Status.BadSession, SequenceStatus(a));
        using var probe = new Nfs4TestClient(server.NfsPort);
        probe.Establish(Unique("probe-"));
        Assert.Equal(Nfs4Status.Ok, Nfs4LeaseAndGraceTests.OpenIn(probe, "op", name).Status);
    }

    [Fact]
    public void WithoutRoomForCourtesyClientsALeaseIsFinal()
    {
        using ServerProcess server = Start(maxCourtesyClients: 0);
        using var a = new Nfs4TestClient(server.NfsPort);
        a.Establish(Unique("courtesy-a-"));
        var (handle, open) = Open(a, "oa", Unique("gone-"));
        Lock(a, handle, open);

        Thread.Sleep(PastTheLease);

        Assert.Equal(Nfs4Status.BadSession, SequenceStatus(a));
    }
}
