using FASTER.core;

namespace DittoFs.Storage.Metadata.Faster;

public sealed partial class FasterMetadataStore
{
    // The last measurement: live bytes of the hybrid log and its size then (-1: never measured).
    private long _measuredLive = -1;
    private long _measuredTotal = -1;
    private long _compactions;
    // Deletes applied since the last measurement: each leaves a dead version (and a tombstone) behind.
    private long _deletesSinceMeasure;
    private const int DeadBytesPerDelete = 128;

    /// <summary>Compactions done since open (tests, metrics).</summary>
    internal long Compactions => Interlocked.Read(ref _compactions);

    /// <summary>Hybrid log bytes (begin to tail): what compaction keeps proportional to the live records.</summary>
    internal long KvLogBytes => Kv.Store.Log.TailAddress - Kv.Store.Log.BeginAddress;

    /// <summary>
    /// Live fraction of the hybrid log: live bytes at the last measurement over the log now (exact
    /// right after a measurement, falling as updates and deletes leave dead versions behind).
    /// </summary>
    internal double LiveRatio
    {
        get
        {
            long live = Interlocked.Read(ref _measuredLive);
            long total = KvLogBytes;
            return live < 0 || total <= 0 ? 1 : Math.Min(1, (double)live / total);
        }
    }

    /// <summary>
    /// After a checkpoint (the caller holds the checkpoint gate), once the log is at least
    /// CompactMinLogBytes and half again as big as at the last measurement (or enough deletes since
    /// then to have killed half of what was live): measures the live bytes
    /// (one scan), and if under half the log is live, compacts: live records below the read-only
    /// address are copied to the tail and the begin address moves past them; the next checkpoint
    /// deletes the files before it. Updates outside the mutable region append new versions and
    /// deletes append tombstones, so without this the log keeps every version forever. Measuring
    /// only after that much change keeps the scans' cost proportional to what is written.
    /// Returns whether it compacted.
    /// </summary>
    private async Task<bool> MaybeCompactLockedAsync()
    {
        if (_options.CompactMinLogBytes <= 0) return false;
        long size = KvLogBytes;
        bool grown = size >= _measuredTotal + _measuredTotal / 2;
        bool emptied = Interlocked.Read(ref _deletesSinceMeasure) * DeadBytesPerDelete >= Interlocked.Read(ref _measuredLive) / 2;
        if (size < _options.CompactMinLogBytes || (!grown && !emptied)) return false;
        Interlocked.Exchange(ref _deletesSinceMeasure, 0);
        long live = await Task.Run(MeasureLiveBytes).ConfigureAwait(false);
        Interlocked.Exchange(ref _measuredLive, live);
        _measuredTotal = size;
        if (live * 2 >= size) return false;
        await Task.Run(CompactLocked).ConfigureAwait(false);
        return true;
    }

    /// <summary>Bytes of the newest non-deleted version of every key (below the read-only address; above it all counts as live).</summary>
    private long MeasureLiveBytes()
    {
        var log = Kv.Store.Log;
        long until = log.SafeReadOnlyAddress;
        var newest = new Dictionary<byte[], (long Address, int Size, bool Deleted)>(ByteArrayComparer.Instance);
        var lookup = newest.GetAlternateLookup<ReadOnlySpan<byte>>();
        using (var scan = log.Scan(log.BeginAddress, until))
        {
            while (scan.GetNext(out RecordInfo info))
            {
                if (info.Invalid) continue;
                lookup[scan.GetKey().AsReadOnlySpan()] = (scan.CurrentAddress, (int)(scan.NextAddress - scan.CurrentAddress), info.Tombstone);
            }
        }
        long live = Math.Max(0, log.TailAddress - until);
        foreach (var (_, size, deleted) in newest.Values) if (!deleted) live += size;
        return live;
    }

    /// <summary>Compacts the whole immutable part of the log now (the caller holds the checkpoint gate).</summary>
    internal void CompactLocked()
    {
        var log = Kv.Store.Log;
        long until = log.SafeReadOnlyAddress;
        if (until <= log.BeginAddress) return;
        var session = Kv.Sessions.Rent();
        try
        {
            // Lookup: liveness by the hash chain (no temporary KV of the whole range in memory).
            session.Compact(until, CompactionType.Lookup);
        }
        finally
        {
            Kv.Sessions.Return(session);
        }
        long after = KvLogBytes;
        Interlocked.Exchange(ref _measuredLive, after); // about: what was live, and what arrived meanwhile
        _measuredTotal = after;
        Interlocked.Increment(ref _compactions);
        _options.Metrics?.Compacted();
    }
}
