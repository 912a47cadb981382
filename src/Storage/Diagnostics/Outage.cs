namespace DittoFs.Storage.Diagnostics;

/// <summary>
/// The failing/healthy state of something retried in the background (uploads, deletions, metadata
/// shipping), so that its log says when it started failing, that it still fails once per
/// <see cref="Interval"/>, and when it recovered — one line per change, not one per retry.
/// Thread-safe: concurrent attempts report into one state.
/// </summary>
internal sealed class Outage
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private long _since;     // Environment.TickCount64 of the first failure; 0 = healthy
    private long _loggedAt;
    private long _failures;

    public enum Change { None, Started, StillFailing, Recovered }

    /// <summary>A failed attempt: Started on the first, StillFailing once per interval after it.</summary>
    public Change Failed(out TimeSpan duration, out long failures)
    {
        long now = Environment.TickCount64;
        lock (_lock)
        {
            failures = ++_failures;
            if (_since == 0)
            {
                _since = _loggedAt = now;
                duration = TimeSpan.Zero;
                return Change.Started;
            }
            duration = TimeSpan.FromMilliseconds(now - _since);
            if (now - _loggedAt < (long)Interval.TotalMilliseconds) return Change.None;
            _loggedAt = now;
            return Change.StillFailing;
        }
    }

    /// <summary>A successful attempt: Recovered if it ends a failure.</summary>
    public Change Succeeded(out TimeSpan duration, out long failures)
    {
        if (Volatile.Read(ref _since) == 0)
        {
            // The common case (healthy) without the lock: callers are on hot paths.
            duration = TimeSpan.Zero;
            failures = 0;
            return Change.None;
        }
        lock (_lock)
        {
            failures = _failures;
            if (_since == 0)
            {
                duration = TimeSpan.Zero;
                return Change.None;
            }
            duration = TimeSpan.FromMilliseconds(Environment.TickCount64 - _since);
            _since = 0;
            _failures = 0;
            return Change.Recovered;
        }
    }

    public bool IsFailing => Volatile.Read(ref _since) != 0;
}
