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
    /// Free space left alone on the disk: a write that would go below it fails with
    /// <see cref="StorageFullException"/> (NOSPC), so metadata on the same disk (and the deletes
    /// that free space) still have room. 0 = none.
    /// </summary>
    public long ReserveBytes { get; init; }

    /// <summary>Where fsync rounds are measured; null = not measured.</summary>
    public Diagnostics.StorageMetrics? Metrics { get; init; }
}
