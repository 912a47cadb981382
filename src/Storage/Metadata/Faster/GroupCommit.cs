using System.Diagnostics;
using FASTER.core;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// Group commit of the WAL: callers register the WAL position they need durable;
/// one background loop commits the log (one flush + fsync) whenever someone is
/// waiting, at most once per interval, and releases every waiter the commit covers.
/// Writers arriving while a commit is in flight share the next one.
/// </summary>
internal sealed class GroupCommit : IAsyncDisposable
{
    private readonly FasterLog _log;
    private readonly TimeSpan _interval;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private List<(long Position, TaskCompletionSource Done)> _waiters = [];
    private bool _wakePending;
    private Exception? _failure;
    private long _commits;

    private readonly Diagnostics.StorageMetrics? _metrics;
    private readonly string? _directory;
    private readonly long _fullBelow;
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;

    /// <param name="directory">Where the WAL lives: a commit failure with less than <paramref name="fullBelow"/> bytes free there is "disk full".</param>
    public GroupCommit(FasterLog log, TimeSpan interval, Diagnostics.StorageMetrics? metrics = null, string? directory = null, long fullBelow = 0, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _log = log;
        _interval = interval;
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
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool wake;
        lock (_gate)
        {
            if (_failure is not null) return ValueTask.FromException(_failure);
            _waiters.Add((position, done));
            wake = !_wakePending;
            _wakePending = true;
        }
        if (wake) _wake.Release();
        return new ValueTask(done.Task);
    }

    private async Task LoopAsync()
    {
        long lastCommit = 0;
        while (true)
        {
            try { await _wake.WaitAsync(_stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }

            // Throttle: waiting a little lets more writers join this commit.
            var since = Stopwatch.GetElapsedTime(lastCommit);
            if (since < _interval)
            {
                try { await Task.Delay(_interval - since, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }

            lock (_gate) _wakePending = false;
            int waiting = Release(_log.CommittedUntilAddress);
            if (waiting == 0) continue;

            lastCommit = Stopwatch.GetTimestamp();
            try
            {
                await _log.CommitAsync(_stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _commits);
                _metrics?.WalCommitted(waiting, lastCommit);
            }
            catch (OperationCanceledException) { return; }
            catch (Exception ex)
            {
                Fail(ex);
                return;
            }
            if (Release(_log.CommittedUntilAddress) > 0) SignalSelf();
        }
    }

    /// <summary>Completes waiters covered by <paramref name="committed"/>; returns how many still wait.</summary>
    private int Release(long committed)
    {
        List<TaskCompletionSource>? ready = null;
        int remaining;
        lock (_gate)
        {
            if (_waiters.Count == 0) return 0;
            var keep = new List<(long, TaskCompletionSource)>();
            foreach (var w in _waiters)
            {
                if (w.Position <= committed) (ready ??= []).Add(w.Done);
                else keep.Add(w);
            }
            _waiters = keep;
            remaining = keep.Count;
        }
        if (ready is not null) foreach (var d in ready) d.TrySetResult();
        return remaining;
    }

    private void SignalSelf()
    {
        lock (_gate)
        {
            if (_wakePending) return;
            _wakePending = true;
        }
        _wake.Release();
    }

    private void Fail(Exception ex)
    {
        List<(long, TaskCompletionSource Done)> failed;
        lock (_gate)
        {
            // Disposed or cancelled: a stop, not a failure of the disk.
            if (_failure is null && _logger is not null && ex is not (ObjectDisposedException or OperationCanceledException))
            {
                MetadataLog.WalFailed(_logger, ex, _directory is null ? -1 : Payload.FreeSpaceGuard.FreeBytes(_directory) ?? -1, _directory ?? "?");
            }
            _failure ??= Translate(ex);
            ex = _failure;
            failed = _waiters;
            _waiters = [];
        }
        foreach (var w in failed) w.Done.TrySetException(ex);
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

    /// <summary>Stops the loop. If <paramref name="finalCommit"/>, commits once more and releases covered waiters.</summary>
    public async ValueTask StopAsync(bool finalCommit)
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        if (finalCommit && _failure is null)
        {
            try
            {
                await _log.CommitAsync().ConfigureAwait(false);
                Release(_log.CommittedUntilAddress);
            }
            catch (Exception ex) { Fail(ex); }
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
