using DittoFs.Server.Protocol.Locks;
using DittoFs.Storage;
using DittoFs.Storage.Metadata.Postgres;

namespace DittoFs.Server.Protocol.Nfs4.State;

// Several servers on one database (MetadataStore=Postgres): LOCK, LOCKT and OPEN also ask the database whether
// another server's client holds something in the way (Locks/SharedLocks.cs). Each is: this server's own check under
// the state lock (no I/O), then the database's grant outside it, then the ordinary local transition, all inside the
// file's stripe so this server's writes of the file reach the database in order. A database that does not answer
// in time is NFS4ERR_DELAY: the client retries, nothing changed.
internal sealed partial class Nfs4State
{
    private readonly SharedLocks? _shared;

    /// <summary>Locks and share reservations are granted through the shared database too.</summary>
    public bool SharedAcrossServers => _shared is not null;

    /// <summary>LOCK across servers: DENIED with another server's range, DELAY when the database did not answer.</summary>
    public async ValueTask<(Nfs4Status Status, Stateid4 Result, LockDenied Denied)> LockAcrossServersAsync(ClientRecord client, Stateid4 stateid,
        FileId file, byte[]? newLockOwner, ulong start, ulong end, bool write)
    {
        SharedLocks shared = _shared!;
        using (IDisposable? stripe = await shared.EnterAsync(file).ConfigureAwait(false))
        {
            if (stripe is null) return (Nfs4Status.Delay, default, default);
            List<SharedRange> held;
            lock (_lock)
            {
                Nfs4Status status = ResolveLockLocked(client, stateid, file, newLockOwner, write, out LockState? lockState);
                if (status != Nfs4Status.Ok) return (status, default, default);
                if (FindConflict(file, client, lockState!.LockOwner, start, end, write) is { } local) return (Nfs4Status.Denied, default, ToDenied(local));
                held = shared.Held(file, new SharedRange(start, end, write, client.Id, lockState.LockOwner));
            }
            (SharedGrant grant, SharedRange remote) = await shared.TryLockAsync(file, start, end, write, held).ConfigureAwait(false);
            if (grant == SharedGrant.Unavailable) return (Nfs4Status.Delay, default, default);
            if (grant == SharedGrant.Conflict) return (Nfs4Status.Denied, default, new LockDenied(remote.Start, remote.End, remote.Write, remote.ClientId, remote.Owner));
            Nfs4Status granted = Lock(client, stateid, file, newLockOwner, start, end, write, out Stateid4 result, out LockDenied denied);
            if (granted == Nfs4Status.Ok) return (granted, result, denied);
            // The state went meanwhile (a lease, a CLOSE): the rows written for it go again once the stripe is free.
            _ = shared.SyncLocksAsync(file);
            return (granted, result, denied);
        }
    }

    /// <summary>LOCKT across servers: this server's conflict first, then another server's.</summary>
    public async ValueTask<(Nfs4Status Status, LockDenied Denied)> TestLockAcrossServersAsync(ClientRecord client, FileId file, byte[] owner,
        ulong start, ulong end, bool write)
    {
        Nfs4Status status = TestLock(client, file, owner, start, end, write, out LockDenied denied);
        if (status != Nfs4Status.Ok) return (status, denied);
        (SharedGrant grant, SharedRange remote) = await _shared!.TestLockAsync(file, start, end, write).ConfigureAwait(false);
        return grant switch
        {
            SharedGrant.Unavailable => (Nfs4Status.Delay, default),
            SharedGrant.Conflict => (Nfs4Status.Denied, new LockDenied(remote.Start, remote.End, remote.Write, remote.ClientId, remote.Owner)),
            _ => (Nfs4Status.Ok, default),
        };
    }

    /// <summary>LOCKU across servers: the range is free in the database before the reply (another server's client may be waiting for it).</summary>
    public async ValueTask<Nfs4Status> UnlockAcrossServersAsync(ClientRecord client, Stateid4 stateid, FileId file, ulong start, ulong end, Action<Stateid4> result)
    {
        Nfs4Status status = Unlock(client, stateid, file, start, end, out Stateid4 unlocked);
        if (status != Nfs4Status.Ok) return status;
        result(unlocked);
        // Not answered in time: retried in the background; the unlock itself stands.
        await _shared!.SyncLocksAsync(file).ConfigureAwait(false);
        return Nfs4Status.Ok;
    }

    /// <summary>OPEN across servers: SHARE_DENIED when another server's open denies this access or has access this denies.</summary>
    public async ValueTask<(Nfs4Status Status, Stateid4 Stateid, OpenDelegation Delegation)> OpenAcrossServersAsync(ClientRecord client, FileId file,
        byte[] owner, uint access, uint deny, uint want, bool mayDelegate)
    {
        SharedLocks shared = _shared!;
        using (IDisposable? stripe = await shared.EnterAsync(file).ConfigureAwait(false))
        {
            if (stripe is null) return (Nfs4Status.Delay, default, default);
            List<SharedShare> held = SharesOf(file);
            held.Add(new SharedShare(access, deny, client.Id, owner));
            (SharedGrant grant, _) = await shared.TryShareAsync(file, access, deny, held).ConfigureAwait(false);
            if (grant == SharedGrant.Unavailable) return (Nfs4Status.Delay, default, default);
            if (grant == SharedGrant.Conflict) return (Nfs4Status.ShareDenied, default, default);
            Nfs4Status status = Open(client, file, owner, access, deny, want, mayDelegate, out Stateid4 stateid, out OpenDelegation delegation);
            if (status != Nfs4Status.Ok) shared.SharesChanged(file); // the row written for it goes again
            return (status, stateid, delegation);
        }
    }

    /// <summary>The share reservations this server's opens of the file hold (the database's mirror of them).</summary>
    private List<SharedShare> SharesOf(FileId file)
    {
        var shares = new List<SharedShare>();
        lock (_lock)
        {
            if (_opensByFile.TryGetValue(file, out List<OpenState>? opens))
            {
                foreach (OpenState o in opens) shares.Add(new SharedShare(o.Access, o.Deny, o.Client.Id, o.Owner));
            }
        }
        return shares;
    }
}
