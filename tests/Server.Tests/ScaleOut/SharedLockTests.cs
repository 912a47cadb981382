using System.Diagnostics;
using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Server.Tests.Protocol.Nfs4;
using DittoFs.Storage.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace DittoFs.Server.Tests.ScaleOut;

/// <summary>
/// Two servers (two processes, two ports) on one PostgreSQL database, NFSv4.1 over raw sockets: a byte-range lock
/// or a share reservation granted through one is honoured by the other, and a server killed -9 loses its clients'
/// locks after the lease while the other server's stay. NLM (NFSv3) locks through either server: SharedLockTests.Nlm.cs.
/// </summary>
public sealed partial class SharedLockTests : IDisposable
{
    private const int LeaseSeconds = 5;
    private const uint Read = 1, Write = 2;

    private readonly List<ServerProcess> _servers = [];
    private readonly List<Nfs4TestClient> _clients = [];
    private string _connectionString = "";

    public void Dispose()
    {
        foreach (Nfs4TestClient client in _clients) client.Dispose();
        foreach (ServerProcess server in _servers) server.Dispose();
    }

    /// <param name="settings">More server settings, the same for both (e.g. where NLM callbacks go).</param>
    private (ServerProcess A, ServerProcess B) StartTwo(IDictionary<string, string>? settings = null)
    {
        _connectionString = PostgresServer.Shared.CreateDatabase();
        return (Start(settings: settings), Start(settings: settings));
    }

