using System.Threading.Channels;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Diagnostics;
using DittoFs.Storage.Payload.S3;
using Microsoft.Extensions.Logging;

namespace DittoFs.Storage.Flush;

/// <summary>
/// Deletes objects no longer referenced (overwritten blocks' old versions, truncated or deleted
/// files' blocks) in the background, in batches, retrying with backoff while the store fails. Keys
/// are enqueued only once the block map that stops referencing them is durable. Keys lost in a
/// crash are found by <see cref="SweepAsync"/> at start-up.
/// </summary>
internal sealed class GarbageCollector : IAsyncDisposable
{
    private readonly IObjectStore _objects;
    private readonly TimeSpan _maxRetryDelay;
    private readonly Func<long, CancellationToken, ValueTask>? _shipped;
    private readonly Channel<(string Key, long Position)> _queue = Channel.CreateUnbounded<(string, long)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _pending;
    private long _deleted;
    private readonly ILogger? _logger;
    private readonly Outage _outage = new();

    /// <param name="shipped">
    /// Completes once the metadata WAL up to a position is in the bucket (null: metadata not shipped).
    /// An object goes only once the shipped metadata stops naming it too, so a restore from the bucket
    /// never meets a block whose object was deleted.
    /// </param>
    public GarbageCollector(IObjectStore objects, TimeSpan maxRetryDelay, Func<long, CancellationToken, ValueTask>? shipped = null, ILogger? logger = null)
    {
        _logger = logger;
        _objects = objects;
        _shipped = shipped;
        _maxRetryDelay = maxRetryDelay;
        _loop = Task.Run(Loop);
    }

    /// <summary>Keys queued or being deleted.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    public long Deleted => Interlocked.Read(ref _deleted);

    /// <summary>Queues keys that the metadata up to WAL <paramref name="position"/> no longer references.</summary>
    public void Enqueue(IReadOnlyCollection<string> keys, long position)
    {
        Interlocked.Add(ref _pending, keys.Count);
        foreach (string key in keys) _queue.Writer.TryWrite((key, position));
    }

    /// <summary>The shipped-metadata wait for a whole pass (gc): null when metadata is not shipped.</summary>
    public ValueTask WaitShippedAsync(long position, CancellationToken cancellationToken) =>
        _shipped is null || position == 0 ? ValueTask.CompletedTask : _shipped(position, cancellationToken);

    /// <summary>Lists every object and queues those older than this run that the map does not reference; queues mostly dead segments for compaction.</summary>
    public async Task SweepAsync(BlockCache cache, CancellationToken cancellationToken)
    {
        if (cache.BootVersion == 0) return; // a metadata store other servers share: their uploads in flight are unreferenced too
        TimeSpan delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                var garbage = new List<string>();
                long listed = 0, bytes = 0;
                await foreach (ObjectInfo o in _objects.ListAsync("", cancellationToken).ConfigureAwait(false))
                {
                    listed++;
                    if (ObjectKeys.TryParseSegment(o.Key, out ulong segment))
                    {
                        if (cache.IsGarbageSegment(segment, cache.BootVersion))
                        {
                            garbage.Add(o.Key);
                            bytes += o.Size;
                        }
                        else
                        {
                            // Segments that lost most of their bytes in an earlier run (compaction was pending, or cut short by a crash).
                            cache.ConsiderCompaction(segment);
                        }
                        continue;
                    }
                    if (!ObjectKeys.TryParse(o.Key, out ulong inode, out ulong block, out ulong version)) continue; // not ours
                    if (version < cache.BootVersion && !cache.IsReferenced(inode, block, version))
                    {
                        garbage.Add(o.Key);
                        bytes += o.Size;
                    }
                }
                // Unreferenced in the map as it is visible now, which may be ahead of what is durable (a dirty
                // block recovered at start-up is uploaded meanwhile and stops naming its old object): a crash
                // now would bring back records naming them, so they go only once everything applied is durable.
                long barrier = cache.MetadataBarrier();
                await cache.WaitMapDurableAsync(barrier).ConfigureAwait(false);
                Enqueue(garbage, barrier);
                if (_logger is not null) FlushLog.SweepDone(_logger, listed, garbage.Count, bytes);
                return;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Min(delay * 2, _maxRetryDelay);
            }
        }
    }

    private async Task Loop()
    {
        var batch = new List<string>(1000);
        long position = 0;
        TimeSpan delay = TimeSpan.FromMilliseconds(250);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (batch.Count < 1000 && _queue.Reader.TryRead(out var item))
                {
                    batch.Add(item.Key);
                    position = Math.Max(position, item.Position);
                }
                try
                {
                    await WaitShippedAsync(position, _stop.Token).ConfigureAwait(false);
                    await _objects.DeleteAsync(batch, _stop.Token).ConfigureAwait(false);
                    long total = Interlocked.Add(ref _deleted, batch.Count);
                    long pending = Interlocked.Add(ref _pending, -batch.Count);
                    if (_logger is not null)
                    {
                        FlushLog.Deleted(_logger, batch.Count, total);
                        if (_outage.Succeeded(out TimeSpan down, out _) == Outage.Change.Recovered) FlushLog.DeletesRecovered(_logger, down.TotalSeconds, pending);
                    }
                    batch.Clear();
                    delay = TimeSpan.FromMilliseconds(250);
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    if (_logger is not null && _outage.Failed(out _, out _) is Outage.Change.Started or Outage.Change.StillFailing)
                    {
                        FlushLog.DeletesFailing(_logger, e.Message, Pending);
                    }
                    await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                    delay = Min(delay * 2, _maxRetryDelay);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping: what is left is found by the next start's sweep.
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
