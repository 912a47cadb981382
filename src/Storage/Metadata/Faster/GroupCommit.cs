using System.Diagnostics;
using FASTER.core;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// Pipelined group commit of the WAL. Two batches exist at a time: the one being committed (one
/// flush + fsync, in flight) and the one filling behind it. A writer waits on the batch its WAL
/// position falls in: the in-flight one if its record was enqueued before that commit read the
/// tail, else the filling one. The filling batch closes (its commit starts) the moment the in-flight
/// fsync finishes, so batches grow with the fsync time, and a lone writer is committed at once: no
/// timer adds latency. A batch is one shared completion, not one per writer, and no lock is held
/// across the fsync (the gate only guards the hand-over of the two batches).
/// </summary>
internal sealed class GroupCommit : IAsyncDisposable
{
    private readonly FasterLog _log;
    private readonly TimeSpan _interval;
    private readonly Func<long> _records;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    // The batch whose commit is in flight: it covers the WAL up to _inflightUntil (0: none in flight).
    private Batch? _inflight;
    private long _inflightUntil;
    // The batch filling behind it; null until a writer needs one.
    private Batch? _filling;
    private bool _wakePending;
    private Exception? _failure;
    private long _commits;
    private long _recordsCommitted;

    private readonly Diagnostics.StorageMetrics? _metrics;
    private readonly string? _directory;
    private readonly long _fullBelow;
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;

    /// <summary>Writers waiting on one commit: one completion for all of them.</summary>
    private sealed class Batch
    {
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Waiters;
    }

    /// <param name="records">WAL records enqueued so far (for the mutations-per-commit histogram).</param>
    /// <param name="directory">Where the WAL lives: a commit failure with less than <paramref name="fullBelow"/> bytes free there is "disk full".</param>
    public GroupCommit(FasterLog log, TimeSpan interval, Func<long> records, Diagnostics.StorageMetrics? metrics = null, string? directory = null, long fullBelow = 0,
        Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _log = log;
        _interval = interval;
        _records = records;
        _recordsCommitted = records();
        _metrics = metrics;
        _directory = directory;
        _fullBelow = fullBelow;
        _logger = logger;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Number of WAL commits (flush + fsync) issued by the loop.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>
    /// After a failed commit the log's state past the last commit is unknown: every later change is
    /// refused with the same error (an IOException: NOSPC or IO to clients) until a restart recovers
    /// the WAL up to its last commit. Reads go on.
    /// </summary>
    public void ThrowIfFailed()
    {
        Exception? failure = Volatile.Read(ref _failure);
        if (failure is not null) throw failure;
    }

    public ValueTask WaitAsync(long position)
    {
        if (_log.CommittedUntilAddress >= position) return default;
        Batch batch;
        bool wake = false;
        lock (_gate)
        {
            if (_failure is not null) return ValueTask.FromException(_failure);
            if (_log.CommittedUntilAddress >= position) return default; // a commit ended meanwhile
            if (_inflight is not null && position <= _inflightUntil)
            {
                batch = _inflight;
            }
            else
            {
                batch = _filling ??= new Batch();
                // Only an idle loop needs waking: a busy one starts the filling batch when its fsync ends.
                if (_inflight is null && !_wakePending) wake = _wakePending = true;
            }
            batch.Waiters++;
        }
        if (wake) _wake.Release();
        return new ValueTask(batch.Done.Task);
    }

    private async Task LoopAsync()
    {
        long lastCommit = 0;
        while (true)
        {
            try { await _wake.WaitAsync(_stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }

            // Optional throttle (CommitInterval, 0 by default): waiting a little lets more writers join.
            var since = Stopwatch.GetElapsedTime(lastCommit);
            if (since < _interval)
            {
                try { await Task.Delay(_interval - since, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }

            // Commit batch after batch while writers keep filling the next one.
            while (true)
            {
                Batch? batch;
                long until, records;
                lock (_gate)
                {
                    _wakePending = false;
                    batch = _filling;
                    _filling = null;
                    if (batch is null) break;
                    // Every writer in this batch enqueued its record before now: the tail read here covers them all.
                    until = _log.TailAddress;
                    records = _records();
                    _inflight = batch;
                    _inflightUntil = until;
                }

                lastCommit = Stopwatch.GetTimestamp();
                try
                {
                    if (_log.CommittedUntilAddress < until)
                    {
                        await _log.CommitAsync(_stop.Token).ConfigureAwait(false);
                        Interlocked.Increment(ref _commits);
                        _metrics?.WalCommitted(batch.Waiters, records - _recordsCommitted, lastCommit);
                        _recordsCommitted = records;
                    }
                }
                catch (OperationCanceledException) { return; }
                catch (Exception ex)
                {
                    Fail(ex);
                    return;
                }
                lock (_gate)
                {
                    _inflight = null;
                    _inflightUntil = 0;
                }
                batch.Done.TrySetResult();
            }
        }
    }

    private void Fail(Exception ex)
    {
        Batch? inflight, filling;
        lock (_gate)
        {
            // Disposed or cancelled: a stop, not a failure of the disk.
            if (_failure is null && _logger is not null && ex is not (ObjectDisposedException or OperationCanceledException))
            {
                MetadataLog.WalFailed(_logger, ex, _directory is null ? -1 : Payload.FreeSpaceGuard.FreeBytes(_directory) ?? -1, _directory ?? "?");
            }
            _failure ??= Translate(ex);
            ex = _failure;
            inflight = _inflight;
            filling = _filling;
            _inflight = _filling = null;
            _inflightUntil = 0;
        }
        inflight?.Done.TrySetException(ex);
        filling?.Done.TrySetException(ex);
    }

    /// <summary>
    /// FASTER reports a failed write as CommitFailureException (error code -1, no errno): make it an
    /// IOException the filesystem maps, StorageFullException when the WAL's disk has no room left.
    /// </summary>
    private Exception Translate(Exception ex)
    {
        if (ex is IOException or ObjectDisposedException) return ex;
        if (_directory is not null && Payload.FreeSpaceGuard.FreeBytes(_directory) < _fullBelow)
        {
            return new Payload.StorageFullException("The metadata disk is full: changes are refused until a restart.", ex);
        }
        return new IOException("The metadata log failed to commit: changes are refused until a restart.", ex);
    }

    /// <summary>Stops the loop. If <paramref name="finalCommit"/>, commits once more and releases every waiter it covers.</summary>
    public async ValueTask StopAsync(bool finalCommit)
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        if (finalCommit && _failure is null)
        {
            // Taken before the commit: every writer in these batches enqueued its record before it starts.
            Batch? inflight, filling;
            lock (_gate)
            {
                inflight = _inflight;
                filling = _filling;
                _inflight = _filling = null;
                _inflightUntil = 0;
            }
            try
            {
                await _log.CommitAsync().ConfigureAwait(false);
                inflight?.Done.TrySetResult();
                filling?.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                Fail(ex);
                inflight?.Done.TrySetException(_failure!);
                filling?.Done.TrySetException(_failure!);
            }
        }
        Fail(new ObjectDisposedException(nameof(FasterMetadataStore)));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(finalCommit: true).ConfigureAwait(false);
        _wake.Dispose();
        _stop.Dispose();
    }
}
