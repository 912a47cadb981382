using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Locks;

/// <summary>
/// A byte range [Start, End) held by a lock owner of either protocol: an NFSv4 lock stateid
/// (<c>Nfs4.State.LockState</c>) or an NLM owner (<c>Nlm.NlmOwner</c>).
/// </summary>
internal sealed record HeldRange(object Holder, ulong Start, ulong End, bool Write);

/// <summary>
/// The one byte-range lock table NFSv3 (NLM) and NFSv4 share, so a lock of one blocks a conflicting
/// lock of the other (knfsd and ganesha both lock through one table: the VFS's, or the FSAL's).
/// Each method is one whole transition under a private lock that is never held across I/O or an
/// await; NFSv4 calls in under its own state lock (that order only: this lock is innermost).
/// Whoever releases a range raises <see cref="Released"/> afterwards, on the thread pool, so NLM
/// can grant what was waiting (blocked locks).
/// </summary>
internal sealed class ByteRangeLocks
{
    private readonly Lock _gate = new();
    private readonly Dictionary<FileId, List<HeldRange>> _byFile = new();

    /// <summary>Ranges of this file were unlocked or downgraded (raised on the thread pool, outside the lock).</summary>
    public event Action<FileId>? Released;

    /// <summary>A range was granted to this holder (raised on the thread pool, outside the lock): SharedLocks mirrors NLM's grants.</summary>
    public event Action<FileId, object>? Granted;

