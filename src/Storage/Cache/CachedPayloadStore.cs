using System.Buffers;
using DittoFs.Storage.Flush;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Payload.S3;

namespace DittoFs.Storage.Cache;

/// <summary>
/// <see cref="IPayloadStore"/> on an object store (S3): a <see cref="BlockCache"/> takes writes and
/// serves reads, a <see cref="Flusher"/> uploads dirty blocks in the background, a
/// <see cref="GarbageCollector"/> deletes objects no longer referenced. WRITE never waits on the
/// object store; COMMIT waits only for local fsyncs. A cache full of dirty data (the store being
/// down) answers <see cref="StorageBusyException"/>, which the filesystem maps to Delay.
/// </summary>
public sealed partial class CachedPayloadStore : IPayloadStore
{
    private readonly IObjectStore _objects;
    private readonly BlockCache _cache;
    private readonly Flusher? _flusher;
    private readonly GarbageCollector _garbage;
    private readonly CancellationTokenSource _stop = new();
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;
    private readonly BlockCacheOptions _options;

    private CachedPayloadStore(BlockCacheOptions options, IObjectStore objects, IMetadataStore metadata)
    {
        _objects = objects;
        _options = options;
        _logger = options.Logger;
        bool legacy = File.Exists(Path.Combine(Path.GetFullPath(options.Directory), "blockmap.journal"));
        _garbage = new GarbageCollector(objects, options.MaxRetryDelay, options.WaitMetadataShipped, options.Logger);
        _cache = new BlockCache(options, objects, _garbage, metadata);
        _cache.Recover();
        if (_logger is not null && _cache.MigratedRecords > 0) CacheLog.JournalMigrated(_logger, _cache.MigratedRecords);
        if (_logger is not null && _cache.RecoveredBlocks > 0) CacheLog.DirtyRecovered(_logger, _cache.RecoveredBlocks, _cache.DirtyBytes);
        // Nothing is uploaded or deleted before the bucket is known to be this filesystem's.
        _identity = VerifyIdentityAsync(metadata, legacy, options.MaxRetryDelay, _stop.Token);
        if (options.Background)
        {
            _flusher = new Flusher(_cache, options.UploadConcurrency, options.MaxRetryDelay, options.Logger);
            Sweep = Task.Run(async () =>
            {
                await _identity.ConfigureAwait(false);
                await _garbage.SweepAsync(_cache, _stop.Token).ConfigureAwait(false);
            });
        }
        else
        {
            Sweep = Task.CompletedTask;
        }
    }

