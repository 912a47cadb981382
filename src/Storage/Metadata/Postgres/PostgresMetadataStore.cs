using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DittoFs.Storage.Metadata.Faster;
using Npgsql;

namespace DittoFs.Storage.Metadata.Postgres;

/// <summary>
/// <see cref="IMetadataStore"/> on PostgreSQL (or a PostgreSQL-compatible distributed SQL engine),
/// so several DittoFs servers can share one namespace. Each batch is one transaction: its
/// preconditions are checked inside it, under row locks, before its changes; a batch whose
/// preconditions fail returns <see cref="MetadataConflict.Position"/> with nothing applied.
///
/// Isolation: READ COMMITTED plus explicit row locks rather than SERIALIZABLE. Every precondition
/// reads the rows it depends on <c>FOR UPDATE</c> (change ids, entries, volumes), so what it checked
/// cannot change before the commit; an entry that did not exist cannot be locked, but every insert of
/// one also locks its directory's inode row and hits the (dir, name) primary key, so a racing insert
/// is a unique violation, reported as a conflict. SERIALIZABLE would add nothing to that but the false
/// positives of predicate locks on the hot directory's index pages. The same SQL is correct under
/// SERIALIZABLE engines (CockroachDB's default), whose 40001s are retried here.
///
/// A commit is durable when it returns (synchronous_commit), so positions are only a local counter and
/// <see cref="WaitDurableAsync"/> has nothing to wait for. A batch is one round trip (see ApplyAsync).
/// Unlike the embedded stores, PutEntry inserts:
/// rebinding a live name is a conflict (the filesystem always deletes the old entry first).
/// </summary>
public sealed partial class PostgresMetadataStore : IMetadataStore
{
    private static readonly int InodeSize = Unsafe.SizeOf<InodeRecord>();

    private readonly PostgresMetadataStoreOptions _options;
    private readonly NpgsqlDataSource _source;
    private readonly Lock _leaseLock = new();
    private ulong _nextInode;
    private ulong _leaseEnd;
    private long _maxBlockVersion;
    private long _position;

    public PostgresMetadataStore(PostgresMetadataStoreOptions options)
    {
        _options = options;
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        // The same dozen statements run all the time: let Npgsql prepare them once per connection.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        // The store sets no session state, so a pooled connection needs no DISCARD ALL between users.
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        _source = builder.Build();
        PostgresMetrics.Track(Counters);
    }

    /// <summary>Counters of this store (round trips, retries), for metrics and tests.</summary>
    public PostgresStoreCounters Counters { get; } = new();

