namespace DittoFs.Storage.Diagnostics;

/// <summary>What a payload store still has to make durable in its backing store (blocks to upload, files to fsync).</summary>
public readonly record struct FlushBacklog(long Blocks, long Bytes)
{
    public bool IsEmpty => Blocks == 0 && Bytes == 0;
}

/// <summary>
/// Lets an operator wait for a payload store's write-back to drain (<c>dittofs flush</c>,
/// <c>POST /admin/flush</c>). The local store fsyncs what is dirty; the S3 store
/// waits until every dirty block is uploaded.
/// </summary>
public interface IFlushControl
{
    /// <summary>The backlog now (cheap: read at every progress report).</summary>
    FlushBacklog Backlog { get; }

    /// <summary>Completes once everything written before the call is durable in the backing store, reporting the backlog as it drains.</summary>
    Task DrainAsync(IProgress<FlushBacklog>? progress, CancellationToken cancellationToken);
}

public readonly record struct GcResult(long Scanned, long Removed, long RemovedBytes);

/// <summary>
/// Removes payload nobody references any more (<c>dittofs gc</c>, <c>POST /admin/gc</c>):
/// blocks of deleted or truncated files the store deletes lazily. The local store
/// deletes eagerly, so it has nothing to collect.
/// </summary>
public interface IGarbageCollector
{
    Task<GcResult> CollectAsync(CancellationToken cancellationToken);
}

/// <summary>Whether a store can serve now (<c>/readyz</c>).</summary>
public interface IHealthProbe
{
    /// <summary>Null when healthy, else why not (e.g. "bucket unreachable: ...").</summary>
    ValueTask<string?> ProbeAsync(CancellationToken cancellationToken);
}

/// <summary>Which blocks of a file a payload store holds (<c>dittofs check</c>).</summary>
public interface IBlockInventory
{
    /// <summary>The indexes of the blocks present for <paramref name="inode"/>, in any order.</summary>
    ValueTask<IReadOnlyCollection<ulong>> ListBlocksAsync(ulong inode, CancellationToken cancellationToken);

    /// <summary>Where a block lives, for messages (a path, an object key).</summary>
    string DescribeBlock(ulong inode, ulong block);
}