    /// <summary>
    /// Opens the cache on <paramref name="options"/>.Directory over the block map of
    /// <paramref name="metadata"/> (open already): checks that the metadata and the bucket belong to
    /// the same filesystem (<see cref="StorageRefusedException"/> otherwise, before anything is
    /// read or deleted), keeps the dirty blocks a crash left (the flusher uploads them first), and
    /// starts the background work. Takes ownership of <paramref name="objects"/>, not of the metadata.
    /// </summary>
    public static async Task<CachedPayloadStore> OpenAsync(BlockCacheOptions options, IObjectStore objects, IMetadataStore metadata, CancellationToken cancellationToken = default)
    {
        CachedPayloadStore store;
        try
        {
            store = new CachedPayloadStore(options, objects, metadata);
        }
        catch
        {
            await objects.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        try
        {
            // A bucket that answers says now whether it is ours; one that does not is checked in the background.
            await store._identity.WaitAsync(ProbeTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return store;
    }

    public int BlockSize => _cache.BlockSize;

    /// <summary>Blocks written but not uploaded yet.</summary>
    public int DirtyBlocks => _cache.DirtyCount;

    /// <summary>Dirty blocks found at start-up.</summary>
    public int RecoveredBlocks => _cache.RecoveredBlocks;

    /// <summary>Blocks in the disk tier.</summary>
    public long CachedBlocks => _cache.LocalBlocks;

    public long UploadedBlocks => _flusher?.Uploaded ?? 0;

    public long FailedUploads => _flusher?.Failed ?? 0;

    /// <summary>Objects waiting for deletion.</summary>
    public long PendingGarbage => _garbage.Pending;

    public long DeletedObjects => _garbage.Deleted;

    /// <summary>The start-up sweep for objects a crash left unreferenced.</summary>
    public Task Sweep { get; }

    /// <summary>Waits until nothing is dirty or waiting for deletion (tests, orderly shutdown).</summary>
    public async Task<bool> WaitIdleAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (DirtyBlocks == 0 && Sweep.IsCompleted && PendingGarbage == 0 && _cache.PendingCompactions == 0)
            {
                await _cache.WaitMapDurableAsync().ConfigureAwait(false); // the records naming the uploads too
                return true;
            }
            await Task.Delay(50).ConfigureAwait(false);
        }
        return false;
    }

    public ValueTask ReadAsync(ulong inode, ulong offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        _cache.ReadAsync(inode, offset, destination);

    public ValueTask WriteAsync(ulong inode, ulong offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken = default) =>
        _cache.WriteAsync(inode, offset, data);

    public void Revalidate(ulong inode, ulong changeId) => _cache.Revalidate(inode, changeId);

    public async ValueTask TruncateAsync(ulong inode, ulong size, CancellationToken cancellationToken = default)
    {
        await _cache.TruncateAsync(inode, size).ConfigureAwait(false);
        // Durability=Bucket: the cut block goes to the bucket too, or losing the cache would bring its old tail back on extension.
        if (_options.UploadOnFlush) await FlushToBucketAsync(inode, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DeleteAsync(ulong inode, CancellationToken cancellationToken = default) => _cache.DeleteAsync(inode);

    public ValueTask<IReadOnlyList<ulong>> ListDataBlocksAsync(ulong inode, ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default) =>
        new(_cache.ListDataBlocks(inode, fromBlock, toBlock));

    public ValueTask PunchAsync(ulong inode, ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default) =>
        _cache.PunchAsync(inode, fromBlock, toBlock);

    public async ValueTask<List<ulong>?> CloneBlocksAsync(ulong src, ulong srcBlock, ulong dst, ulong dstBlock, ulong count, CancellationToken cancellationToken = default) =>
        await _cache.CloneAsync(src, srcBlock, dst, dstBlock, count).ConfigureAwait(false);

    public ValueTask FlushAsync(ulong inode, CancellationToken cancellationToken = default) =>
        _options.UploadOnFlush ? FlushToBucketAsync(inode, cancellationToken) : new(_cache.FlushAsync(inode).WaitAsync(cancellationToken));

    /// <summary>Durability=Bucket: durable locally first (a crash of the process loses nothing), then in the bucket.</summary>
    private async ValueTask FlushToBucketAsync(ulong inode, CancellationToken cancellationToken)
    {
        await _cache.FlushAsync(inode).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _cache.UploadNowAsync(inode, cancellationToken).ConfigureAwait(false);
        // A block the flusher uploaded just before this COMMIT is clean already (so not waited for above); its record
        // was applied when it turned clean, so a barrier now covers it.
        await _cache.WaitMapDurableAsync().ConfigureAwait(false);
        if (_options.WaitMetadataShipped is { } shipped)
        {
            // Everything applied so far — the file's inode, its entries, the map naming the uploads — must be shipped.
            await shipped(_cache.MetadataBarrier(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A clean stop keeps what clients wrote: dirty blocks not yet COMMITted are made durable and
    /// recorded as a COMMIT would, so the next start uploads them instead of dropping them.
    /// A cache that can no longer be written (disk gone, full) loses only what a crash would.
    /// </summary>
    private async Task KeepDirtyAsync()
    {
        foreach (ulong inode in _cache.SnapshotDirty().Select(d => d.Block.Inode).Distinct())
        {
            try
            {
                await _cache.FlushAsync(inode).ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The object store has no fixed capacity: report a large constant.</summary>
    public (ulong Total, ulong Free) GetCapacity() => (1UL << 50, 1UL << 49);

    public async ValueTask DisposeAsync()
    {
        await KeepDirtyAsync().ConfigureAwait(false);
        _stop.Cancel();
        try
        {
            await Sweep.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The start-up sweep only reclaims space; an unreachable bucket (or shutdown) must not fail the close.
        }
        if (_flusher is not null) await _flusher.DisposeAsync().ConfigureAwait(false);
        // What the next start must still upload (kept on disk) and what its sweep will delete.
        if (_logger is not null) CacheLog.Stopped(_logger, _cache.DirtyCount, _cache.DirtyBytes, _garbage.Pending);
        await _garbage.DisposeAsync().ConfigureAwait(false);
        _cache.Dispose();
        await _objects.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
