using DittoFs.Storage.Metadata.Faster;
using Npgsql;

namespace DittoFs.Storage.Metadata.Postgres;

public sealed partial class PostgresMetadataStore
{
    /// <summary>
    /// One transaction in one round trip: a batch with no explicit transaction runs as one implicit
    /// transaction (all or nothing). The preconditions come first, each a statement that locks the rows
    /// it reads (FOR UPDATE) and divides by zero when the state is not what the caller read: the error
    /// aborts the batch before any change, and is reported as a conflict (plain SQL, no server-side
    /// function, so distributed engines take it too). A unique violation (a racing insert of the same
    /// name or cookie) is a conflict too; serialization failures and deadlocks are retried here.
    /// </summary>
    public async ValueTask<long> ApplyAsync(MetadataOp[] ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await using NpgsqlConnection connection = await _source.OpenConnectionAsync().ConfigureAwait(false);
                await using NpgsqlBatch batch = new(connection);
                AddPreconditions(batch, ops);
                AddChanges(batch, ops);
                if (batch.BatchCommands.Count > 0)
                {
                    long started = System.Diagnostics.Stopwatch.GetTimestamp();
                    await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
                    Counters.RoundTrip();
                    PostgresMetrics.RoundTrip("change", started);
                }
                Counters.Committed();
                foreach (MetadataOp op in ops)
                {
                    if (op.Kind == MetadataOpKind.PutBlock) InterlockedMax(ref _maxBlockVersion, S(op.BlockRecord.Version));
                    if (op.Kind == MetadataOpKind.PutSegment) InterlockedMax(ref _maxBlockVersion, S(op.Block)); // segment ids share the counter
                }
                return Interlocked.Increment(ref _position);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
                                              && attempt < _options.MaxSerializationRetries)
            {
                Counters.Retried();
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DivisionByZero or PostgresErrorCodes.UniqueViolation
                                              or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
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

    // "1 / 0 unless the state is as expected": the check fails the whole batch from inside the database.
    private const string Fail = "SELECT 1 / (CASE WHEN {0} THEN 1 ELSE 0 END)";

    private static void AddPreconditions(NpgsqlBatch batch, MetadataOp[] ops)
    {
        // Change ids first, in inode order (a stable lock order: fewer deadlocks), each a primary-key
        // lookup; then entries and volumes; emptiness last, read after its directory's row is locked.
        foreach (MetadataOp op in ops.Where(o => o.Kind == MetadataOpKind.ExpectChangeId).OrderBy(o => o.Inode))
        {
            batch.BatchCommands.Add(Command(string.Format(null, Fail, "coalesce(max(change_id), -1) = $2") +
                " FROM (SELECT change_id FROM inodes WHERE inode = $1 FOR UPDATE) locked", S(op.Inode), S(op.Cookie)));
        }
        foreach (MetadataOp op in ops)
        {
            switch (op.Kind)
            {
                case MetadataOpKind.ExpectEntry:
                    batch.BatchCommands.Add(Command(string.Format(null, Fail, "coalesce(max(inode), 0) = $3") +
                        " FROM (SELECT inode FROM entries WHERE dir = $1 AND name = $2 FOR UPDATE) locked", S(op.Directory), op.Name, S(op.Inode)));
                    break;
                case MetadataOpKind.ExpectVolume:
                    batch.BatchCommands.Add(Command(string.Format(null, Fail, "coalesce(max(volume), 0) = $2") +
                        " FROM (SELECT volume FROM volumes WHERE name = $1 FOR UPDATE) locked", op.Name, (long)op.Volume));
                    break;
            }
        }
        foreach (MetadataOp op in ops)
        {
            if (op.Kind != MetadataOpKind.ExpectEmpty) continue;
            batch.BatchCommands.Add(Command(string.Format(null, Fail, "NOT EXISTS (SELECT 1 FROM entries WHERE dir = $1)"), S(op.Inode)));
        }
    }

    private static void AddChanges(NpgsqlBatch batch, MetadataOp[] ops)
    {
        foreach (MetadataOp op in ops)
        {
            switch (op.Kind)
            {
                case MetadataOpKind.PutInode:
                    batch.BatchCommands.Add(Command(
                        "INSERT INTO inodes (inode, change_id, record) VALUES ($1, $2, $3) ON CONFLICT (inode) DO UPDATE SET change_id = EXCLUDED.change_id, record = EXCLUDED.record, " +
                        "entry_delta = 0, link_delta = 0, touched = 0",
                        S(op.Record.Inode), S(op.Record.ChangeId), FromInode(op.Record)));
                    break;
                case MetadataOpKind.AddToDirectory:
                    // One statement: the update locks the directory's row for the rest of this (one round trip)
                    // transaction only; no image was read, so nothing to conflict on. 1 / 0 if the directory is gone.
                    batch.BatchCommands.Add(Command(
                        "WITH t AS (UPDATE inodes SET change_id = change_id + 1, entry_delta = entry_delta + $2, link_delta = link_delta + $3, " +
                        "touched = GREATEST(touched, $4) WHERE inode = $1 RETURNING 1) SELECT 1 / (SELECT count(*) FROM t)",
                        S(op.Inode), unchecked((long)op.Cookie), unchecked((long)op.Block), Nanoseconds(op.Record.Mtime)));
                    break;
                case MetadataOpKind.DeleteInode:
                    batch.BatchCommands.Add(Command("DELETE FROM inodes WHERE inode = $1", S(op.Inode)));
                    batch.BatchCommands.Add(Command("DELETE FROM symlinks WHERE inode = $1", S(op.Inode)));
                    batch.BatchCommands.Add(Command("DELETE FROM xattrs WHERE inode = $1", S(op.Inode)));
                    break;
                case MetadataOpKind.PutXattrs:
                    batch.BatchCommands.Add(op.Data.Length == 0
                        ? Command("DELETE FROM xattrs WHERE inode = $1", S(op.Inode))
                        : Command("INSERT INTO xattrs (inode, data) VALUES ($1, $2) ON CONFLICT (inode) DO UPDATE SET data = EXCLUDED.data", S(op.Inode), op.Data));
                    break;
                case MetadataOpKind.DropBlockRange:
                    // A punched hole: as DropBlocks, over [from, to) only.
                    batch.BatchCommands.Add(Command(
                        "WITH gone AS (DELETE FROM blocks WHERE inode = $1 AND block >= $2 AND block < $3 RETURNING version) " +
                        "UPDATE meta SET num = GREATEST(num, (SELECT max(version) FROM gone)) WHERE key = 'max_block_version' AND EXISTS (SELECT 1 FROM gone)",
                        S(op.Inode), S(op.Block), S(op.Cookie)));
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
                    var record = new byte[op.BlockRecord.EncodedSize]; // a packed record carries its offset too
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
                case MetadataOpKind.PutSegment:
                    // Live 0: nothing names the segment any more (its object goes to the garbage collector).
                    batch.BatchCommands.Add(op.SegmentRecord.Live <= 0
                        ? Command("DELETE FROM segments WHERE segment = $1", S(op.Block))
                        : Command("INSERT INTO segments (segment, live, total, object_bytes) VALUES ($1, $2, $3, $4) " +
                                  "ON CONFLICT (segment) DO UPDATE SET live = EXCLUDED.live, total = EXCLUDED.total, object_bytes = EXCLUDED.object_bytes",
                            S(op.Block), op.SegmentRecord.Live, op.SegmentRecord.Total, op.SegmentRecord.ObjectBytes));
                    break;
                case MetadataOpKind.AddToSegment:
                {
                    // Atomic on the row (READ COMMITTED re-reads it after a concurrent change), then forgotten at 0.
                    long delta = unchecked((long)op.Cookie);
                    if (op.SegmentRecord.Live > 0)
                    {
                        batch.BatchCommands.Add(Command(
                            "INSERT INTO segments (segment, live, total, object_bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (segment) DO UPDATE SET live = segments.live + $5",
                            S(op.Block), op.SegmentRecord.Live + delta, op.SegmentRecord.Total, op.SegmentRecord.ObjectBytes, delta));
                    }
                    else if (delta > 0)
                    {
                        // Naming bytes of a segment someone else may just have forgotten: no row, no batch.
                        batch.BatchCommands.Add(Command(
                            "WITH changed AS (UPDATE segments SET live = live + $2 WHERE segment = $1 RETURNING 1) SELECT 1 / (SELECT count(*)::int FROM changed)",
                            S(op.Block), delta));
                    }
                    else
                    {
                        batch.BatchCommands.Add(Command("UPDATE segments SET live = live + $2 WHERE segment = $1", S(op.Block), delta));
                    }
                    batch.BatchCommands.Add(Command("DELETE FROM segments WHERE segment = $1 AND live <= 0", S(op.Block)));
                    break;
                }
                case MetadataOpKind.PutFilesystemId:
                    batch.BatchCommands.Add(Command(
                        "INSERT INTO meta (key, data) VALUES ('filesystem_id', $1) ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data", op.Data));
                    break;
                default:
                    if (!op.IsPrecondition) throw new ArgumentException($"Unknown op kind {op.Kind}");
                    break;
            }
        }
    }

    /// <summary>A time as nanoseconds since the epoch (bigint: until 2262).</summary>
    internal static long Nanoseconds(Timestamp t) => t.Seconds * 1_000_000_000 + t.Nanoseconds;

    private static bool ExpectsAbsentVolume(MetadataOp[] ops, byte[] name) =>
        ops.Any(o => o.Kind == MetadataOpKind.ExpectVolume && o.Volume == 0 && o.Name.AsSpan().SequenceEqual(name));

    private static NpgsqlBatchCommand Command(string sql, params object[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (object p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return command;
    }
}
