using System.Runtime.InteropServices;
using DittoFs.Storage.Metadata.Shipping;
using FASTER.core;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// The store's side of shipping (see MetadataShipper) and of restore (MetadataRestore): committed
/// WAL records read back raw, snapshots of the live KV records, and loading both into a fresh store.
/// </summary>
public sealed partial class FasterMetadataStore : IShippingSource
{
    private MetadataShipper? _shipper;

    /// <summary>The shipper, when <see cref="FasterMetadataStoreOptions.Shipping"/> is set (tests, metrics).</summary>
    internal MetadataShipper? Shipper => _shipper;

    /// <summary>
    /// Completes once the bucket holds every change up to <paramref name="walPosition"/> (a value
    /// <see cref="ApplyAsync"/> returned); ships at once rather than at the next interval. Without
    /// shipping configured this is <see cref="WaitDurableAsync"/>.
    /// </summary>
    public ValueTask WaitShippedAsync(long walPosition)
    {
        ThrowIfNotOpen();
        return _shipper is { } shipper ? shipper.WaitShippedAsync(walPosition) : WaitDurableAsync(walPosition);
    }

    long IShippingSource.WalTailAddress => Wal.TailAddress;

    long IShippingSource.WalCommittedAddress => Wal.CommittedUntilAddress;

    ValueTask IShippingSource.CommitWalAsync(long position)
    {
        if (Wal.CommittedUntilAddress >= position) return default;
        var commit = _commit ?? throw NotOpen();
        return commit.WaitAsync(position);
    }

    long IShippingSource.ReadWal(long from, long until, int maxBytes, List<WalRecord> into)
    {
        using var iterator = Wal.Scan(from, until);
        long next = from;
        int bytes = 0;
        while (bytes < maxBytes)
        {
            if (!iterator.GetNext(out byte[] entry, out int length, out long current, out long nextAddress)) return until; // all of [from, until)
            into.Add(new WalRecord(current, entry.Length == length ? entry : entry.AsSpan(0, length).ToArray()));
            bytes += length;
            next = nextAddress;
        }
        return next;
    }

    async Task<(long Covered, long Requires)> IShippingSource.TakeSnapshotAsync(
        Func<long, ShipFormat.SnapshotWriter> writer, Action<long> beforeRelease, CancellationToken cancellationToken)
    {
        await _checkpointGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long covered = await CheckpointLockedAsync().ConfigureAwait(false);
            beforeRelease(covered);
            // A fold-over checkpoint made everything below the read-only address immutable: scanning it
            // reads no record while it is updated in place. That state is at or after `covered`; every
            // batch with effects below it was enqueued before the WAL tail read next (apply follows enqueue).
            long until = Kv.Store.Log.SafeReadOnlyAddress;
            long requires = Wal.TailAddress;
            var w = writer(covered);
            await Task.Run(() => WriteLiveRecords(until, (k, v) => w.Add(k, v)), cancellationToken).ConfigureAwait(false);
            w.Complete();
            return (covered, requires);
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    /// <summary>
    /// Calls <paramref name="record"/> with the newest version of every live key in the hybrid log
    /// below <paramref name="until"/>: one pass notes the newest address of each key, a second emits
    /// the records at those addresses (tombstones skipped). Memory: the keys, not the values.
    /// </summary>
    internal void WriteLiveRecords(long until, ShipFormat.SnapshotRecordAction record)
    {
        var newest = new Dictionary<byte[], long>(ByteArrayComparer.Instance);
        var lookup = newest.GetAlternateLookup<ReadOnlySpan<byte>>();
        var log = Kv.Store.Log;
        long begin = log.BeginAddress;
        using (var scan = log.Scan(begin, until))
        {
            while (scan.GetNext(out RecordInfo info))
            {
                if (info.Invalid) continue;
                lookup[scan.GetKey().AsReadOnlySpan()] = scan.CurrentAddress;
            }
        }
        using (var scan = log.Scan(begin, until))
        {
            while (scan.GetNext(out RecordInfo info))
            {
                if (info.Invalid || info.Tombstone) continue;
                ReadOnlySpan<byte> key = scan.GetKey().AsReadOnlySpan();
                if (lookup.TryGetValue(key, out long newestAddress) && newestAddress == scan.CurrentAddress) record(key, scan.GetValue().AsReadOnlySpan());
            }
        }
    }

    /// <summary>Every live record now (tests: compares stores record by record).</summary>
    internal List<(byte[] Key, byte[] Value)> LiveRecords()
    {
        var all = new List<(byte[], byte[])>();
        lock (_applyLock) WriteLiveRecords(Kv.Store.Log.TailAddress, (k, v) => all.Add((k.ToArray(), v.ToArray())));
        return all;
    }

    /// <summary>Restore: puts one snapshot record as is (the superblock among them restores the inode counter).</summary>
    internal void RestoreRecord(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ThrowIfNotOpen();
        lock (_applyLock)
        {
            Kv.Upsert(key, value);
            if (key.Length == Keys.SuperblockKeySize && key[0] == Keys.SuperblockTag && value.Length == 8)
                BumpInodeCounter(MemoryMarshal.Read<ulong>(value));
        }
    }

    /// <summary>Restore: re-applies one shipped WAL batch (idempotent, as in recovery).</summary>
    internal void RestoreBatch(ReadOnlySpan<byte> batch)
    {
        ThrowIfNotOpen();
        lock (_applyLock) ReplayBatch(batch);
    }

    /// <summary>Restore: converts layout-1 directory pages a snapshot brought (before its WAL is replayed).</summary>
    internal void MigrateDirectoryPagesAfterRestore()
    {
        ThrowIfNotOpen();
        lock (_applyLock) MigrateDirectoryPages(always: true);
    }

    private void StartShipping()
    {
        if (_options.Shipping is not { } shipping) return;
        _shipper = new MetadataShipper(this, shipping, Path.Combine(_options.MetadataDirectory, "ship"), _options.Metrics, _options.Logger);
        _shipper.Start();
        var shipper = _shipper;
        _options.Metrics?.ObserveShipping(() => shipper.LagSeconds, () => shipper.LagBytes);
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var h = new HashCode();
            h.AddBytes(alternate);
            return h.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
