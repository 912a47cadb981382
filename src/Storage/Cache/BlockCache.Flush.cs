using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;

namespace DittoFs.Storage.Cache;

// COMMIT: make written blocks durable on local disk, one round for every caller waiting (group commit).
internal sealed partial class BlockCache
{
    private readonly FlushRounds _rounds;
    private DataJournal? _dataJournal;

    private FlushRounds CreateFlushRounds() => new(
        async inodes =>
        {
            long position = 0;
            foreach (ulong inode in inodes) position = Math.Max(position, SyncInode(inode));
            // The two syncs run side by side: a dirty record durable without its image is a block
            // whose last COMMIT never answered; recovery keeps whatever the file holds (the previous
            // image is replayed into it) or, if the file is gone, the block reads as lost.
            DataJournal? data = _dataJournal;
            Task images = data is null ? Task.CompletedTask : Task.Run(data.Sync);
            try
            {
                await _map.WaitDurableAsync(position).ConfigureAwait(false);
            }
            finally
            {
                await images.ConfigureAwait(false);
            }
        },
        e => e is IOException ? e : new IOException("flush failed", e));

    /// <summary>
    /// Every write to the file so far survives a crash on return: its small block files are
    /// appended to the data journal, bigger ones fsynced (and the fan-out directories of new ones),
    /// then the block map (in the metadata WAL) records them dirty. Nothing is uploaded here.
    /// </summary>
    public Task FlushAsync(ulong inode) => _rounds.JoinAsync(inode);

    /// <summary>Makes the inode's written blocks durable locally; returns the WAL position of their dirty records (0: none).</summary>
    private long SyncInode(ulong inode)
    {
        var todo = new List<(BlockState St, bool Unsynced, bool NewName)>();
        var directories = new HashSet<string>();
        bool uploadsRecording = false;
        lock (_lock)
        {
            if (!_inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks)) return 0;
            foreach (BlockState st in blocks.Values)
            {
                // Uploaded before this COMMIT, its record not durable yet: a crash now would find no dirty
                // record for the block file (and delete it) and no record of the upload. Wait for it too.
                uploadsRecording |= st.PendingRecords > 0;
                if (!st.Local || !st.Dirty || (!st.Unsynced && st.DirtyJournaled && !st.NewName)) continue;
                todo.Add((st, st.Unsynced, st.NewName));
                st.Unsynced = false;
                st.NewName = false;
            }
        }
        try
        {
            var voided = new List<BlockState>();
            foreach ((BlockState st, bool unsynced, bool newName) in todo)
            {
                if (!unsynced && st.DirtyJournaled && !newName) continue;
                if (!TryOpenExisting(st, out HandleCache.Lease lease)) continue; // dropped meanwhile
                using (lease)
                {
                    // A journaled block's name waits for the journal's checkpoint (a replay recreates the file).
                    if (unsynced && _dataJournal?.TryAppendFile(st.Inode, st.Block, lease.Handle) == true) continue;
                    RandomAccess.FlushToDisk(lease.Handle);
                }
                // Imaged earlier this epoch: its name may not be on disk yet, and the image must not be replayed over it.
                bool imaged = _dataJournal?.HasImage(st.Inode, st.Block) == true;
                if (imaged) voided.Add(st);
                if (newName || imaged) directories.Add(FanOutDirectory(st.Inode, st.Block));
            }
            foreach (string directory in directories) FileSync.Directory(directory);
            foreach (BlockState st in voided) _dataJournal!.NoteSynced(st.Inode, st.Block);
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
            List<MetadataOp>? ops = null;
            foreach ((BlockState st, _, _) in todo)
            {
                // The file is on disk now: recovery may upload it.
                if (st.Dropped || !st.Dirty || st.DirtyJournaled) continue;
                (ops ??= []).Add(BlockMap.Put(st, dirty: true));
                st.DirtyJournaled = true;
            }
            // An empty batch is the WAL's barrier: it covers the upload records applied before it.
            return ops is not null ? _map.Apply([.. ops]) : uploadsRecording ? _map.Apply() : 0;
        }
    }
}
