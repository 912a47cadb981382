using System.Net;
using DittoFs.Server.Protocol.Locks;
using DittoFs.Storage;
using DittoFs.Storage.Metadata.Postgres;

namespace DittoFs.Server.Protocol.Nlm;

// Several servers on one database (MetadataStore=Postgres): an NLM lock is granted only when no other server's client
// holds a conflicting range there, as an NFSv4 LOCK (Nfs4State.Shared.cs): inside the file's stripe, this server's own
// check (no I/O), then the database's grant of what this server will hold, then the local grant. Within the stripe no
// other grant of the file can come between (every grant of a file on this server takes it), so the local grant finds
// the table as the check left it. NLM has no DELAY: a database that does not answer in time is DENIED_NOLOCKS, the
// status a client takes as "try again later". A blocking request another server's lock stands in the way of waits in
// the queue like one a local lock blocks; it is retried every second and when a local range comes free, each try
// asking the database first.
internal sealed partial class NlmState : IDisposable
{
    private readonly SharedLocks? _shared;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _retry = Task.CompletedTask;

    /// <summary>Locks are granted through the shared database too (then the procedures that lock or test are asynchronous).</summary>
    public bool SharedAcrossServers => _shared is not null;

    /// <summary>
    /// LOCK across servers: this server's conflict first (DENIED or queued, as <see cref="Lock"/>), then another server's
    /// (DENIED, or queued and BLOCKED), then the local grant. DENIED_NOLOCKS when the database did not answer in time.
    /// </summary>
    public async ValueTask<Nlm4Status> LockAcrossServersAsync(FileId file, NlmOwner owner, ulong start, ulong end, bool write, IPAddress? address, BlockedLock? blocked)
    {
        SharedLocks shared = _shared!;
        using IDisposable? stripe = await shared.EnterAsync(file).ConfigureAwait(false);
        if (stripe is null) return Nlm4Status.DeniedNoLocks;
        Nlm4Status status = LockLocal(file, owner, start, end, write, address, blocked, probe: true, out _);
        if (status != Nlm4Status.Granted) return status;
        List<SharedRange> held = shared.Held(file, Row(owner, start, end, write));
        (SharedGrant grant, _) = await shared.TryLockAsync(file, start, end, write, held).ConfigureAwait(false);
        if (grant == SharedGrant.Unavailable) return Nlm4Status.DeniedNoLocks;
        if (grant == SharedGrant.Conflict)
        {
            lock (_lock) return EnqueueLocked(blocked);
        }
        status = LockLocal(file, owner, start, end, write, address, blocked, probe: false, out _);
        // Refused after all (the host's bound): the row written for it goes again once the stripe is free.
        if (status != Nlm4Status.Granted) _ = shared.SyncLocksAsync(file);
        return status;
    }

    /// <summary>TEST across servers, after this server's own table found nothing: another server's conflicting range, if any.</summary>
    public Task<(SharedGrant Grant, SharedRange Conflict)> TestAcrossServersAsync(FileId file, ulong start, ulong end, bool write) =>
        _shared!.TestLockAsync(file, start, end, write);

    /// <summary>UNLOCK across servers: the file's rows become what this server still holds before the reply (another server's client may wait for the range).</summary>
    public async Task<Nlm4Status> UnlockAcrossServersAsync(FileId file, NlmOwner owner, ulong start, ulong end)
    {
        Nlm4Status status = Unlock(file, owner, start, end);
        if (status != Nlm4Status.Granted) return status; // refused (the address's bound): nothing changed
        // Not answered in time: retried in the background; the unlock itself stands.
        await _shared!.SyncLocksAsync(file).ConfigureAwait(false);
        return status;
    }

    /// <summary>The database row of an NLM range: no client id, the owner handle as the owner (what nlm4_holder and LOCK4denied report).</summary>
    private static SharedRange Row(NlmOwner owner, ulong start, ulong end, bool write) => new(start, end, write, 0, owner.Oh);

    /// <summary>
    /// The file's blocked requests that no local range stands in the way of, in order, each granted when the database
    /// grants it too; the granted are told with NLM_GRANTED. A request cancelled or unlocked while its grant was on the
    /// way is not granted, and the row written for it goes again.
    /// </summary>
    private async Task RetryBlockedAsync(FileId file)
    {
        SharedLocks shared = _shared!;
        List<BlockedLock>? granted = null;
        using (IDisposable? stripe = await shared.EnterAsync(file).ConfigureAwait(false))
        {
            if (stripe is null) return; // the next round tries again
            BlockedLock[] waiting;
            lock (_lock) waiting = _blocked.FindAll(b => b.File == file).ToArray();
            bool stale = false;
            foreach (BlockedLock b in waiting)
            {
                if (Ranges.Test(file, IsOwner(b.Owner), b.Start, b.End, b.Write) is not null) continue;
                List<SharedRange> held = shared.Held(file, Row(b.Owner, b.Start, b.End, b.Write));
                (SharedGrant grant, _) = await shared.TryLockAsync(file, b.Start, b.End, b.Write, held).ConfigureAwait(false);
                if (grant == SharedGrant.Unavailable) break;
                if (grant == SharedGrant.Conflict) continue;
                lock (_lock)
                {
                    if (!_blocked.Contains(b) || !Fits(file, b.Owner, b.Start, b.End, unlock: false)
                        || Ranges.TryLock(file, b.Owner, IsOwner(b.Owner), b.Start, b.End, b.Write) is not null)
                    {
                        stale = true;
                        continue;
                    }
                    _blocked.Remove(b);
                    _awaiting.Add(b);
                    Locked(b.Owner, file);
                }
                (granted ??= []).Add(b);
            }
            if (stale) _ = shared.SyncLocksAsync(file);
        }
        if (granted is not null) TellGranted(granted);
    }

    /// <summary>Every second, the files with blocked requests: another server's lock may have gone (unlocked, or its lease ran out).</summary>
    private async Task RetryBlockedLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                List<FileId> files;
                lock (_lock) files = _blocked.ConvertAll(b => b.File);
                foreach (FileId file in files.Distinct()) await RetryBlockedAsync(file).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        // The loop ends at its next await; a try in flight is bounded by the database timeout.
        try
        {
            _retry.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
