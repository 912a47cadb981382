using FASTER.core;

namespace DittoFs.Storage.Metadata.Faster;

public sealed partial class FasterMetadataStore
{
    // Hybrid log bytes right after the last compaction: what was live then. -1 = not measured yet.
    private long _liveAfterCompaction = -1;
    private long _compactions;

    /// <summary>Compactions done since open (tests, metrics).</summary>
    internal long Compactions => Interlocked.Read(ref _compactions);

    /// <summary>Hybrid log bytes (begin to tail): what compaction keeps proportional to the live records.</summary>
    internal long KvLogBytes => Kv.Store.Log.TailAddress - Kv.Store.Log.BeginAddress;

    /// <summary>
    /// Live fraction of the hybrid log, estimated as what was live after the last compaction over the
    /// log now (1 after a compaction, falling as updates and deletes leave dead versions behind).
    /// </summary>
    internal double LiveRatio
    {
        get
        {
            long live = Interlocked.Read(ref _liveAfterCompaction);
            long total = KvLogBytes;
            return live < 0 || total <= 0 ? 1 : Math.Min(1, (double)live / total);
        }
    }

    /// <summary>
    /// Compacts before a checkpoint (the caller holds the checkpoint gate) when the log is big and
    /// mostly dead: live records below the read-only address are copied to the tail and the begin
    /// address moves past them; the checkpoint that follows deletes the log files before it. Every
    /// update rewrites its record at the tail (values are post-images), so without this the log
    /// would keep every version of everything forever.
    /// </summary>
    private async Task MaybeCompactLockedAsync()
    {
        if (_options.CompactMinLogBytes <= 0) return;
        long size = KvLogBytes;
        long live = Interlocked.Read(ref _liveAfterCompaction);
        if (size < _options.CompactMinLogBytes || (live >= 0 && size < 2 * live)) return;
        await Task.Run(CompactLocked).ConfigureAwait(false);
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
        Interlocked.Exchange(ref _liveAfterCompaction, KvLogBytes);
        Interlocked.Increment(ref _compactions);
        _options.Metrics?.Compacted();
    }
}