    /// <summary>A server on the test's database, once it holds its lease there (until then its grants answer DELAY / DENIED_NOLOCKS).</summary>
    private ServerProcess Start(int lockTimeoutSeconds = 5, IDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>
        {
            ["DittoFs:MetadataStore"] = "Postgres",
            ["DittoFs:Nfs4:LeaseSeconds"] = LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DittoFs:Postgres:LockTimeoutSeconds"] = lockTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:DittoFs.Server.Protocol.Locks.SharedLocks"] = "Information",
        };
        foreach ((string key, string value) in settings ?? new Dictionary<string, string>()) all[key] = value;
        var server = new ServerProcess(null, all);
        server.Environment["DITTOFS__POSTGRES__CONNECTIONSTRING"] = _connectionString;
        _servers.Add(server);
        server.Start();
        const string leased = "lease in the database";
        Assert.Contains(leased, server.WaitForLog(leased, TimeSpan.FromSeconds(60)));
        return server;
    }

    private Nfs4TestClient Connect(ServerProcess server)
    {
        var client = new Nfs4TestClient(server.NfsPort);
        _clients.Add(client);
        client.Establish("shared-" + Guid.NewGuid().ToString("N")[..10]);
        return client;
    }

    /// <summary>OPEN (created if absent) of /export/name; the status, and the handle and open stateid when it is OK.</summary>
    private static (Nfs4Status Status, byte[] Handle, byte[] Stateid) Open(Nfs4TestClient client, string name, uint access, uint deny = 0, string owner = "oo")
    {
        CompoundReply reply = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, owner, name, access, create: true, deny);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Skip(reply, 3);
        (uint op, Nfs4Status status) = reply.Next();
        Assert.Equal((uint)Nfs4Op.Open, op);
        if (status != Nfs4Status.Ok) return (status, [], []);
        byte[] stateid = Nfs4OperationTests.ReadOpenResult(reply);
        Assert.Equal(((uint)Nfs4Op.GetFh, Nfs4Status.Ok), reply.Next());
        return (status, reply.Reader.Opaque(), stateid);
    }

    private static void Skip(CompoundReply reply, int results)
    {
        Assert.Equal(((uint)Nfs4Op.Sequence, Nfs4Status.Ok), reply.Next());
        reply.Reader.Raw(16 + 20);
        for (int i = 1; i < results; i++) Assert.Equal(Nfs4Status.Ok, reply.Next().Status);
    }

    private sealed record LockReply(Nfs4Status Status, byte[] Stateid, ulong Offset, ulong Length, bool WriteLock, string Owner);

    /// <summary>LOCK by a new lock owner (from the open stateid), WRITE_LT or READ_LT; DENIED comes with the holder.</summary>
    private static LockReply Lock(Nfs4TestClient client, byte[] handle, byte[] openStateid, string lockOwner, ulong offset, ulong length, bool write = true) =>
        ReadLock(client.LockNewOwner(handle, openStateid, lockOwner, offset, length, write));

    private static LockReply ReadLock(CompoundReply reply)
    {
        Skip(reply, 2);
        (uint op, Nfs4Status status) = reply.Next();
        Assert.True(op is (uint)Nfs4Op.Lock or (uint)Nfs4Op.LockT, $"op {op}");
        if (status == Nfs4Status.Ok && op == (uint)Nfs4Op.Lock) return new LockReply(status, reply.Reader.Raw(16), 0, 0, false, "");
        if (status != Nfs4Status.Denied) return new LockReply(status, [], 0, 0, false, "");
        ulong offset = reply.Reader.UInt64();
        ulong length = reply.Reader.UInt64();
        bool writeLock = reply.Reader.UInt32() == 2;
        reply.Reader.UInt64(); // the holder's client id (of the server it holds the lock through)
        return new LockReply(status, [], offset, length, writeLock, Encoding.UTF8.GetString(reply.Reader.Opaque()));
    }

    private static LockReply LockT(Nfs4TestClient client, byte[] handle, string lockOwner, ulong offset, ulong length)
    {
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            b.UInt32((uint)Nfs4Op.LockT);
            b.UInt32(2);
            b.UInt64(offset);
            b.UInt64(length);
            b.UInt64(client.ClientId);
            b.Opaque(Encoding.UTF8.GetBytes(lockOwner));
        });
        return ReadLock(reply);
    }

    private static Nfs4Status Compound3(Nfs4TestClient client, byte[] handle, Nfs4Op op, Action<XdrWriterBox> args)
    {
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            b.UInt32((uint)op);
            args(b);
        });
        return reply.Status;
    }

    private static Nfs4Status Unlock(Nfs4TestClient client, byte[] handle, byte[] lockStateid, ulong offset, ulong length) =>
        Compound3(client, handle, Nfs4Op.LockU, b =>
        {
            b.UInt32(2);
            b.UInt32(0);
            b.Raw(lockStateid);
            b.UInt64(offset);
            b.UInt64(length);
        });

    private static Nfs4Status Close(Nfs4TestClient client, byte[] handle, byte[] openStateid) =>
        Compound3(client, handle, Nfs4Op.Close, b =>
        {
            b.UInt32(0);
            b.Raw(openStateid);
        });

    [PostgresFact]
    public void LockThroughA_BlocksAConflictingLockThroughB_UntilAUnlocks()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        Nfs4TestClient clientA = Connect(a), clientB = Connect(b);
        (Nfs4Status opened, byte[] handle, byte[] openA) = Open(clientA, "locked", Read | Write);
        Assert.Equal(Nfs4Status.Ok, opened);
        (opened, byte[] handleB, byte[] openB) = Open(clientB, "locked", Read | Write);
        Assert.Equal(Nfs4Status.Ok, opened);
        Assert.Equal(handle, handleB); // one namespace

        LockReply held = Lock(clientA, handle, openA, "lo-a", 0, 100);
        Assert.Equal(Nfs4Status.Ok, held.Status);

        // Through B: a read lock inside A's write lock is DENIED, with A's range and owner; LOCKT agrees.
        LockReply denied = Lock(clientB, handle, openB, "lo-b", 50, 10, write: false);
        Assert.Equal((Nfs4Status.Denied, 0ul, 100ul, true, "lo-a"), (denied.Status, denied.Offset, denied.Length, denied.WriteLock, denied.Owner));
        LockReply tested = LockT(clientB, handle, "lo-b", 99, 1);
        Assert.Equal((Nfs4Status.Denied, 0ul, 100ul, "lo-a"), (tested.Status, tested.Offset, tested.Length, tested.Owner));
        // Next to it is free, and then A cannot take that either.
        LockReply beside = Lock(clientB, handle, openB, "lo-b", 100, 10);
        Assert.Equal(Nfs4Status.Ok, beside.Status);
        LockReply deniedA = Lock(clientA, handle, openA, "lo-a2", 105, 1, write: false);
        Assert.Equal((Nfs4Status.Denied, 100ul, 10ul, "lo-b"), (deniedA.Status, deniedA.Offset, deniedA.Length, deniedA.Owner));

        // A unlocks: B gets the range at once (LOCKU answers once the database knows).
        Assert.Equal(Nfs4Status.Ok, Unlock(clientA, handle, held.Stateid, 0, 100));
        Assert.Equal(Nfs4Status.Ok, Lock(clientB, handle, openB, "lo-b3", 0, 100).Status);
        Assert.Equal(Nfs4Status.Denied, Lock(clientA, handle, openA, "lo-a3", 0, 1).Status);
    }

    [PostgresFact]
    public void OpenDenyingWriteThroughA_MakesBsOpenForWriteShareDenied()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        Nfs4TestClient clientA = Connect(a), clientB = Connect(b);
        (Nfs4Status opened, byte[] handle, byte[] openA) = Open(clientA, "denied", Read, deny: Write);
        Assert.Equal(Nfs4Status.Ok, opened);

        Assert.Equal(Nfs4Status.ShareDenied, Open(clientB, "denied", Write).Status);
        Assert.Equal(Nfs4Status.ShareDenied, Open(clientB, "denied", Read | Write, owner: "other").Status);
        // Reading is not denied; denying the reads A opened for is.
        Assert.Equal(Nfs4Status.Ok, Open(clientB, "denied", Read).Status);
        Assert.Equal(Nfs4Status.ShareDenied, Open(clientB, "denied", Read, deny: Read, owner: "denier").Status);

        // A closes: its reservation leaves the database (in the background) and B may open for writing.
        Assert.Equal(Nfs4Status.Ok, Close(clientA, handle, openA));
        var watch = Stopwatch.StartNew();
        Nfs4Status status;
        while ((status = Open(clientB, "denied", Write, owner: "writer").Status) == Nfs4Status.ShareDenied && watch.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(100);
        Assert.Equal(Nfs4Status.Ok, status);
    }

    [PostgresFact]
    public void KillOfA_FreesItsLocksOnBAfterTheLease_AndBsOwnLocksStay()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        Nfs4TestClient clientA = Connect(a), clientB = Connect(b);
        (_, byte[] handle, byte[] openA) = Open(clientA, "orphan", Read | Write);
        Assert.Equal(Nfs4Status.Ok, Lock(clientA, handle, openA, "lo-a", 0, ulong.MaxValue).Status);
        (_, byte[] kept, byte[] openKept) = Open(clientB, "kept", Read | Write);
        Assert.Equal(Nfs4Status.Ok, Lock(clientB, kept, openKept, "lo-b", 0, 10).Status);
        (_, _, byte[] openB) = Open(clientB, "orphan", Read | Write);
        Assert.Equal(Nfs4Status.Denied, Lock(clientB, handle, openB, "lo-b", 0, 1).Status);

        a.Kill(); // no unlock, no clean stop: the lease has to run out
        // How much of A's lease was left at the kill, on the database clock (a heartbeat late under load moves it).
        // Timed from before the question: its answer may come back late under load, the database's now() does not.
        var watch = Stopwatch.StartNew();
        double leftSeconds;
        using (var lease = new NpgsqlConnection(_connectionString))
        {
            lease.Open();
            using var left = new NpgsqlCommand(
                "SELECT extract(epoch FROM s.expires - now())::float8 FROM servers s WHERE s.id IN (SELECT server FROM range_locks WHERE position('lo-a'::bytea in owner) > 0)", lease);
            leftSeconds = (double)left.ExecuteScalar()!;
        }
        LockReply reply;
        while ((reply = Lock(clientB, handle, openB, "lo-b", 0, 1)).Status == Nfs4Status.Denied && watch.Elapsed < TimeSpan.FromSeconds(LeaseSeconds * 6)) Thread.Sleep(200);
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        // Not before A's lease ran out in the database.
        Assert.True(leftSeconds > 0, $"A's lease had already run out at the kill ({leftSeconds} s)");
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(leftSeconds - 0.2), $"freed after {watch.Elapsed}, {leftSeconds:F2} s of A's lease were left");

        // B's own lock is still in the database for every other server: one live server, holding exactly its two ranges.
        using var connection = new NpgsqlConnection(_connectionString);
        connection.Open();
        using var rows = new NpgsqlCommand(
            "SELECT count(DISTINCT r.server), count(*) FROM range_locks r JOIN servers s ON s.id = r.server WHERE s.expires > now()", connection);
        using NpgsqlDataReader r = rows.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal((1L, 2L), (r.GetInt64(0), r.GetInt64(1)));
    }

    [PostgresFact]
    public void ADatabaseThatDoesNotAnswerInTime_MakesLockAndOpenAnswerDelay_ThenTheyAreGranted()
    {
        _connectionString = PostgresServer.Shared.CreateDatabase();
        ServerProcess a = Start(lockTimeoutSeconds: 1);
        Nfs4TestClient client = Connect(a);
        (_, byte[] handle, byte[] open) = Open(client, "slow", Read | Write);

        // Another session holds the lock tables (a database stuck on them): the grants wait at most the timeout.
        using var blocker = new NpgsqlConnection(_connectionString);
        blocker.Open();
        NpgsqlTransaction tx = blocker.BeginTransaction();
        using (var hold = new NpgsqlCommand("LOCK TABLE range_locks, share_reservations IN ACCESS EXCLUSIVE MODE", blocker, tx)) hold.ExecuteNonQuery();
        var watch = Stopwatch.StartNew();
        Assert.Equal(Nfs4Status.Delay, Lock(client, handle, open, "lo", 0, 10).Status);
        Assert.Equal(Nfs4Status.Delay, Open(client, "slow", Read, owner: "second").Status);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        tx.Rollback();

        // The client retries (as on any DELAY): granted now, nothing was half done.
        Assert.Equal(Nfs4Status.Ok, Lock(client, handle, open, "lo", 0, 10).Status);
        Assert.Equal(Nfs4Status.Ok, Open(client, "slow", Read, owner: "second").Status);
    }

    private static Nfs4Status LockUAll(Nfs4TestClient client, byte[] handle, byte[] lockStateid) => Unlock(client, handle, lockStateid, 0, ulong.MaxValue);
}
