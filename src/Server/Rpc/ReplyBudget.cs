namespace DittoFs.Server.Rpc;

/// <summary>
/// Reply bytes charged against a cap: replies built but not yet taken by the socket, and calls in
/// flight at their expected reply size. One per connection and one for the server. Taking fails
/// over the cap (unless nothing is charged: one call always fits); whoever waits for room asks
/// <see cref="WhenReleased"/> first, then tries again, so no release is missed.
/// </summary>
internal sealed class ReplyBudget(long capacity)
{
    private long _used;
    private int _waiting;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();

    public long Capacity => capacity;

    public long Used => Interlocked.Read(ref _used);

    public bool TryTake(long bytes)
    {
        // Compare-and-swap, never add-then-undo: an undo would wake the waiters (who would fail and
        // undo again: a spin) or, silent, make a concurrent taker fail for nothing.
        long used = Interlocked.Read(ref _used);
        while (true)
        {
            if (used != 0 && used + bytes > capacity) return false;
            long seen = Interlocked.CompareExchange(ref _used, used + bytes, used);
            if (seen == used) return true;
            used = seen;
        }
    }

    /// <summary>Gives back what <see cref="TryTake"/> just took, without waking anyone (a reservation that failed elsewhere).</summary>
    public void Untake(long bytes) => Interlocked.Add(ref _used, -bytes);

    /// <summary>Charges without a check: a reply turned out larger than expected (negative: smaller).</summary>
    public void Adjust(long bytes)
    {
        if (bytes < 0) Release(-bytes);
        else if (bytes > 0) Interlocked.Add(ref _used, bytes);
    }

    public void Release(long bytes)
    {
        Interlocked.Add(ref _used, -bytes);
        if (Volatile.Read(ref _waiting) == 0) return;
        TaskCompletionSource released;
        lock (_lock)
        {
            released = _released;
            _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting = 0;
        }
        released.TrySetResult();
    }

    /// <summary>Completes at the next release.</summary>
    public Task WhenReleased()
    {
        lock (_lock)
        {
            Interlocked.Exchange(ref _waiting, 1);
            return _released.Task;
        }
    }
}
