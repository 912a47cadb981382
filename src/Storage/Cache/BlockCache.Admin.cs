namespace DittoFs.Storage.Cache;

// What the operator hooks of CachedPayloadStore need: a forced drain of the dirty blocks, and a GC pass at run time.
internal sealed partial class BlockCache
{
    private readonly HashSet<ulong> _uploadingVersions = [];
    private int _draining;

    /// <summary>While at least one drain runs, every dirty block is eligible for upload at once (no idle or settle wait).</summary>
    public void BeginDrain() => Interlocked.Increment(ref _draining);

    public void EndDrain() => Interlocked.Decrement(ref _draining);

    /// <summary>The dirty blocks now, with the generation an upload must reach for them to count as drained.</summary>
    public List<(BlockState Block, long Generation)> SnapshotDirty()
    {
        lock (_lock)
        {
            var list = new List<(BlockState, long)>(_dirty.Count);
            foreach (BlockState st in _dirty) list.Add((st, st.Gen));
            return list;
        }
    }

    /// <summary>True once what the block held at <paramref name="generation"/> is in the object store (or no longer matters).</summary>
    public bool IsDrained(BlockState st, long generation)
    {
        lock (_lock) return st.Dropped || !st.Dirty || st.UploadedGen >= generation;
    }

    /// <summary>Versions below this were allocated before now.</summary>
    public ulong NextVersion => (ulong)Interlocked.Read(ref _nextVersion) + 1;

    /// <summary>
    /// An object the map does not reference, allocated before <paramref name="below"/> and not being uploaded:
    /// garbage once the journal is committed (<see cref="CommitJournalAsync"/>), since the map stopped
    /// referencing it by a record appended under the same lock.
    /// </summary>
    public bool IsGarbage(ulong inode, ulong block, ulong version, ulong below)
    {
        if (version >= below) return false;
        lock (_lock) return !_uploadingVersions.Contains(version) && !(FindLocked(inode, block) is { } st && st.Version == version);
    }

    public Task CommitJournalAsync() => _journal.CommitAsync();

    /// <summary>The blocks the map knows for an inode: uploaded version (0: none) and whether a local dirty copy exists.</summary>
    public List<(ulong Block, ulong Version, bool LocalDirty)> MapOf(ulong inode)
    {
        lock (_lock)
        {
            var list = new List<(ulong, ulong, bool)>();
            if (_inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks))
            {
                foreach (BlockState st in blocks.Values) list.Add((st.Block, st.Version, st.Local && st.Dirty));
            }
            return list;
        }
    }
}
