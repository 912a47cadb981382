using DittoFs.Server.Protocol.Locks;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>A conflicting lock, as LOCK4denied reports it.</summary>
internal readonly record struct LockDenied(ulong Start, ulong End, bool Write, ulong ClientId, byte[] Owner);

// Opens, share reservations, byte-range locks and the stateids that name them (RFC 8881 §9, §18.2, §18.10-18.18, §18.38, §18.48).
internal sealed partial class Nfs4State
{
    private readonly Dictionary<ulong, StateObject> _states = new();
    private readonly Dictionary<FileId, List<OpenState>> _opensByFile = new();

    private Stateid4 ToStateid(StateObject state) => new(state.Seqid, Boot, state.Id);

    private ulong NewStateId()
    {
        ulong id;
        do id = RandomId(); while (id == 0 || id == ulong.MaxValue || _states.ContainsKey(id));
        return id;
    }

    /// <summary>
    /// Finds the state a stateid names for this client. STALE_STATEID for another instance's tag,
    /// BAD_STATEID for unknown ones or another client's (§8.2.4: a stateid is only good through a
    /// session of its client), OLD_STATEID for a seqid behind the current one (0 means current).
    /// </summary>
    private Nfs4Status Find(in Stateid4 stateid, ClientRecord client, out StateObject? state)
    {
        state = null;
        if (stateid.Boot != Boot) return Nfs4Status.StaleStateId;
        if (!_states.TryGetValue(stateid.Id, out StateObject? found)) return Nfs4Status.BadStateId;
        if (found.Client != client) return Nfs4Status.BadStateId;
        if (found is DelegationState { Revoked: true }) return Nfs4Status.DelegRevoked;
        if (stateid.Seqid != 0)
        {
            if (stateid.Seqid < found.Seqid) return Nfs4Status.OldStateId;
            if (stateid.Seqid > found.Seqid) return Nfs4Status.BadStateId;
        }
        state = found;
        return Nfs4Status.Ok;
    }

    /// <summary>
    /// OPEN: a new open of this owner, or its access and deny added to the owner's open (SHARE_DENIED on a conflict).
    /// Opening for writing (or denying reads) while another client holds a delegation, or at all while it holds a
    /// write delegation, recalls it and answers DELAY;
    /// with <paramref name="mayDelegate"/> (CLAIM_NULL, CLAIM_FH) a delegation may come with the open.
    /// </summary>
    public Nfs4Status Open(ClientRecord client, FileId file, byte[] owner, uint access, uint deny, uint want, bool mayDelegate,
        out Stateid4 stateid, out OpenDelegation delegation)
    {
        List<DelegationState>? recalls = null;
        try
        {
            lock (_lock) return OpenLocked(client, file, owner, access, deny, want, mayDelegate, out stateid, out delegation, ref recalls);
        }
        finally
        {
            SendRecalls(recalls);
        }
    }

    private Nfs4Status OpenLocked(ClientRecord client, FileId file, byte[] owner, uint access, uint deny, uint want, bool mayDelegate,
        out Stateid4 stateid, out OpenDelegation delegation, ref List<DelegationState>? recalls)
    {
        stateid = default;
        delegation = OpenDelegation.None;
        {
            if (!_clients.ContainsKey(client.Id)) return Nfs4Status.Expired;
            OpenState? open = FindOpen(client, file, owner);
            if (ShareConflicts(file, client, open, access, deny)) return Nfs4Status.ShareDenied;
            if (Conflicts(client, file, change: (access & Nfs4Const.ShareAccessWrite) != 0 || (deny & Nfs4Const.ShareAccessRead) != 0, ref recalls))
            {
                return Nfs4Status.Delay;
            }
            if (open is null)
            {
                open = new OpenState { Id = NewStateId(), Client = client, File = file, Owner = owner, Access = access, Deny = deny };
                _states[open.Id] = open;
                client.States.Add(open);
                if (!_opensByFile.TryGetValue(file, out List<OpenState>? opens))
                {
                    _opensByFile[file] = opens = [];
                    // Open: an unlink keeps the file (nlink 0) until the last open goes (an in-memory set, no I/O).
                    _storage?.FileSystem.Hold(file);
                }
                opens.Add(open);
            }
            else
            {
                open.Access |= access;
                open.Deny |= deny;
                open.Seqid++;
            }
            stateid = ToStateid(open);
            if (mayDelegate) delegation = Delegate(client, file, access, want);
            return Nfs4Status.Ok;
        }
    }