    public async ValueTask OpenAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Schema.MigrateAsync(_source, cancellationToken).ConfigureAwait(false);
            await using NpgsqlCommand max = _source.CreateCommand(
                "SELECT GREATEST((SELECT num FROM meta WHERE key = 'max_block_version'), (SELECT max(version) FROM blocks), 0)");
            long found = (long)(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            Counters.RoundTrip();
            InterlockedMax(ref _maxBlockVersion, found);
        }
        catch (NpgsqlException e)
        {
            throw new IOException("Cannot open the PostgreSQL metadata store: " + e.Message, e);
        }
    }

    /// <summary>From a range leased off the database sequence: no row that every create touches.</summary>
    public ulong AllocateInode()
    {
        lock (_leaseLock)
        {
            if (_nextInode == _leaseEnd)
            {
                // One round trip per InodeLeaseSize creates; the sequence steps by the lease size.
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                using NpgsqlCommand next = _source.CreateCommand("SELECT nextval('inode_lease')");
                ulong start = (ulong)(long)Run(() => next.ExecuteScalar())!;
                Counters.RoundTrip();
                PostgresMetrics.RoundTrip("lease", started);
                _nextInode = start;
                _leaseEnd = start + (ulong)_options.InodeLeaseSize;
            }
            return _nextInode++;
        }
    }

    /// <summary>A range of object ids off the database sequence: one round trip per 1,024 uploads, shared by all servers.</summary>
    public async ValueTask<IdRange> LeaseBlockVersionsAsync()
    {
        try
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            await using NpgsqlCommand next = _source.CreateCommand("SELECT nextval('block_version_lease')");
            long first = (long)(await next.ExecuteScalarAsync().ConfigureAwait(false))!;
            Counters.RoundTrip();
            PostgresMetrics.RoundTrip("lease", started);
            return new IdRange(U(first), PostgresMetadataStoreOptions.VersionLeaseSize);
        }
        catch (NpgsqlException e)
        {
            throw new IOException("PostgreSQL object id lease failed: " + e.Message, e);
        }
    }

    public async ValueTask<InodeRecord?> GetInodeAsync(ulong inode)
    {
        InodeRecord? found = null;
        await QueryAsync("SELECT record, change_id, entry_delta, link_delta, touched FROM inodes WHERE inode = $1", r =>
        {
            // The image plus what AddToDirectory added since it was written whole.
            InodeRecord record = ToInode((byte[])r.GetValue(0));
            record.ChangeId = U(r.GetInt64(1));
            record.EntryCount = unchecked(record.EntryCount + (ulong)r.GetInt64(2));
            record.LinkCount = unchecked((uint)(record.LinkCount + r.GetInt64(3)));
            long touched = r.GetInt64(4);
            if (touched > Nanoseconds(record.Mtime))
            {
                var at = new Timestamp(touched / 1_000_000_000, (uint)(touched % 1_000_000_000));
                record.SetMtime(at);
                if (at.CompareTo(record.Ctime) > 0) record.SetCtime(at);
            }
            found = record;
        }, S(inode)).ConfigureAwait(false);
        return found;
    }

    public async ValueTask<EntryRecord?> GetEntryAsync(ulong directory, ReadOnlyMemory<byte> name)
    {
        EntryRecord? found = null;
        await QueryAsync("SELECT inode, cookie FROM entries WHERE dir = $1 AND name = $2",
            r => found = new EntryRecord(U(r.GetInt64(0)), U(r.GetInt64(1))), S(directory), name.ToArray()).ConfigureAwait(false);
        return found;
    }

    public async ValueTask<byte[]?> GetSymlinkAsync(ulong inode) =>
        await ScalarAsync<byte[]>("SELECT target FROM symlinks WHERE inode = $1", S(inode)).ConfigureAwait(false);

    public async ValueTask<byte[]?> GetXattrsAsync(ulong inode) =>
        await ScalarAsync<byte[]>("SELECT data FROM xattrs WHERE inode = $1", S(inode)).ConfigureAwait(false);

    public async ValueTask<VolumeRecord?> GetVolumeAsync(ReadOnlyMemory<byte> name)
    {
        VolumeRecord? found = null;
        await QueryAsync("SELECT volume, root FROM volumes WHERE name = $1",
            r => found = new VolumeRecord((uint)r.GetInt64(0), U(r.GetInt64(1))), name.ToArray()).ConfigureAwait(false);
        return found;
    }

    public async ValueTask<IReadOnlyList<DirEntryRecord>> ListEntriesAsync(ulong directory, ulong afterCookie, int max)
    {
        var result = new List<DirEntryRecord>(Math.Clamp(max, 0, 1024));
        if (max <= 0) return result;
        await QueryAsync("SELECT cookie, name, inode FROM entries WHERE dir = $1 AND cookie > $2 ORDER BY cookie LIMIT $3",
            r => result.Add(new DirEntryRecord(U(r.GetInt64(0)), (byte[])r.GetValue(1), U(r.GetInt64(2)))),
            S(directory), S(afterCookie), (long)max).ConfigureAwait(false);
        return result;
    }

    public async ValueTask<BlockRecord?> GetBlockAsync(ulong inode, ulong block)
    {
        byte[]? bytes = await ScalarAsync<byte[]>("SELECT record FROM blocks WHERE inode = $1 AND block = $2", S(inode), S(block)).ConfigureAwait(false);
        return bytes is null ? null : BlockValue.Read(bytes);
    }

    public async ValueTask<IReadOnlyList<BlockEntry>> ListBlocksAsync(ulong inode, ulong fromBlock)
    {
        var result = new List<BlockEntry>();
        await QueryAsync("SELECT block, record FROM blocks WHERE inode = $1 AND block >= $2 ORDER BY block",
            r => result.Add(new BlockEntry(U(r.GetInt64(0)), BlockValue.Read((byte[])r.GetValue(1)))), S(inode), S(fromBlock)).ConfigureAwait(false);
        return result;
    }

    public async ValueTask<IReadOnlyList<BlockEntry>> ListBlockRangeAsync(ulong inode, ulong fromBlock, ulong toBlock)
    {
        var result = new List<BlockEntry>();
        if (fromBlock >= toBlock) return result;
        // Past 2^63 - 1 as bigint would wrap negative: "to the end" is then no upper bound.
        await QueryAsync("SELECT block, record FROM blocks WHERE inode = $1 AND block >= $2 AND block < $3 ORDER BY block",
            r => result.Add(new BlockEntry(U(r.GetInt64(0)), BlockValue.Read((byte[])r.GetValue(1)))),
            S(inode), S(fromBlock), toBlock > long.MaxValue ? long.MaxValue : S(toBlock)).ConfigureAwait(false);
        return result;
    }

    public async ValueTask<SegmentRecord?> GetSegmentAsync(ulong segment)
    {
        SegmentRecord? found = null;
        await QueryAsync("SELECT live, total, object_bytes FROM segments WHERE segment = $1",
            r => found = new SegmentRecord(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)), S(segment)).ConfigureAwait(false);
        return found;
    }

    public ulong MaxBlockVersion => (ulong)Interlocked.Read(ref _maxBlockVersion);

    public async ValueTask<Guid?> GetFilesystemIdAsync()
    {
        byte[]? bytes = await ScalarAsync<byte[]>("SELECT data FROM meta WHERE key = 'filesystem_id'").ConfigureAwait(false);
        return bytes is null ? null : new Guid(bytes);
    }

    public ValueTask WaitDurableAsync(long position) => ValueTask.CompletedTask;

    /// <summary>Preconditions are checked in the database: mutations need not wait for each other (up to the pool).</summary>
    public int MaxConcurrentMutations => _options.MaxConcurrentMutations;

    public ValueTask CheckpointAsync() => ValueTask.CompletedTask;

    /// <summary>Other servers may use the same database.</summary>
    public bool IsShared => true;

    public ValueTask DisposeAsync()
    {
        PostgresMetrics.Untrack(Counters);
        return _source.DisposeAsync();
    }

    // ---- helpers ----

    private async ValueTask<T?> ScalarAsync<T>(string sql, params object[] parameters) where T : class
    {
        try
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            await using NpgsqlCommand command = _source.CreateCommand(sql);
            foreach (object p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
            object? value = await command.ExecuteScalarAsync().ConfigureAwait(false);
            Counters.RoundTrip();
            PostgresMetrics.RoundTrip("read", started);
            return value is DBNull ? null : (T?)value;
        }
        catch (NpgsqlException e)
        {
            throw new IOException("PostgreSQL metadata read failed: " + e.Message, e);
        }
    }

    private async ValueTask QueryAsync(string sql, Action<NpgsqlDataReader> row, params object[] parameters)
    {
        try
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            await using NpgsqlCommand command = _source.CreateCommand(sql);
            foreach (object p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false)) row(reader);
            Counters.RoundTrip();
            PostgresMetrics.RoundTrip("read", started);
        }
        catch (NpgsqlException e)
        {
            throw new IOException("PostgreSQL metadata read failed: " + e.Message, e);
        }
    }

    private static T Run<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (NpgsqlException e)
        {
            throw new IOException("PostgreSQL metadata call failed: " + e.Message, e);
        }
    }

    private static InodeRecord ToInode(byte[] bytes)
    {
        if (bytes.Length != InodeSize) throw new InvalidDataException("Corrupt inode record");
        return MemoryMarshal.Read<InodeRecord>(bytes);
    }

    private static byte[] FromInode(in InodeRecord record) => MemoryMarshal.AsBytes(new ReadOnlySpan<InodeRecord>(in record)).ToArray();

    // Unsigned 64-bit numbers as bigint: the same bits (inodes, cookies and versions stay below 2^63 in practice; order is kept there).
    private static long S(ulong value) => unchecked((long)value);

    private static ulong U(long value) => unchecked((ulong)value);

    private static void InterlockedMax(ref long target, long value)
    {
        long seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            long prior = Interlocked.CompareExchange(ref target, value, seen);
            if (prior == seen) return;
            seen = prior;
        }
    }
}
