using System.Data;
using DittoFs.Storage.Metadata.Faster;
using Npgsql;

namespace DittoFs.Storage.Metadata.Postgres;

public sealed partial class PostgresMetadataStore
{
    /// <summary>
    /// One transaction: BEGIN + the preconditions in one batch (rows locked), the changes and COMMIT
    /// in a second. Serialization failures and deadlocks are retried here; a failed precondition or a
    /// unique violation (a racing insert of the same name or cookie) returns a conflict.
    /// </summary>
    public async ValueTask<long> ApplyAsync(MetadataOp[] ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await using NpgsqlConnection connection = await _source.OpenConnectionAsync().ConfigureAwait(false);
                await using NpgsqlTransaction tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted).ConfigureAwait(false);
                if (!await PreconditionsHoldAsync(connection, tx, ops).ConfigureAwait(false))
                {
                    await tx.RollbackAsync().ConfigureAwait(false);
                    Counters.Conflicted();
                    return MetadataConflict.Position;
                }
                await using (NpgsqlBatch changes = Changes(connection, tx, ops))
                {
                    if (changes.BatchCommands.Count > 0)
                    {
                        await changes.ExecuteNonQueryAsync().ConfigureAwait(false);
                        Counters.RoundTrip();
                    }
                }
                await tx.CommitAsync().ConfigureAwait(false);
                Counters.RoundTrip();
                Counters.Committed();
                foreach (MetadataOp op in ops)
                {
                    if (op.Kind == MetadataOpKind.PutBlock) InterlockedMax(ref _maxBlockVersion, S(op.BlockRecord.Version));
                }
                return Interlocked.Increment(ref _position);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
                                              && attempt < _options.MaxSerializationRetries)
            {
                Counters.Retried();
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
            {
                Counters.Conflicted();
                return MetadataConflict.Position;
            }
            catch (NpgsqlException e)
            {
                throw new IOException("PostgreSQL metadata change failed: " + e.Message, e);
            }
        }
    }

    private async ValueTask<bool> PreconditionsHoldAsync(NpgsqlConnection connection, NpgsqlTransaction tx, MetadataOp[] ops)
    {
        // Change ids first, in one statement in inode order (a stable lock order: fewer deadlocks);
        // then entries and volumes; emptiness last, read after the directory's row is locked.
        var changeIds = new List<(long Inode, long ChangeId)>();
        var checks = new List<MetadataOp>();
        foreach (MetadataOp op in ops)
        {
            if (op.Kind == MetadataOpKind.ExpectChangeId) changeIds.Add((S(op.Inode), S(op.Cookie)));
            else if (op.IsPrecondition) checks.Add(op);
        }
        if (changeIds.Count == 0 && checks.Count == 0) return true;

        await using var batch = new NpgsqlBatch(connection, tx);
        if (changeIds.Count > 0)
        {
            batch.BatchCommands.Add(Command("SELECT inode, change_id FROM inodes WHERE inode = ANY($1) ORDER BY inode FOR UPDATE",
                changeIds.Select(c => c.Inode).ToArray()));
        }
        checks.Sort((a, b) => (a.Kind == MetadataOpKind.ExpectEmpty).CompareTo(b.Kind == MetadataOpKind.ExpectEmpty));
        foreach (MetadataOp op in checks)
        {
            batch.BatchCommands.Add(op.Kind switch
            {
                MetadataOpKind.ExpectEntry => Command("SELECT inode FROM entries WHERE dir = $1 AND name = $2 FOR UPDATE", S(op.Directory), op.Name),
                MetadataOpKind.ExpectVolume => Command("SELECT volume FROM volumes WHERE name = $1 FOR UPDATE", op.Name),
                MetadataOpKind.ExpectEmpty => Command("SELECT 1 FROM entries WHERE dir = $1 LIMIT 1", S(op.Inode)),
                _ => throw new ArgumentException($"Unknown precondition {op.Kind}"),
            });
        }

        bool holds = true;
        await using (NpgsqlDataReader reader = await batch.ExecuteReaderAsync().ConfigureAwait(false))
        {
            Counters.RoundTrip();
            if (changeIds.Count > 0)
            {
                var found = new Dictionary<long, long>();
                while (await reader.ReadAsync().ConfigureAwait(false)) found[reader.GetInt64(0)] = reader.GetInt64(1);
                foreach (var (inode, changeId) in changeIds)
                {
                    if (!found.TryGetValue(inode, out long actual) || actual != changeId) holds = false;
                }
                await reader.NextResultAsync().ConfigureAwait(false);
            }
            foreach (MetadataOp op in checks)
            {
                bool any = await reader.ReadAsync().ConfigureAwait(false);
                long value = any ? reader.GetInt64(0) : 0;
                holds &= op.Kind switch
                {
                    MetadataOpKind.ExpectEntry => value == S(op.Inode),
                    MetadataOpKind.ExpectVolume => value == op.Volume,
                    _ => !any, // ExpectEmpty
                };
                while (await reader.ReadAsync().ConfigureAwait(false)) { }
                await reader.NextResultAsync().ConfigureAwait(false);
            }
        }
        return holds;
    }

    private static NpgsqlBatch Changes(NpgsqlConnection connection, NpgsqlTransaction tx, MetadataOp[] ops)
    {
        var batch = new NpgsqlBatch(connection, tx);
        foreach (MetadataOp op in ops)
        {
            switch (op.Kind)
            {
                case MetadataOpKind.PutInode:
                    batch.BatchCommands.Add(Command(
                        "INSERT INTO inodes (inode, change_id, record) VALUES ($1, $2, $3) ON CONFLICT (inode) DO UPDATE SET change_id = EXCLUDED.change_id, record = EXCLUDED.record",
                        S(op.Record.Inode), S(op.Record.ChangeId), FromInode(op.Record)));
                    break;
                case MetadataOpKind.DeleteInode:
                    batch.BatchCommands.Add(Command("DELETE FROM inodes WHERE inode = $1", S(op.Inode)));
                    batch.BatchCommands.Add(Command("DELETE FROM symlinks WHERE inode = $1", S(op.Inode)));
                    break;
                case MetadataOpKind.PutEntry:
                    // An insert, not an upsert: a name bound since our reads is a unique violation (a conflict).
                    batch.BatchCommands.Add(Command("INSERT INTO entries (dir, name, cookie, inode) VALUES ($1, $2, $3, $4)",
                        S(op.Directory), op.Name, S(op.Cookie), S(op.Inode)));
                    break;
                case MetadataOpKind.DeleteEntry:
                    batch.BatchCommands.Add(Command("DELETE FROM entries WHERE dir = $1 AND name = $2", S(op.Directory), op.Name));
                    break;
                case MetadataOpKind.PutSymlink:
                    batch.BatchCommands.Add(Command(
                        "INSERT INTO symlinks (inode, target) VALUES ($1, $2) ON CONFLICT (inode) DO UPDATE SET target = EXCLUDED.target",
                        S(op.Inode), op.Data));
                    break;
                case MetadataOpKind.PutVolume:
                    // Expected absent: an insert, so a volume (or the volume counter) made since is a conflict.
                    batch.BatchCommands.Add(Command(ExpectsAbsentVolume(ops, op.Name)
                            ? "INSERT INTO volumes (name, volume, root) VALUES ($1, $2, $3)"
                            : "INSERT INTO volumes (name, volume, root) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET volume = EXCLUDED.volume, root = EXCLUDED.root",
                        op.Name, (long)op.Volume, S(op.Inode)));
                    break;
                case MetadataOpKind.PutBlock:
                {
                    var record = new byte[BlockRecord.Size];
                    BlockValue.Write(record, op.BlockRecord);
                    batch.BatchCommands.Add(Command(
                        "INSERT INTO blocks (inode, block, version, record) VALUES ($1, $2, $3, $4) ON CONFLICT (inode, block) DO UPDATE SET version = EXCLUDED.version, record = EXCLUDED.record",
                        S(op.Inode), S(op.Block), S(op.BlockRecord.Version), record));
                    break;
                }
                case MetadataOpKind.DropBlocks:
                    // Versions are never handed out again: remember the highest one dropped (only truncates touch that row).
                    batch.BatchCommands.Add(Command(
                        "WITH gone AS (DELETE FROM blocks WHERE inode = $1 AND block >= $2 RETURNING version) " +
                        "UPDATE meta SET num = GREATEST(num, (SELECT max(version) FROM gone)) WHERE key = 'max_block_version' AND EXISTS (SELECT 1 FROM gone)",
                        S(op.Inode), S(op.Block)));
                    break;
                case MetadataOpKind.PutFilesystemId:
                    batch.BatchCommands.Add(Command(
                        "INSERT INTO meta (key, data) VALUES ('filesystem_id', $1) ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data", op.Data));
                    break;
                default:
                    if (!op.IsPrecondition) throw new ArgumentException($"Unknown op kind {op.Kind}");
                    break;
            }
        }
        return batch;
    }

    private static bool ExpectsAbsentVolume(MetadataOp[] ops, byte[] name) =>
        ops.Any(o => o.Kind == MetadataOpKind.ExpectVolume && o.Volume == 0 && o.Name.AsSpan().SequenceEqual(name));

    private static NpgsqlBatchCommand Command(string sql, params object[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (object p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return command;
    }
}
