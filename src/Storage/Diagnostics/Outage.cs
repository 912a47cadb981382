namespace DittoFs.Storage.Diagnostics;

/// <summary>
/// The failing/healthy state of something retried in the background (uploads, deletions, metadata
/// shipping, a full disk), so that its log says when it started failing, that it still fails once per
/// <see cref="Interval"/>, and when it recovered — one line per change, not one per retry.
/// A store that flaps (one request in two failing) would change state on every request: a failure
/// within <see cref="Quiet"/> of a logged recovery starts a silent episode, logged only if it lasts
/// an interval. Thread-safe: concurrent attempts report into one state.
/// </summary>
internal sealed class Outage
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private long _since;          // Environment.TickCount64 of the episode's first failure; 0 = healthy
    private long _loggedAt;       // the episode's last line (or its start when silent)
    private long _recoveredAt;    // the last logged recovery
    private bool _logged;         // this episode has had its "started" line
    private long _failures;

    public enum Change { None, Started, StillFailing, Recovered }

    /// <summary>A failed attempt: Started on the first (unless flapping), StillFailing once per interval after it.</summary>
    public Change Failed(out TimeSpan duration, out long failures) => Failed(Environment.TickCount64, out duration, out failures);

    internal Change Failed(long now, out TimeSpan duration, out long failures)
    {
        lock (_lock)
        {
            failures = ++_failures;
            if (_since == 0)
            {
                _since = _loggedAt = now;
                duration = TimeSpan.Zero;
                _logged = _recoveredAt == 0 || now - _recoveredAt >= (long)Quiet.TotalMilliseconds;
                return _logged ? Change.Started : Change.None;
            }
            duration = TimeSpan.FromMilliseconds(now - _since);
            if (now - _loggedAt < (long)Interval.TotalMilliseconds) return Change.None;
            _loggedAt = now;
            if (_logged) return Change.StillFailing;
            _logged = true;
            return Change.Started;
        }
    }

    /// <summary>A successful attempt: Recovered if it ends a logged failure.</summary>
    public Change Succeeded(out TimeSpan duration, out long failures) => Succeeded(Environment.TickCount64, out duration, out failures);

    internal Change Succeeded(long now, out TimeSpan duration, out long failures)
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
            duration = _since == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(now - _since);
            if (_since == 0) return Change.None;
            _since = 0;
            _failures = 0;
            if (!_logged) return Change.None;
            _recoveredAt = now;
            return Change.Recovered;
        }
    }

    public bool IsFailing => Volatile.Read(ref _since) != 0;
}
