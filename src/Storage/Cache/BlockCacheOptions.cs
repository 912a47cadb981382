namespace DittoFs.Storage.Cache;

/// <summary>Settings of the block cache in front of an object store.</summary>
public sealed record BlockCacheOptions
{
    /// <summary>The disk tier: block files only (the block map is in the metadata store), so it may be lost or emptied.</summary>
    public required string Directory { get; init; }

    /// <summary>Disk-tier limit; clean blocks are evicted past it, and writes are delayed when it is all dirty.</summary>
    public long SizeBytes { get; init; } = 4L << 30;

    /// <summary>Bytes per block, and so per object.</summary>
    public int BlockSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>A dirty block not written for this long is uploaded even if incomplete.</summary>
    public TimeSpan FlushIdle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A complete block (its last byte written) is uploaded once no write touched it for this long.</summary>
    public TimeSpan CompleteSettle { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Blocks smaller than a block (small files, tails) are uploaded together as one segment object
    /// (one PUT for many files; reads fetch a byte range of it). False: one object per block.
    /// </summary>
    public bool PackSmallBlocks { get; init; } = true;

    /// <summary>A segment is uploaded once its blocks reach this many bytes…</summary>
    public int SegmentBytes { get; init; } = 1024 * 1024;

    /// <summary>…or this many blocks…</summary>
    public int SegmentMaxBlocks { get; init; } = 4096;

    /// <summary>
    /// …or its oldest block has been ready to upload for this long. A COMMITted small block is ready
    /// once no write touched it for this long (others once idle past <see cref="FlushIdle"/>): the batch
    /// delay, short enough that the bucket holds a closed small file within tens of milliseconds, long
    /// enough that the small files of many clients share a PUT.
    /// </summary>
    public TimeSpan SegmentWait { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Segments not full go at most this often: a lone small file reaches the bucket within
    /// <see cref="SegmentWait"/>, a steady stream costs at most one PUT per interval (plus one per
    /// <see cref="SegmentBytes"/>), which keeps 10,000 small files from many clients at 50x fewer PUTs than files.
    /// </summary>
    public TimeSpan SegmentInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A segment whose live bytes fall below this fraction of its total is compacted (its live blocks rewritten into a new one).</summary>
    public double CompactBelow { get; init; } = 0.5;

    /// <summary>Uploads in flight at once.</summary>
    public int UploadConcurrency { get; init; } = 8;

    /// <summary>Block downloads (misses and read-ahead) in flight at once.</summary>
    public int DownloadConcurrency { get; init; } = 8;

    /// <summary>Blocks fetched ahead of a sequential reader (8 x 4 MiB: 30 ms of S3 latency at ~1 GB/s per stream; in flight at most DownloadConcurrency).</summary>
    public int ReadAheadBlocks { get; init; } = 8;

    /// <summary>Longest wait between two upload attempts while the object store fails.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Size of the data journal (next to the block files) that makes small blocks durable with one fdatasync per flush round; 0 = none.</summary>
    public long DataJournalBytes { get; init; } = 64L << 20;

    /// <summary>Open block-file handles kept (LRU).</summary>
    public int MaxOpenFiles { get; init; } = 256;

    /// <summary>Where cache, flusher and upload activity is measured; null = not measured.</summary>
    public Diagnostics.StorageMetrics? Metrics { get; init; }

    /// <summary>
    /// Durability=Bucket: a flush (COMMIT, FILE_SYNC) uploads the file's dirty blocks and returns
    /// once they are in the object store and <see cref="WaitMetadataShipped"/> covers the block map
    /// naming them, so a COMMITted byte survives the loss of the instance.
    /// </summary>
    public bool UploadOnFlush { get; init; }

    /// <summary>Completes once the metadata WAL up to the given position is in the bucket (null: metadata is not shipped).</summary>
    public Func<long, CancellationToken, ValueTask>? WaitMetadataShipped { get; init; }

    /// <summary>Where lost blocks, unreadable objects and the filesystem id are logged; null = not logged.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    /// <summary>Start the flusher and the start-up sweep (false: an offline inspection such as <c>dittofs check</c>).</summary>
    public bool Background { get; init; } = true;
}
