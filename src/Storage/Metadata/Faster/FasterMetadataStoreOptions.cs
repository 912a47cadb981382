namespace DittoFs.Storage.Metadata.Faster;

/// <summary>Settings of <see cref="FasterMetadataStore"/>. Defaults suit a server; tests shrink them.</summary>
public sealed class FasterMetadataStoreOptions
{
    /// <summary>Root data directory; the store lives in <c>&lt;DataDirectory&gt;/metadata/</c>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>In-memory part of the KV hybrid log (bytes, power of two). Older records are read from disk.</summary>
    public long KvMemorySize { get; init; } = 1L << 28;

    /// <summary>KV hybrid log page size (bytes, power of two).</summary>
    public long KvPageSize { get; init; } = 1L << 22;

    /// <summary>
    /// KV hybrid log file size (bytes, power of two, at least KvPageSize): compaction gives disk back
    /// one whole file at a time. Fixed when a store is made (kept in kv/segment-size).
    /// </summary>
    public long KvSegmentSize { get; init; } = 1L << 26;

    /// <summary>
    /// Compaction: the hybrid log is compacted at a checkpoint once it is at least this big and
    /// at least twice what was live after the previous compaction (so it stays within about twice
    /// the live metadata). 0 disables compaction.
    /// </summary>
    public long CompactMinLogBytes { get; init; } = 32L << 20;

    /// <summary>Hash index size in bytes (64 bytes per bucket of 7 entries).</summary>
    public long KvIndexSize { get; init; } = 1L << 24;

    /// <summary>WAL page size (bytes, power of two). A batch must fit in one page.</summary>
    public long WalPageSize { get; init; } = 1L << 22;

    /// <summary>WAL file size (bytes, power of two, at least WalPageSize); fixed when the WAL is made (kept in wal/segment-size).</summary>
    public long WalSegmentSize { get; init; } = 1L << 26;

    /// <summary>WAL in-memory size (bytes, at least two pages).</summary>
    public long WalMemorySize { get; init; } = 1L << 24;

    /// <summary>Time-based checkpoint trigger (also taken on dispose). Zero or negative disables the timer.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Size-based checkpoint trigger: WAL bytes since the last checkpoint.</summary>
    public long CheckpointWalBytes { get; init; } = 64L << 20;

    /// <summary>Minimum spacing between group commits; waiters arriving meanwhile share the next one.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Entries per directory page; fixed once a store has data (it decides page keys).</summary>
    public int DirectoryPageSize { get; init; } = 128;

    /// <summary>
    /// Free space the WAL keeps on its disk: a change that would go below it fails with
    /// StorageFullException (NOSPC) before anything is applied, so a full disk never tears a WAL
    /// write (FASTER cannot recover past a torn commit record). Changes that only remove (which
    /// free space) may use all but an eighth of it. 0 = none.
    /// </summary>
    public long ReserveBytes { get; init; }

    /// <summary>Ships checkpoints and the WAL to a bucket (see Shipping.MetadataShipper); null = the disk is the only copy.</summary>
    public Shipping.ShippingOptions? Shipping { get; init; }

    /// <summary>Where WAL commits, checkpoints and log sizes are measured; null = not measured.</summary>
    public Diagnostics.StorageMetrics? Metrics { get; init; }

    /// <summary>Where recovery, checkpoints, a full disk and the close are logged; null = not logged.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    internal string MetadataDirectory => Path.Combine(DataDirectory, "metadata");
    internal string WalDirectory => Path.Combine(MetadataDirectory, "wal");
    internal string KvDirectory => Path.Combine(MetadataDirectory, "kv");
    internal string CheckpointDirectory => Path.Combine(MetadataDirectory, "checkpoints");
}
