using DittoFs.Storage.Cache;
using DittoFs.Storage.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DittoFs.Storage.Flush;

/// <summary>
/// Uploads dirty blocks in the background with bounded concurrency. A failed upload leaves the
/// block dirty and pauses new uploads for a backoff that doubles up to the configured maximum, so
/// an unreachable store costs little and the backlog drains soon after it comes back.
/// </summary>
internal sealed class Flusher : IAsyncDisposable
{
    private readonly BlockCache _cache;
    private readonly TimeSpan _maxRetryDelay;
    private readonly SemaphoreSlim _slots;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int _concurrency;
    private int _failures;
    private int _compacting;
    private long _pausedUntil;
    private long _uploaded;
    private long _failed;
    private readonly ILogger? _logger;
    private readonly Outage _outage = new();

    public Flusher(BlockCache cache, int concurrency, TimeSpan maxRetryDelay, ILogger? logger = null)
    {
        _logger = logger;
        _cache = cache;
        _concurrency = concurrency;
        _maxRetryDelay = maxRetryDelay;
        _slots = new SemaphoreSlim(concurrency, concurrency);
        cache.Wake = Wake;
        _loop = Task.Run(Loop);
    }

    public long Uploaded => Interlocked.Read(ref _uploaded);

    public long Failed => Interlocked.Read(ref _failed);

    public void Wake()
    {
        if (_signal.CurrentCount == 0) _signal.Release();
    }

    private async Task Loop()
    {
        CancellationToken stop = _stop.Token;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _slots.WaitAsync(stop).ConfigureAwait(false);
                List<(BlockState Block, long Generation)>? batch = null;
                bool packed = false;
                ulong segment = 0;
                long wait = Interlocked.Read(ref _pausedUntil) - Environment.TickCount64;
                if (wait <= 0) batch = _cache.TakeUploadBatch(out packed);
                // Nothing to upload: a mostly dead segment is rewritten meanwhile (one at a time).
                if (batch is null && wait <= 0 && Interlocked.CompareExchange(ref _compacting, 1, 0) == 0)
                {
                    segment = _cache.TakeCompaction();
                    if (segment == 0) Volatile.Write(ref _compacting, 0);
                }
                if (batch is null && segment == 0)
                {
                    _slots.Release();
                    TimeSpan poll = wait > 0 ? TimeSpan.FromMilliseconds(Math.Clamp(wait, 50, 200)) : _cache.PollInterval;
                    await _signal.WaitAsync(poll, stop).ConfigureAwait(false);
                    continue;
                }
                if (batch is null) _ = Task.Run(() => CompactOne(segment, stop), CancellationToken.None);
                else _ = Task.Run(() => UploadOne(batch, packed, stop), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task CompactOne(ulong segment, CancellationToken stop)
    {
        try
        {
            await _cache.CompactAsync(segment, stop).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Left as it is: still readable, and tried again when it next loses bytes.
        }
        finally
        {
            Volatile.Write(ref _compacting, 0);
            _slots.Release();
        }
    }

    private async Task UploadOne(List<(BlockState Block, long Generation)> batch, bool packed, CancellationToken stop)
    {
        try
        {
            if (packed) await _cache.UploadSegmentAsync(batch, stop).ConfigureAwait(false);
            else await _cache.UploadAsync(batch[0].Block, batch[0].Generation, stop).ConfigureAwait(false);
            Interlocked.Increment(ref _uploaded);
            Volatile.Write(ref _failures, 0);
            if (_logger is not null && _outage.Succeeded(out TimeSpan down, out long attempts) == Outage.Change.Recovered)
            {
                FlushLog.UploadsRecovered(_logger, down.TotalSeconds, attempts, _cache.DirtyCount, _cache.DirtyBytes);
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failed);
            if (!stop.IsCancellationRequested)
            {
                if (_logger is not null) LogFailure(e);
                int failures = Interlocked.Increment(ref _failures);
                double ms = Math.Min(250 * Math.Pow(2, Math.Min(failures - 1, 16)), _maxRetryDelay.TotalMilliseconds);
                Interlocked.Exchange(ref _pausedUntil, Environment.TickCount64 + (long)ms);
            }
        }
        finally
        {
            _slots.Release();
            Wake();
        }
    }

    private void LogFailure(Exception e)
    {
        switch (_outage.Failed(out TimeSpan down, out long attempts))
        {
            case Outage.Change.Started:
                FlushLog.UploadsFailing(_logger!, e.Message, _maxRetryDelay.TotalSeconds, _cache.DirtyCount, _cache.DirtyBytes);
                break;
            case Outage.Change.StillFailing:
                FlushLog.UploadsStillFailing(_logger!, down.TotalSeconds, attempts, e.Message, _cache.DirtyCount, _cache.DirtyBytes);
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        // Let in-flight uploads end (cancelled): their blocks stay dirty for the next start.
        for (int i = 0; i < _concurrency; i++) await _slots.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        _stop.Dispose();
    }
}