    private OpenState? FindOpen(ClientRecord client, FileId file, ReadOnlySpan<byte> owner)
    {
        if (!_opensByFile.TryGetValue(file, out List<OpenState>? opens)) return null;
        foreach (OpenState o in opens)
        {
            if (o.Client == client && o.Owner.AsSpan().SequenceEqual(owner)) return o;
        }
        return null;
    }

    /// <summary>
    /// SHARE_DENIED when another open's deny bits exclude this access or this deny excludes another's access;
    /// a courtesy client in the way is expired instead (<see cref="ExpireOnConflict"/>).
    /// </summary>
    private bool ShareConflicts(FileId file, ClientRecord client, OpenState? self, uint access, uint deny)
    {
        while (_opensByFile.TryGetValue(file, out List<OpenState>? opens))
        {
            OpenState? conflict = opens.Find(o => o != self && ((o.Deny & access) != 0 || (o.Access & deny) != 0));
            if (conflict is null) return false;
            // Expiring the holder changes the list: look again.
            if (!ExpireOnConflict(conflict.Client, client)) return true;
        }
        return false;
    }

    /// <summary>CLOSE: the open of this file goes, LOCKS_HELD while one of its lock owners holds a range.</summary>
    public Nfs4Status Close(ClientRecord client, in Stateid4 stateid, FileId file)
    {
        lock (_lock)
        {
            Nfs4Status status = Find(stateid, client, out StateObject? found);
            if (status != Nfs4Status.Ok) return status;
            if (found is not OpenState open || open.File != file) return Nfs4Status.BadStateId;
            foreach (LockState l in open.Locks)
            {
                if (HoldsLocks(l)) return Nfs4Status.LocksHeld;
            }
            RemoveState(open);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>OPEN_DOWNGRADE: access and deny may only shrink.</summary>
    public Nfs4Status Downgrade(ClientRecord client, in Stateid4 stateid, FileId file, uint access, uint deny, out Stateid4 result)
    {
        result = default;
        lock (_lock)
        {
            Nfs4Status status = Find(stateid, client, out StateObject? found);
            if (status != Nfs4Status.Ok) return status;
            if (found is not OpenState open || open.File != file) return Nfs4Status.BadStateId;
            if (access == 0 || access > Nfs4Const.ShareAccessBoth || deny > Nfs4Const.ShareAccessBoth) return Nfs4Status.Inval;
            if ((access & ~open.Access) != 0 || (deny & ~open.Deny) != 0) return Nfs4Status.Inval;
            open.Access = access;
            open.Deny = deny;
            open.Seqid++;
            _shared?.SharesChanged(file);
            result = ToStateid(open);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>A stateid this client holds, of any kind (DELEGRETURN, TEST_STATEID).</summary>
    public Nfs4Status Check(ClientRecord client, in Stateid4 stateid)
    {
        lock (_lock) return Find(stateid, client, out _);
    }

    /// <summary>TEST_STATEID: the status each stateid would get; the special ones are BAD_STATEID.</summary>
    public void Test(ClientRecord client, ReadOnlySpan<Stateid4> ids, Span<Nfs4Status> statuses)
    {
        lock (_lock)
        {
            for (int i = 0; i < ids.Length; i++) statuses[i] = ids[i].IsSpecial ? Nfs4Status.BadStateId : Find(ids[i], client, out _);
        }
    }

    /// <summary>
    /// The stateid of a READ, WRITE or SETATTR(size). Ours must name an open (or a lock of an
    /// open) of this file, opened for writing to write. The special stateids act without an
    /// open, so another open's share denial stops them (§9.1.3, §9.7): LOCKED for a write under
    /// DENY_WRITE and for an anonymous read under DENY_READ; the READ bypass stateid (all ones)
    /// skips the check for reads only (knfsd's check_special_stateids does the same).
    /// </summary>
    public Nfs4Status CheckIo(ClientRecord client, in Stateid4 stateid, FileId file, bool write)
    {
        List<DelegationState>? recalls = null;
        try
        {
            lock (_lock) return CheckIoLocked(client, stateid, file, write, ref recalls);
        }
        finally
        {
            SendRecalls(recalls);
        }
    }

    private Nfs4Status CheckIoLocked(ClientRecord client, in Stateid4 stateid, FileId file, bool write, ref List<DelegationState>? recalls)
    {
        {
            // A write (or a size change) by another client waits until the file's delegations are returned, a read
            // until its write delegation is.
            if (_delegationsByFile.Count != 0 && Conflicts(client, file, change: write, ref recalls)) return Nfs4Status.Delay;
            if (stateid.IsAnonymous || stateid.IsBypass)
            {
                if (!write && stateid.IsBypass) return Nfs4Status.Ok;
                uint denied = write ? Nfs4Const.ShareAccessWrite : Nfs4Const.ShareAccessRead;
                while (_opensByFile.TryGetValue(file, out List<OpenState>? opens))
                {
                    OpenState? conflict = opens.Find(o => (o.Deny & denied) != 0);
                    if (conflict is null) break;
                    if (!ExpireOnConflict(conflict.Client, client)) return Nfs4Status.Locked;
                }
                return Nfs4Status.Ok;
            }
            Nfs4Status status = Find(stateid, client, out StateObject? found);
            if (status != Nfs4Status.Ok) return status;
            if (found!.File != file) return Nfs4Status.BadStateId;
            // A read delegation's stateid is good for reading (§10.2), a write delegation's for writing too (§10.4).
            if (found is DelegationState d) return write && !d.Write ? Nfs4Status.OpenMode : Nfs4Status.Ok;
            OpenState open = found as OpenState ?? ((LockState)found).Open;
            if (write && (open.Access & Nfs4Const.ShareAccessWrite) == 0) return Nfs4Status.OpenMode;
            return Nfs4Status.Ok;
        }
    }

    /// <summary>
    /// LOCK: a new lock owner comes with its open stateid (<paramref name="newLockOwner"/> set),
    /// an existing one with its lock stateid. DENIED with the conflicting range.
    /// </summary>
    public Nfs4Status Lock(ClientRecord client, in Stateid4 stateid, FileId file, byte[]? newLockOwner, ulong start, ulong end, bool write,
        out Stateid4 result, out LockDenied denied)
    {
        result = default;
        denied = default;
        lock (_lock)
        {
            Nfs4Status status = ResolveLockLocked(client, stateid, file, newLockOwner, write, out LockState? lockState);
            if (status != Nfs4Status.Ok) return status;
            // One transition of the shared table (NLM locks conflict too); a courtesy holder is expired and the lock tried again.
            HeldRange? conflict;
            while ((conflict = _ranges.TryLock(lockState!.File, lockState, IsOwner(client, lockState.LockOwner), start, end, write)) is not null
                && ExpiresOnConflict(conflict, client))
            {
            }
            if (conflict is not null)
            {
                denied = ToDenied(conflict);
                return Nfs4Status.Denied;
            }
            lockState.Seqid++;
            result = ToStateid(lockState);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>The lock state a LOCK acts for: the lock owner's (made on its first LOCK, from its open stateid) or the one its lock stateid names.</summary>
    private Nfs4Status ResolveLockLocked(ClientRecord client, in Stateid4 stateid, FileId file, byte[]? newLockOwner, bool write, out LockState? lockState)
    {
        lockState = null;
        Nfs4Status status = Find(stateid, client, out StateObject? found);
        if (status != Nfs4Status.Ok) return status;
        if (found!.File != file) return Nfs4Status.BadStateId;
        if (newLockOwner is not null)
        {
            if (found is not OpenState open) return Nfs4Status.BadStateId;
            if (write && (open.Access & Nfs4Const.ShareAccessWrite) == 0) return Nfs4Status.OpenMode;
            lockState = GetLockState(open, newLockOwner);
        }
        else
        {
            if (found is not LockState existing) return Nfs4Status.BadStateId;
            lockState = existing;
        }
        return write && (lockState.Open.Access & Nfs4Const.ShareAccessWrite) == 0 ? Nfs4Status.OpenMode : Nfs4Status.Ok;
    }

    /// <summary>LOCKT: would this owner's lock conflict?</summary>
    public Nfs4Status TestLock(ClientRecord client, FileId file, ReadOnlySpan<byte> owner, ulong start, ulong end, bool write, out LockDenied denied)
    {
        denied = default;
        lock (_lock)
        {
            HeldRange? conflict = FindConflict(file, client, owner.ToArray(), start, end, write);
            if (conflict is null) return Nfs4Status.Ok;
            denied = ToDenied(conflict);
            return Nfs4Status.Denied;
        }
    }

    /// <summary>LOCKU: the range is unlocked for this lock stateid's owner.</summary>
    public Nfs4Status Unlock(ClientRecord client, in Stateid4 stateid, FileId file, ulong start, ulong end, out Stateid4 result)
    {
        result = default;
        lock (_lock)
        {
            Nfs4Status status = Find(stateid, client, out StateObject? found);
            if (status != Nfs4Status.Ok) return status;
            if (found is not LockState lockState || lockState.File != file) return Nfs4Status.BadStateId;
            _ranges.Unlock(lockState.File, lockState, start, end);
            lockState.Seqid++;
            result = ToStateid(lockState);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>FREE_STATEID: a lock stateid without locks goes; an open or a lock stateid with locks is LOCKS_HELD.</summary>
    public Nfs4Status Free(ClientRecord client, in Stateid4 stateid)
    {
        lock (_lock)
        {
            // A revoked delegation is what FREE_STATEID is for (§8.2.4); a live one is given back with DELEGRETURN.
            if (stateid.Boot == Boot && _states.TryGetValue(stateid.Id, out StateObject? named) && named.Client == client
                && named is DelegationState { Revoked: true } revoked)
            {
                RemoveState(revoked);
                return Nfs4Status.Ok;
            }
            Nfs4Status status = Find(stateid with { Seqid = 0 }, client, out StateObject? found);
            if (status != Nfs4Status.Ok) return status;
            if (found is OpenState or DelegationState) return Nfs4Status.LocksHeld;
            var lockState = (LockState)found!;
            if (HoldsLocks(lockState)) return Nfs4Status.LocksHeld;
            RemoveState(lockState);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>LOCK4denied of a range of either protocol: an NLM holder is reported with client id 0 and its NLM owner handle.</summary>
    private static LockDenied ToDenied(HeldRange r) => r.Holder is LockState l
        ? new(r.Start, r.End, r.Write, l.Client.Id, l.LockOwner)
        : new(r.Start, r.End, r.Write, 0, (r.Holder as Locks.IForeignLockHolder)?.OwnerBytes ?? []);

    private static Func<object, bool> IsOwner(ClientRecord client, byte[] owner) => h => h is LockState l && l.SameOwner(client.Id, owner);

    /// <summary>A v4 courtesy client's range in the way is expired with its client (true: look again).</summary>
    private bool ExpiresOnConflict(HeldRange conflict, ClientRecord client) =>
        conflict.Holder is LockState holder && ExpireOnConflict(holder.Client, client);

    private LockState GetLockState(OpenState open, byte[] lockOwner)
    {
        foreach (LockState l in open.Locks)
        {
            if (l.LockOwner.AsSpan().SequenceEqual(lockOwner)) return l;
        }
        var state = new LockState { Id = NewStateId(), Client = open.Client, File = open.File, Open = open, LockOwner = lockOwner, Seqid = 0 };
        _states[state.Id] = state;
        open.Client.States.Add(state);
        open.Locks.Add(state);
        return state;
    }

    private bool HoldsLocks(LockState state) => _ranges.Holds(state.File, state);

    private void RemoveState(StateObject state)
    {
        _states.Remove(state.Id);
        state.Client.States.Remove(state);
        switch (state)
        {
            case OpenState open:
                foreach (LockState l in open.Locks.ToArray()) RemoveState(l);
                if (_opensByFile.TryGetValue(open.File, out List<OpenState>? opens))
                {
                    opens.Remove(open);
                    _shared?.SharesChanged(open.File);
                    if (opens.Count == 0)
                    {
                        _opensByFile.Remove(open.File);
                        // The delete of an unlinked file is I/O: not under the lock.
                        if (_storage is { } storage) _ = Task.Run(() => storage.FileSystem.ReleaseAsync(open.File).AsTask());
                    }
                }
                break;
            case DelegationState delegation:
                UnlinkDelegation(delegation);
                if (delegation.Revoked) delegation.Client.RevokedDelegations--;
                break;
            case LockState lockState:
                lockState.Open.Locks.Remove(lockState);
                _ranges.RemoveHolder(lockState.File, lockState);
                break;
        }
    }

    /// <summary>
    /// The first range of another owner (either protocol) that conflicts with [start, end) of the given kind; null when none.
    /// A courtesy client holding one is expired instead (<see cref="ExpireOnConflict"/>).
    /// </summary>
    private HeldRange? FindConflict(FileId file, ClientRecord client, byte[] owner, ulong start, ulong end, bool write)
    {
        HeldRange? conflict;
        while ((conflict = _ranges.Test(file, IsOwner(client, owner), start, end, write)) is not null && ExpiresOnConflict(conflict, client))
        {
        }
        return conflict;
    }
}
