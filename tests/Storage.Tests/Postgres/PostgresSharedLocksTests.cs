using System.Diagnostics;
using DittoFs.Storage.Metadata.Postgres;
using DittoFs.Storage.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace DittoFs.Storage.Tests.Postgres;

/// <summary>
/// PostgresSharedLocks on a real database, two instances standing for two servers: conflicts only across servers,
/// two racing grants never both win, an expired server's rows stop counting, and a database that does not
/// answer makes a grant Unavailable within its timeout instead of hanging.
/// </summary>
public sealed class PostgresSharedLocksTests
{
    private static readonly FileId File = new(1, 42, 7);

    private static async Task<string> MigratedDatabaseAsync()
    {
        string connectionString = PostgresServer.Shared.CreateDatabase();
        await using var store = new PostgresMetadataStore(new PostgresMetadataStoreOptions { ConnectionString = connectionString });
        await store.OpenAsync(); // migrations, the shared lock tables among them
        return connectionString;
    }

    private static SharedRange Range(ulong start, ulong end, bool write, string owner) => new(start, end, write, 9, System.Text.Encoding.UTF8.GetBytes(owner));

    [PostgresFact]
    public async Task ConflictsAreAcrossServers_OverlapAndKindDecide_AndASyncReleases()
    {
        string cs = await MigratedDatabaseAsync();
        await using var a = new PostgresSharedLocks(cs, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        await using var b = new PostgresSharedLocks(cs, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        Assert.False(await a.HeartbeatAsync());
        Assert.False(await b.HeartbeatAsync());

        // The top of the offset range (past 2^63) orders like the rest.
        SharedRange high = Range(1UL << 63, ulong.MaxValue, true, "a1");
        Assert.Equal(SharedGrant.Granted, (await a.TryLockAsync(File, high.Start, high.End, true, [Range(0, 10, false, "a0"), high])).Grant);
        (SharedGrant grant, SharedRange conflict) = await b.TryLockAsync(File, ulong.MaxValue - 1, ulong.MaxValue, false, [Range(ulong.MaxValue - 1, ulong.MaxValue, false, "b")]);
        Assert.Equal(SharedGrant.Conflict, grant);
        Assert.Equal((1UL << 63, ulong.MaxValue, true, 9UL, "a1"), (conflict.Start, conflict.End, conflict.Write, conflict.ClientId, System.Text.Encoding.UTF8.GetString(conflict.Owner)));
        // Read under a read lock, and beside the write lock, are granted; a write over the read lock is not.
        Assert.Equal(SharedGrant.Granted, (await b.TryLockAsync(File, 5, 20, false, [Range(5, 20, false, "b")])).Grant);
        Assert.Equal(SharedGrant.Conflict, (await b.TryLockAsync(File, 0, 1, true, [Range(5, 20, false, "b"), Range(0, 1, true, "b")])).Grant);
        // Its own rows never conflict with a server: A writes over its own read range.
        Assert.Equal(SharedGrant.Granted, (await a.TryLockAsync(File, 0, 5, true, [Range(0, 5, true, "a0"), high])).Grant);

        Assert.True(await a.SyncLocksAsync(File, []));
        Assert.Equal(SharedGrant.Granted, (await b.TryLockAsync(File, 0, ulong.MaxValue, false, [Range(0, ulong.MaxValue, false, "b")])).Grant);
        Assert.Equal(SharedGrant.Conflict, (await a.TestLockAsync(File, 3, 4, true)).Grant);
        Assert.Equal(SharedGrant.Granted, (await a.TestLockAsync(File, 3, 4, false)).Grant);
    }

    [PostgresFact]
    public async Task SharesConflictOnDenyAgainstAccess()
    {
        string cs = await MigratedDatabaseAsync();
        await using var a = new PostgresSharedLocks(cs, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        await using var b = new PostgresSharedLocks(cs, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        await a.HeartbeatAsync();
        await b.HeartbeatAsync();
        var readDenyWrite = new SharedShare(1, 2, 5, [1]);
        Assert.Equal(SharedGrant.Granted, (await a.TryShareAsync(File, 1, 2, [readDenyWrite])).Grant);
        (SharedGrant grant, SharedShare conflict) = await b.TryShareAsync(File, 2, 0, [new SharedShare(2, 0, 6, [2])]);
        Assert.Equal((SharedGrant.Conflict, 1u, 2u), (grant, conflict.Access, conflict.Deny));
        Assert.Equal(SharedGrant.Conflict, (await b.TryShareAsync(File, 1, 1, [new SharedShare(1, 1, 6, [2])])).Grant); // denies A's read
        Assert.Equal(SharedGrant.Granted, (await b.TryShareAsync(File, 1, 0, [new SharedShare(1, 0, 6, [2])])).Grant);
        Assert.True(await a.SyncSharesAsync(File, []));
        Assert.Equal(SharedGrant.Granted, (await b.TryShareAsync(File, 3, 0, [new SharedShare(3, 0, 6, [2])])).Grant);
    }

    [PostgresFact]
    public async Task RacingGrantsOfOneRange_OneWinsEachTime()
    {
        string cs = await MigratedDatabaseAsync();
        await using var a = new PostgresSharedLocks(cs, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20));
        await using var b = new PostgresSharedLocks(cs, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20));
        await a.HeartbeatAsync();
        await b.HeartbeatAsync();
        for (ulong round = 0; round < 20; round++)
        {
            var file = new FileId(1, 1000 + round, 1);
            Task<(SharedGrant, SharedRange)> first = a.TryLockAsync(file, 0, 10, true, [Range(0, 10, true, "a")]);
            Task<(SharedGrant, SharedRange)> second = b.TryLockAsync(file, 5, 15, true, [Range(5, 15, true, "b")]);
            SharedGrant[] grants = [(await first).Item1, (await second).Item1];
            Assert.Equal(1, grants.Count(g => g == SharedGrant.Granted));
            Assert.Equal(1, grants.Count(g => g == SharedGrant.Conflict));
        }
    }

    [PostgresFact]
    public async Task AnExpiredServersRowsStopCounting_AndAreSweptByAnotherServersHeartbeat_ALapsedServerStartsAgain()
    {
        string cs = await MigratedDatabaseAsync();
        await using var dead = new PostgresSharedLocks(cs, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));
        await using var live = new PostgresSharedLocks(cs, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        await dead.HeartbeatAsync();
        await live.HeartbeatAsync();
        Assert.Equal(SharedGrant.Granted, (await dead.TryLockAsync(File, 0, 100, true, [Range(0, 100, true, "d")])).Grant);
        Assert.Equal(SharedGrant.Conflict, (await live.TryLockAsync(File, 0, 1, true, [Range(0, 1, true, "l")])).Grant);

        await Task.Delay(2500); // the dead server's lease runs out, nobody renews it
        Assert.Equal(SharedGrant.Granted, (await live.TryLockAsync(File, 0, 1, true, [Range(0, 1, true, "l")])).Grant);
        Assert.False(await live.HeartbeatAsync());
        await using (var connection = new NpgsqlConnection(cs))
        {
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT (SELECT count(*) FROM range_locks), (SELECT count(*) FROM servers)", connection);
            await using NpgsqlDataReader r = await count.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync());
            Assert.Equal((1L, 1L), (r.GetInt64(0), r.GetInt64(1))); // only the live server and its range
        }
        // The lapsed server grants nothing until it renews, then finds its lease lapsed (it must write its rows again).
        Assert.Equal(SharedGrant.Unavailable, (await dead.TryLockAsync(File, 200, 300, true, [Range(200, 300, true, "d")])).Grant);
        Assert.True(await dead.HeartbeatAsync());
        Assert.Equal(SharedGrant.Granted, (await dead.TryLockAsync(File, 200, 300, true, [Range(200, 300, true, "d")])).Grant);
    }

    [PostgresFact]
    public async Task ADatabaseThatDoesNotAnswer_IsUnavailableWithinTheTimeout()
    {
        string cs = await MigratedDatabaseAsync();
        await using var locks = new PostgresSharedLocks(cs, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        await locks.HeartbeatAsync();
        // Another session holds the table: every grant's conflict check waits for it.
        await using var blocker = new NpgsqlConnection(cs);
        await blocker.OpenAsync();
        await using NpgsqlTransaction tx = await blocker.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("LOCK TABLE range_locks IN ACCESS EXCLUSIVE MODE", blocker, tx)) await hold.ExecuteNonQueryAsync();
        var watch = Stopwatch.StartNew();
        Assert.Equal(SharedGrant.Unavailable, (await locks.TryLockAsync(File, 0, 1, true, [Range(0, 1, true, "x")])).Grant);
        Assert.False(await locks.SyncLocksAsync(File, []));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
        await tx.RollbackAsync();
        Assert.Equal(SharedGrant.Granted, (await locks.TryLockAsync(File, 0, 1, true, [Range(0, 1, true, "x")])).Grant);

        // Nothing listening: as quickly.
        await using var nowhere = new PostgresSharedLocks("Host=127.0.0.1;Port=1;Username=x;Database=x", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        watch.Restart();
        Assert.Equal(SharedGrant.Unavailable, (await nowhere.TryLockAsync(File, 0, 1, true, [])).Grant);
        await Assert.ThrowsAsync<IOException>(nowhere.HeartbeatAsync);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
    }
}
