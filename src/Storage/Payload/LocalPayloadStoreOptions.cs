namespace DittoFs.Storage.Payload;

/// <summary>Settings of a <see cref="LocalPayloadStore"/>.</summary>
public sealed record LocalPayloadStoreOptions
{
    /// <summary>Directory holding the block files.</summary>
    public required string Root { get; init; }

    /// <summary>Bytes per block file (a file's byte range [i*BlockSize, (i+1)*BlockSize) lives in block file i).</summary>
    public int BlockSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Open block-file handles kept cached (LRU).</summary>
    public int MaxOpenFiles { get; init; } = 256;

    /// <summary>
    /// Size of the data journal (<c>&lt;Root&gt;/data.journal</c>, preallocated) that makes small
    /// blocks durable with one fdatasync per flush round; 0 = none (every block fsynced in place).
    /// </summary>
    public long JournalBytes { get; init; } = 64L << 20;

    /// <summary>Blocks whose file is at most this long are journaled at a flush instead of fsynced.</summary>
    public int JournalMaxImage { get; init; } = 64 * 1024;

    /// <summary>
    /// Free space left alone on the disk: a write that would go below it fails with
    /// <see cref="StorageFullException"/> (NOSPC), so metadata on the same disk (and the deletes
    /// that free space) still have room. 0 = none.
    /// </summary>
    public long ReserveBytes { get; init; }

    /// <summary>Where a full disk is logged; null = not logged.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    /// <summary>Where fsync rounds are measured; null = not measured.</summary>
    public Diagnostics.StorageMetrics? Metrics { get; init; }
}