    /// <summary>Ranges held now, by all owners.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                int n = 0;
                foreach (List<HeldRange> list in _byFile.Values) n += list.Count;
                return n;
            }
        }
    }

    /// <summary>The first range of another owner (<paramref name="isSelf"/> false) that conflicts with [start, end); null when none.</summary>
    public HeldRange? Test(FileId file, Func<object, bool> isSelf, ulong start, ulong end, bool write)
    {
        lock (_gate) return FindConflict(file, isSelf, start, end, write);
    }

    /// <summary>
    /// Locks [start, end) for <paramref name="holder"/> unless another owner's range conflicts (returned, nothing changed).
    /// POSIX semantics: the owner's own ranges there become exactly this kind, split where they overlap.
    /// </summary>
    public HeldRange? TryLock(FileId file, object holder, Func<object, bool> isSelf, ulong start, ulong end, bool write)
    {
        bool released;
        lock (_gate)
        {
            if (FindConflict(file, isSelf, start, end, write) is { } conflict) return conflict;
            released = SetRange(file, holder, start, end, write, unlock: false);
        }
        if (released) Raise(file);
        if (Granted is { } granted) ThreadPool.UnsafeQueueUserWorkItem(static s => s.granted(s.file, s.holder), (granted, file, holder), preferLocal: false);
        return null;
    }

    /// <summary>Unlocks [start, end) of this holder (unheld parts are no error).</summary>
    public void Unlock(FileId file, object holder, ulong start, ulong end)
    {
        bool released;
        lock (_gate) released = SetRange(file, holder, start, end, write: false, unlock: true);
        if (released) Raise(file);
    }

    /// <summary>Drops every range of this holder on this file.</summary>
    public void RemoveHolder(FileId file, object holder) => Unlock(file, holder, 0, ulong.MaxValue);

    /// <summary>Drops every range whose holder matches (NLM FREE_ALL, a client host that rebooted).</summary>
    public void RemoveWhere(Func<object, bool> match)
    {
        var files = new List<FileId>();
        lock (_gate)
        {
            foreach ((FileId file, List<HeldRange> ranges) in _byFile)
            {
                if (ranges.RemoveAll(r => match(r.Holder)) > 0) files.Add(file);
            }
            foreach (FileId file in files)
            {
                if (_byFile[file].Count == 0) _byFile.Remove(file);
            }
        }
        foreach (FileId file in files) Raise(file);
    }

    /// <summary>Every range held on the file now, by all owners (what SharedLocks mirrors to the database).</summary>
    public HeldRange[] RangesOf(FileId file)
    {
        lock (_gate) return _byFile.TryGetValue(file, out List<HeldRange>? ranges) ? [.. ranges] : [];
    }

    /// <summary>Ranges of the file whose holder matches (NLM's bound on the ranges of one client host).</summary>
    public int CountWhere(FileId file, Func<object, bool> match)
    {
        lock (_gate) return _byFile.TryGetValue(file, out List<HeldRange>? ranges) ? ranges.Count(r => match(r.Holder)) : 0;
    }

    /// <summary>
    /// How many more ranges the holder would hold on the file once [start, end) is locked (or unlocked), as
    /// <see cref="TryLock"/> and <see cref="Unlock"/> split its ranges: a lock inside one of them adds two, an unlock
    /// inside one adds one; negative when ranges go. NLM bounds its ranges by this before it locks.
    /// </summary>
    public int Growth(FileId file, object holder, ulong start, ulong end, bool unlock)
    {
        int growth = unlock ? 0 : 1;
        lock (_gate)
        {
            if (!_byFile.TryGetValue(file, out List<HeldRange>? ranges)) return growth;
            foreach (HeldRange r in ranges)
            {
                if (!Equals(r.Holder, holder) || r.Start >= end || start >= r.End) continue;
                growth += (r.Start < start ? 1 : 0) + (r.End > end ? 1 : 0) - 1; // it goes; what sticks out either side stays
            }
        }
        return growth;
    }

    /// <summary>Does this holder hold any range of the file?</summary>
    public bool Holds(FileId file, object holder)
    {
        lock (_gate) return _byFile.TryGetValue(file, out List<HeldRange>? ranges) && ranges.Exists(r => Equals(r.Holder, holder));
    }

    /// <summary>Does this holder hold exactly this kind over the whole of [start, end)? (a repeated LOCK of an owner that has it)</summary>
    public bool Covers(FileId file, object holder, ulong start, ulong end, bool write)
    {
        lock (_gate)
        {
            if (!_byFile.TryGetValue(file, out List<HeldRange>? ranges)) return false;
            ulong at = start;
            bool progressed = true;
            while (at < end && progressed)
            {
                progressed = false;
                foreach (HeldRange r in ranges)
                {
                    if (!Equals(r.Holder, holder) || r.Write != write || r.Start > at || r.End <= at) continue;
                    at = r.End;
                    progressed = true;
                }
            }
            return at >= end;
        }
    }

    private HeldRange? FindConflict(FileId file, Func<object, bool> isSelf, ulong start, ulong end, bool write)
    {
        if (!_byFile.TryGetValue(file, out List<HeldRange>? ranges)) return null;
        foreach (HeldRange r in ranges)
        {
            if (r.Start >= end || start >= r.End) continue;
            if (!write && !r.Write) continue;
            if (isSelf(r.Holder)) continue;
            return r;
        }
        return null;
    }

    /// <summary>The owner's [start, end) becomes exactly this kind (or unlocked); true when something it held there went or got weaker.</summary>
    private bool SetRange(FileId file, object holder, ulong start, ulong end, bool write, bool unlock)
    {
        if (!_byFile.TryGetValue(file, out List<HeldRange>? ranges))
        {
            if (unlock) return false;
            _byFile[file] = ranges = [];
        }
        bool released = false;
        for (int i = ranges.Count - 1; i >= 0; i--)
        {
            HeldRange r = ranges[i];
            if (!Equals(r.Holder, holder) || r.Start >= end || start >= r.End) continue;
            ranges.RemoveAt(i);
            if (unlock || (r.Write && !write)) released = true;
            if (r.Start < start) ranges.Add(r with { End = start });
            if (r.End > end) ranges.Add(r with { Start = end });
        }
        if (!unlock) ranges.Add(new HeldRange(holder, start, end, write));
        if (ranges.Count == 0) _byFile.Remove(file);
        return released;
    }

    private void Raise(FileId file)
    {
        if (Released is not { } released) return;
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.released(s.file), (released, file), preferLocal: false);
    }
}

/// <summary>A holder of another protocol than NFSv4 (NLM): what LOCK4denied reports as the owner.</summary>
internal interface IForeignLockHolder
{
    byte[] OwnerBytes { get; }
}
