using System.Buffers.Binary;
using Npgsql;

namespace DittoFs.Storage.Metadata.Postgres;

/// <summary>A byte range [Start, End) one server granted, with its owner as LOCK4denied / nlm4_holder report it.</summary>
public readonly record struct SharedRange(ulong Start, ulong End, bool Write, ulong ClientId, byte[] Owner);

/// <summary>An open's share reservation (OPEN4_SHARE_ACCESS_* / OPEN4_SHARE_DENY_* bits) one server granted.</summary>
public readonly record struct SharedShare(uint Access, uint Deny, ulong ClientId, byte[] Owner);

/// <summary>What a grant found: <see cref="Unavailable"/> when the database did not answer in time (retryable).</summary>
public enum SharedGrant
{
    Granted,
    Conflict,
    Unavailable,
}

/// <summary>
/// Byte-range locks and share reservations that several servers on one database honour. Each server
/// keeps its own table in memory (its clients' conflicts among themselves are decided there) and
/// mirrors it here per file: a row per range / share, under the server's id. A grant is one
/// SERIALIZABLE transaction that checks the server's own lease is live, looks for a conflicting row of
/// another live server and, finding none, replaces this server's rows of the file with what it will
/// hold; two servers granting conflicting ranges at once cannot both commit (40001, retried, the
/// second then sees the first's row).
///
/// Leases: a server's row in <c>servers</c> expires <see cref="Lease"/> after its last heartbeat, on
/// the database's clock (servers' clocks do not matter). Rows of a server whose lease expired are
/// ignored by every check and deleted by the next heartbeat of any server, so a server killed -9 loses
/// its clients' locks after the lease; the others keep theirs. A server that finds its own lease lapsed
/// (cut from the database longer than the lease) starts a new one and must write its rows again
/// (<see cref="HeartbeatAsync"/> returns true).
///
/// Plain SQL: no advisory locks, no server-side functions (CockroachDB and YugabyteDB take it). Every
/// call is bounded by <see cref="Timeout"/>: a database that is down or slow makes it return
/// <see cref="SharedGrant.Unavailable"/> (or false), never hang or throw.
/// </summary>
public sealed class PostgresSharedLocks : IAsyncDisposable
{
    private const int MaxAttempts = 10;

    private readonly NpgsqlDataSource _source;

