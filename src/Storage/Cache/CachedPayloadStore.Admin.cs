using System.Runtime.InteropServices;
using DittoFs.Storage.Diagnostics;
using DittoFs.Storage.Payload.S3;

namespace DittoFs.Storage.Cache;

// Operator hooks: drain the upload backlog, a GC pass now, a reachability probe of the bucket, the block inventory for check.
public sealed partial class CachedPayloadStore : IFlushControl, IGarbageCollector, IHealthProbe, IBlockInventory
{
    /// <summary>How long the readiness probe waits for the object store.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A prefix no object of ours has (keys start with 16 hex digits): listing it is a cheap round trip.</summary>
    private const string ProbePrefix = "dittofs-probe/";

    /// <summary>Dirty blocks (bytes counted in whole blocks, as the cache limit is).</summary>
    public FlushBacklog Backlog
    {
        get
        {
            long blocks = _cache.DirtyCount;
            return new FlushBacklog(blocks, blocks * _cache.BlockSize);
        }
    }

    /// <summary>
    /// Uploads every block dirty at the call without waiting for it to settle, and completes once
    /// each is in the object store (or was dropped), reporting the backlog every 100 ms. Blocks
    /// written during the drain are uploaded eagerly too but not waited for. Retries while the
    /// store fails, until <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task DrainAsync(IProgress<FlushBacklog>? progress, CancellationToken cancellationToken)
    {
        if (_flusher is null) throw new InvalidOperationException("the store was opened without background work: nothing uploads");
        List<(BlockState Block, long Generation)> pending = _cache.SnapshotDirty();
        _cache.BeginDrain();
        try
        {
            _flusher.Wake();
            progress?.Report(Backlog);
            while (true)
            {
                pending.RemoveAll(p => _cache.IsDrained(p.Block, p.Generation));
                if (pending.Count == 0) break;
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                progress?.Report(Backlog);
            }
            progress?.Report(Backlog);
        }
        finally
        {
            _cache.EndDrain();
        }
    }

    /// <summary>
    /// Lists the bucket and deletes, now, every object of ours the block map does not reference
    /// (superseded versions, dropped blocks, leftovers of failed uploads) — what the background
    /// collector and the start-up sweep would otherwise find. Uploads in flight are left alone.
    /// </summary>
    public async Task<GcResult> CollectAsync(CancellationToken cancellationToken)
    {
        await EnsureSameFilesystemAsync(cancellationToken).ConfigureAwait(false);
        ulong below = _cache.NextVersion;
        var garbage = new List<string>();
        long scanned = 0, bytes = 0;
        await foreach (ObjectInfo o in _objects.ListAsync("", cancellationToken).ConfigureAwait(false))
        {
            scanned++;
            if (ObjectKeys.TryParseSegment(o.Key, out ulong segment))
            {
                if (!_cache.IsGarbageSegment(segment, below)) continue;
            }
            else if (!ObjectKeys.TryParse(o.Key, out ulong inode, out ulong block, out ulong version) || !_cache.IsGarbage(inode, block, version, below))
            {
                continue; // not ours, or referenced
            }
            garbage.Add(o.Key);
            bytes += o.Size;
        }
        // The map records that stopped referencing these must be durable (and shipped) before they go.
        await _cache.WaitMapDurableAsync().ConfigureAwait(false);
        await _garbage.WaitShippedAsync(_cache.MetadataBarrier(), cancellationToken).ConfigureAwait(false);
        if (garbage.Count > 0) await _objects.DeleteAsync(garbage, cancellationToken).ConfigureAwait(false);
        if (_logger is not null) Flush.FlushLog.Collected(_logger, scanned, garbage.Count, bytes);
        return new GcResult(scanned, garbage.Count, bytes);
    }

    /// <summary>One LIST of an empty prefix, within <see cref="ProbeTimeout"/>.</summary>
    public async ValueTask<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        if (Refusal is { } refusal) return refusal;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await foreach (ObjectInfo _ in _objects.ListAsync(ProbePrefix, timeout.Token).ConfigureAwait(false)) break;
            return _identity.IsCompletedSuccessfully ? null : Refusal ?? "bucket not confirmed yet: it has not said which filesystem it holds";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"bucket unreachable: no answer within {ProbeTimeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return "bucket unreachable: " + e.Message;
        }
    }

    /// <summary>
    /// Blocks present for an inode: those whose object (as the block map names it) is in the bucket,
    /// and those only in the cache as dirty block files not uploaded yet.
    /// </summary>
    public async ValueTask<IReadOnlyCollection<ulong>> ListBlocksAsync(ulong inode, CancellationToken cancellationToken)
    {
        var present = new List<ulong>();
        var uploaded = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var packed = new Dictionary<string, List<ulong>>(StringComparer.Ordinal);
        string prefix = ObjectKeys.InodePrefix(inode);
        foreach ((ulong block, ulong version, string key, bool localDirty, bool lost) in _cache.MapOf(inode))
        {
            if (localDirty) present.Add(block);
            else if (version != 0 && !lost && !key.StartsWith(prefix, StringComparison.Ordinal)) (CollectionsMarshal.GetValueRefOrAddDefault(packed, key, out _) ??= []).Add(block);
            else if (version != 0 && !lost) uploaded[key] = block;
        }
        if (uploaded.Count > 0)
        {
            await foreach (ObjectInfo o in _objects.ListAsync(ObjectKeys.InodePrefix(inode), cancellationToken).ConfigureAwait(false))
            {
                if (uploaded.Remove(o.Key, out ulong block)) present.Add(block);
            }
        }
        // Packed blocks (their segment) and blocks sharing another file's object (CLONE): one LIST of its exact key each.
        foreach ((string key, List<ulong> blocks) in packed)
        {
            await foreach (ObjectInfo o in _objects.ListAsync(key, cancellationToken).ConfigureAwait(false))
            {
                if (o.Key == key)
                {
                    present.AddRange(blocks);
                    break;
                }
            }
        }
        return present;
    }

    public string DescribeBlock(ulong inode, ulong block)
    {
        foreach ((ulong b, ulong version, string key, bool localDirty, bool lost) in _cache.MapOf(inode))
        {
            if (b != block) continue;
            if (lost) return "lost: committed to the cache, which no longer has it, and never uploaded";
            if (localDirty) return "dirty in the cache, not uploaded";
            return version == 0 ? "in the block map, never uploaded" : "object " + key;
        }
        return "not in the block map";
    }
}
