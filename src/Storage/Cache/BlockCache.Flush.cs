using DittoFs.Storage.Payload;

namespace DittoFs.Storage.Cache;

// COMMIT: make written blocks durable on local disk, one round for every caller waiting (group commit).
internal sealed partial class BlockCache
{
    private readonly FlushRounds _rounds;

    private FlushRounds CreateFlushRounds() => new(
        async inodes =>
        {
            foreach (ulong inode in inodes) SyncInode(inode);
            await _journal.CommitAsync().ConfigureAwait(false);
        },
        e => e is IOException ? e : new IOException("flush failed", e));

    /// <summary>
    /// Every write to the file so far survives a crash on return: its block files are fsynced (and
    /// the fan-out directories of new ones), then the journal records them dirty and is fsynced.
    /// Nothing is uploaded here.
    /// </summary>
    public Task FlushAsync(ulong inode) => _rounds.JoinAsync(inode);

    private void SyncInode(ulong inode)
    {
        var todo = new List<(BlockState St, bool Unsynced, bool NewName)>();
        var directories = new HashSet<string>();
        lock (_lock)
        {
            if (!_inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks)) return;
            foreach (BlockState st in blocks.Values)
            {
                if (!st.Local || !st.Dirty || (!st.Unsynced && st.DirtyJournaled && !st.NewName)) continue;
                todo.Add((st, st.Unsynced, st.NewName));
                if (st.NewName) directories.Add(FanOutDirectory(st.Inode, st.Block));
                st.Unsynced = false;
                st.NewName = false;
            }
        }
        try
        {
            foreach ((BlockState st, bool unsynced, _) in todo)
            {
                if (!unsynced && st.DirtyJournaled) continue;
                if (!TryOpenExisting(st, out HandleCache.Lease lease)) continue; // dropped meanwhile
                using (lease) RandomAccess.FlushToDisk(lease.Handle);
            }
            foreach (string directory in directories) DirectorySync.Fsync(directory);
        }
        catch
        {
            lock (_lock)
            {
                foreach ((BlockState st, bool unsynced, bool newName) in todo)
                {
                    st.Unsynced |= unsynced;
                    st.NewName |= newName;
                }
            }
            throw;
        }
        lock (_lock)
        {
            foreach ((BlockState st, _, _) in todo)
            {
                // The file is on disk now: recovery may upload it.
                if (st.Dropped || !st.Dirty || st.DirtyJournaled) continue;
                _journal.Append(StateRecord(st, dirty: true));
                st.DirtyJournaled = true;
            }
        }
    }

    private static BlockJournal.Record StateRecord(BlockState st, bool dirty) =>
        new(BlockJournal.Kind.State, st.Inode, st.Block, st.Version, st.Crc, st.Length, dirty);
}