    public PostgresSharedLocks(string connectionString, TimeSpan lease, TimeSpan timeout)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Its own small pool: lock traffic must not wait behind the namespace's transactions, nor a stuck connect longer than a call may take.
        builder.ConnectionStringBuilder.MaxPoolSize = Math.Min(builder.ConnectionStringBuilder.MaxPoolSize, 8);
        builder.ConnectionStringBuilder.Timeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        builder.ConnectionStringBuilder.CancellationTimeout = 500;
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 16;
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        _source = builder.Build();
        Lease = lease;
        Timeout = timeout;
    }

    /// <summary>This server instance: a new id per start, so rows of an earlier life expire with its lease.</summary>
    public Guid ServerId { get; } = Guid.NewGuid();

    public TimeSpan Lease { get; }

    public TimeSpan Timeout { get; }

    private bool _registered;

    /// <summary>
    /// Renews this server's lease (creating it the first time), then deletes the rows of servers whose lease
    /// expired. True when the lease had lapsed since the last renewal (the rows were dropped: write them again).
    /// Throws <see cref="IOException"/> when the database does not answer in time.
    /// </summary>
    public async Task<bool> HeartbeatAsync()
    {
        bool lapsed = false;
        await RunAsync(async (connection, tx, token) =>
        {
            await using var renew = new NpgsqlCommand("UPDATE servers SET expires = now() + $2 WHERE id = $1 AND expires > now()", connection, tx);
            renew.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ServerId });
            renew.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = Lease });
            if (await renew.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 1)
            {
                lapsed = false;
                return true;
            }
            // First heartbeat, or lapsed: whatever rows are left of the old lease are not honoured any more.
            await using var restart = new NpgsqlBatch(connection, tx)
            {
                BatchCommands =
                {
                    new("DELETE FROM range_locks WHERE server = $1") { Parameters = { new NpgsqlParameter<Guid> { TypedValue = ServerId } } },
                    new("DELETE FROM share_reservations WHERE server = $1") { Parameters = { new NpgsqlParameter<Guid> { TypedValue = ServerId } } },
                    new("INSERT INTO servers (id, expires) VALUES ($1, now() + $2) ON CONFLICT (id) DO UPDATE SET expires = excluded.expires")
                    {
                        Parameters = { new NpgsqlParameter<Guid> { TypedValue = ServerId }, new NpgsqlParameter<TimeSpan> { TypedValue = Lease } },
                    },
                },
            };
            await restart.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            lapsed = _registered;
            return true;
        }).ConfigureAwait(false);
        _registered = true;
        // Dead servers' rows, then the servers (a server that renews meanwhile is not matched: its lease is live again).
        await RunAsync(async (connection, tx, token) =>
        {
            await using var sweep = new NpgsqlBatch(connection, tx)
            {
                BatchCommands =
                {
                    new("DELETE FROM range_locks WHERE server IN (SELECT id FROM servers WHERE expires <= now())"),
                    new("DELETE FROM share_reservations WHERE server IN (SELECT id FROM servers WHERE expires <= now())"),
                    new("DELETE FROM servers WHERE expires <= now()"),
                },
            };
            await sweep.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        return lapsed;
    }

    /// <summary>
    /// Grants [start, end) unless another live server holds a conflicting range (returned); on a grant this
    /// server's rows of the file become <paramref name="held"/> (what it holds with the new range).
    /// </summary>
    public async Task<(SharedGrant Grant, SharedRange Conflict)> TryLockAsync(FileId file, ulong start, ulong end, bool write, IReadOnlyList<SharedRange> held)
    {
        SharedRange conflict = default;
        SharedGrant grant = await GrantAsync(async (connection, tx, token) =>
        {
            await using NpgsqlCommand find = RangeConflict(connection, tx, file, start, end, write);
            await using NpgsqlDataReader r = await find.ExecuteReaderAsync(token).ConfigureAwait(false);
            if (!await r.ReadAsync(token).ConfigureAwait(false)) return false;
            conflict = new SharedRange(FromKey(r.GetInt64(0)), FromKey(r.GetInt64(1)), r.GetBoolean(2), (ulong)r.GetInt64(3), (byte[])r.GetValue(4));
            return true;
        }, (connection, tx) => ReplaceRanges(connection, tx, file, held)).ConfigureAwait(false);
        return (grant, conflict);
    }

    /// <summary>A range of another live server that conflicts with [start, end) (LOCKT, NLM TEST); Unavailable when the database did not answer.</summary>
    public async Task<(SharedGrant Grant, SharedRange Conflict)> TestLockAsync(FileId file, ulong start, ulong end, bool write)
    {
        SharedRange conflict = default;
        bool found = false;
        try
        {
            await RunAsync(async (connection, tx, token) =>
            {
                await using NpgsqlCommand find = RangeConflict(connection, tx, file, start, end, write);
                await using NpgsqlDataReader r = await find.ExecuteReaderAsync(token).ConfigureAwait(false);
                found = await r.ReadAsync(token).ConfigureAwait(false);
                if (found) conflict = new SharedRange(FromKey(r.GetInt64(0)), FromKey(r.GetInt64(1)), r.GetBoolean(2), (ulong)r.GetInt64(3), (byte[])r.GetValue(4));
                return true;
            }).ConfigureAwait(false);
        }
        catch (IOException)
        {
            return (SharedGrant.Unavailable, default);
        }
        return (found ? SharedGrant.Conflict : SharedGrant.Granted, conflict);
    }

    /// <summary>This server's rows of the file become exactly <paramref name="held"/> (after an unlock, a downgrade, a lease expiry). False when the database did not answer.</summary>
    public Task<bool> SyncLocksAsync(FileId file, IReadOnlyList<SharedRange> held) =>
        SyncAsync((connection, tx) => ReplaceRanges(connection, tx, file, held));

    /// <summary>
    /// Grants a share reservation unless another live server's open denies this access or has access this
    /// denies (returned); on a grant this server's rows of the file become <paramref name="held"/>.
    /// </summary>
    public async Task<(SharedGrant Grant, SharedShare Conflict)> TryShareAsync(FileId file, uint access, uint deny, IReadOnlyList<SharedShare> held)
    {
        SharedShare conflict = default;
        SharedGrant grant = await GrantAsync(async (connection, tx, token) =>
        {
            await using var find = new NpgsqlCommand(
                """
                SELECT r.access, r.deny, r.client, r.owner FROM share_reservations r JOIN servers s ON s.id = r.server
                WHERE r.file = $1 AND r.server <> $2 AND s.expires > now() AND ((r.deny & $3) <> 0 OR (r.access & $4) <> 0) LIMIT 1
                """, connection, tx);
            find.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Key(file) });
            find.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ServerId });
            find.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)access });
            find.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)deny });
            await using NpgsqlDataReader r = await find.ExecuteReaderAsync(token).ConfigureAwait(false);
            if (!await r.ReadAsync(token).ConfigureAwait(false)) return false;
            conflict = new SharedShare((uint)r.GetInt32(0), (uint)r.GetInt32(1), (ulong)r.GetInt64(2), (byte[])r.GetValue(3));
            return true;
        }, (connection, tx) => ReplaceShares(connection, tx, file, held)).ConfigureAwait(false);
        return (grant, conflict);
    }

    /// <summary>This server's share rows of the file become exactly <paramref name="held"/>. False when the database did not answer.</summary>
    public Task<bool> SyncSharesAsync(FileId file, IReadOnlyList<SharedShare> held) =>
        SyncAsync((connection, tx) => ReplaceShares(connection, tx, file, held));

    /// <summary>Gives up this server's lease at once (a clean shutdown): its rows go now, not after the lease.</summary>
    public async Task ReleaseAsync()
    {
        try
        {
            await RunAsync(async (connection, tx, token) =>
            {
                await using var drop = new NpgsqlBatch(connection, tx)
                {
                    BatchCommands =
                    {
                        new("DELETE FROM range_locks WHERE server = $1") { Parameters = { new NpgsqlParameter<Guid> { TypedValue = ServerId } } },
                        new("DELETE FROM share_reservations WHERE server = $1") { Parameters = { new NpgsqlParameter<Guid> { TypedValue = ServerId } } },
                        new("DELETE FROM servers WHERE id = $1") { Parameters = { new NpgsqlParameter<Guid> { TypedValue = ServerId } } },
                    },
                };
                await drop.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The lease runs out by itself.
        }
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    // ---- the transaction shapes ----------------------------------------------------------------

    /// <summary>Own lease live, no conflict (<paramref name="conflicts"/> false), then the rows written: one SERIALIZABLE transaction.</summary>
    private async Task<SharedGrant> GrantAsync(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<bool>> conflicts,
        Func<NpgsqlConnection, NpgsqlTransaction, NpgsqlBatch> write)
    {
        bool conflicted = false;
        try
        {
            bool live = await RunAsync(async (connection, tx, token) =>
            {
                await using (var mine = new NpgsqlCommand("SELECT count(*) FROM servers WHERE id = $1 AND expires > now()", connection, tx))
                {
                    mine.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ServerId });
                    // A lapsed lease: our rows may be gone and others may hold what we think we hold; wait for the heartbeat.
                    if ((long)(await mine.ExecuteScalarAsync(token).ConfigureAwait(false))! == 0) return false;
                }
                conflicted = await conflicts(connection, tx, token).ConfigureAwait(false);
                if (conflicted) return true;
                await using NpgsqlBatch batch = write(connection, tx);
                await batch.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            if (!live) return SharedGrant.Unavailable;
        }
        catch (IOException)
        {
            return SharedGrant.Unavailable;
        }
        return conflicted ? SharedGrant.Conflict : SharedGrant.Granted;
    }

    private async Task<bool> SyncAsync(Func<NpgsqlConnection, NpgsqlTransaction, NpgsqlBatch> write)
    {
        try
        {
            await RunAsync(async (connection, tx, token) =>
            {
                await using NpgsqlBatch batch = write(connection, tx);
                await batch.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// One SERIALIZABLE transaction, run again on 40001/40P01 (after a short random pause), all of it within
    /// <see cref="Timeout"/>. A database that is down, slow or keeps failing is an <see cref="IOException"/>.
    /// </summary>
    private async Task<bool> RunAsync(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<bool>> body)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        CancellationToken token = deadline.Token;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using NpgsqlConnection connection = await _source.OpenConnectionAsync(token).ConfigureAwait(false);
                await using NpgsqlTransaction tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, token).ConfigureAwait(false);
                bool result = await body(connection, tx, token).ConfigureAwait(false);
                await tx.CommitAsync(token).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException e) when (attempt < MaxAttempts && e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
            {
                try
                {
                    await Task.Delay(Random.Shared.Next(1, 5 * attempt), token).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex)
                {
                    throw new IOException("PostgreSQL shared locks: no answer in time", ex);
                }
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
            {
                throw new IOException("PostgreSQL shared locks: " + e.Message, e);
            }
        }
    }

    private NpgsqlCommand RangeConflict(NpgsqlConnection connection, NpgsqlTransaction tx, FileId file, ulong start, ulong end, bool write)
    {
        var find = new NpgsqlCommand(
            """
            SELECT r.range_start, r.range_end, r.exclusive, r.client, r.owner FROM range_locks r JOIN servers s ON s.id = r.server
            WHERE r.file = $1 AND r.server <> $2 AND s.expires > now() AND r.range_start < $4 AND r.range_end > $3 AND (r.exclusive OR $5)
            ORDER BY r.range_start LIMIT 1
            """, connection, tx);
        find.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Key(file) });
        find.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ServerId });
        find.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ToKey(start) });
        find.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ToKey(end) });
        find.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = write });
        return find;
    }

    private NpgsqlBatch ReplaceRanges(NpgsqlConnection connection, NpgsqlTransaction tx, FileId file, IReadOnlyList<SharedRange> held)
    {
        byte[] key = Key(file);
        var batch = new NpgsqlBatch(connection, tx);
        batch.BatchCommands.Add(new("DELETE FROM range_locks WHERE file = $1 AND server = $2")
        {
            Parameters = { new NpgsqlParameter<byte[]> { TypedValue = key }, new NpgsqlParameter<Guid> { TypedValue = ServerId } },
        });
        for (int i = 0; i < held.Count; i++)
        {
            SharedRange r = held[i];
            batch.BatchCommands.Add(new(
                "INSERT INTO range_locks (file, server, seq, range_start, range_end, exclusive, client, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            {
                Parameters =
                {
                    new NpgsqlParameter<byte[]> { TypedValue = key }, new NpgsqlParameter<Guid> { TypedValue = ServerId },
                    new NpgsqlParameter<int> { TypedValue = i }, new NpgsqlParameter<long> { TypedValue = ToKey(r.Start) },
                    new NpgsqlParameter<long> { TypedValue = ToKey(r.End) }, new NpgsqlParameter<bool> { TypedValue = r.Write },
                    new NpgsqlParameter<long> { TypedValue = (long)r.ClientId }, new NpgsqlParameter<byte[]> { TypedValue = r.Owner },
                },
            });
        }
        return batch;
    }

    private NpgsqlBatch ReplaceShares(NpgsqlConnection connection, NpgsqlTransaction tx, FileId file, IReadOnlyList<SharedShare> held)
    {
        byte[] key = Key(file);
        var batch = new NpgsqlBatch(connection, tx);
        batch.BatchCommands.Add(new("DELETE FROM share_reservations WHERE file = $1 AND server = $2")
        {
            Parameters = { new NpgsqlParameter<byte[]> { TypedValue = key }, new NpgsqlParameter<Guid> { TypedValue = ServerId } },
        });
        for (int i = 0; i < held.Count; i++)
        {
            SharedShare s = held[i];
            batch.BatchCommands.Add(new(
                "INSERT INTO share_reservations (file, server, seq, access, deny, client, owner) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            {
                Parameters =
                {
                    new NpgsqlParameter<byte[]> { TypedValue = key }, new NpgsqlParameter<Guid> { TypedValue = ServerId },
                    new NpgsqlParameter<int> { TypedValue = i }, new NpgsqlParameter<int> { TypedValue = (int)s.Access },
                    new NpgsqlParameter<int> { TypedValue = (int)s.Deny }, new NpgsqlParameter<long> { TypedValue = (long)s.ClientId },
                    new NpgsqlParameter<byte[]> { TypedValue = s.Owner },
                },
            });
        }
        return batch;
    }

    /// <summary>volume, inode, generation: the file handle's identity, big-endian.</summary>
    private static byte[] Key(FileId file)
    {
        var key = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(key, file.Volume);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(4), file.Inode);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(12), file.Generation);
        return key;
    }

    /// <summary>An unsigned offset as a bigint of the same order (the sign bit flipped).</summary>
    private static long ToKey(ulong offset) => (long)(offset ^ 0x8000_0000_0000_0000UL);

    private static ulong FromKey(long key) => (ulong)key ^ 0x8000_0000_0000_0000UL;
}
