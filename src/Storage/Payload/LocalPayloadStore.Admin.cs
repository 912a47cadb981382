using System.Globalization;
using DittoFs.Storage.Diagnostics;

namespace DittoFs.Storage.Payload;

// Operator hooks: flush everything dirty, nothing to garbage-collect, a health probe, the block inventory for check.
public sealed partial class LocalPayloadStore : IFlushControl, IGarbageCollector, IHealthProbe, IBlockInventory
{
    /// <summary>Blocks written since their last fsync (bytes: at most a block each, not tracked).</summary>
    public FlushBacklog Backlog
    {
        get
        {
            long blocks = 0;
            lock (_dirtyLock)
            {
                foreach (DirtyState state in _dirty.Values) blocks += state.Blocks.Count;
            }
            return new FlushBacklog(blocks, 0);
        }
    }

    /// <summary>Fsyncs every file with unsynced writes, one group round per file, reporting as it goes.</summary>
    public async Task DrainAsync(IProgress<FlushBacklog>? progress, CancellationToken cancellationToken)
    {
        ulong[] inodes;
        lock (_dirtyLock) inodes = [.. _dirty.Keys];
        progress?.Report(Backlog);
        foreach (ulong inode in inodes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await FlushAsync(inode, cancellationToken).ConfigureAwait(false);
            progress?.Report(Backlog);
        }
    }

    /// <summary>Deletes and truncations remove block files at once: nothing is left to collect.</summary>
    public Task<GcResult> CollectAsync(CancellationToken cancellationToken) => Task.FromResult(new GcResult(0, 0, 0));

    public ValueTask<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!Directory.Exists(_root)) return ValueTask.FromResult<string?>($"block directory {_root} is missing");
            _ = new DriveInfo(_root).AvailableFreeSpace;
            return ValueTask.FromResult<string?>(null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ValueTask.FromResult<string?>($"block directory {_root}: {e.Message}");
        }
    }

    public ValueTask<IReadOnlyCollection<ulong>> ListBlocksAsync(ulong inode, CancellationToken cancellationToken)
    {
        var blocks = new List<ulong>();
        foreach ((ulong block, _) in BlockFiles(inode)) blocks.Add(block);
        return ValueTask.FromResult<IReadOnlyCollection<ulong>>(blocks);
    }

    public string DescribeBlock(ulong inode, ulong block) => BlockPath(inode, block);
}
