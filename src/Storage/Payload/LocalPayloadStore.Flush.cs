using Microsoft.Win32.SafeHandles;

namespace DittoFs.Storage.Payload;

// Group commit of fsyncs: a caller joins the next round; one round serves every caller that joined it.
public sealed partial class LocalPayloadStore
{
    private sealed class DirtyState
    {
        public readonly HashSet<ulong> Blocks = [];
        public readonly HashSet<string> Directories = [];
    }

    private readonly FlushRounds _rounds;
    private readonly DataJournal? _journal;

    // The dirty sets are snapshotted by each round after its callers joined, so their writes are covered.
    private FlushRounds CreateFlushRounds() => new(
        inodes =>
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (ulong inode in inodes) FlushInode(inode);
            _journal?.Sync();
            _metrics?.FsyncRound(inodes.Count, started);
            return Task.CompletedTask;
        },
        Translate);

    public ValueTask FlushAsync(ulong inode, CancellationToken cancellationToken = default) =>
        new(_rounds.JoinAsync(inode).WaitAsync(cancellationToken));

    private void FlushInode(ulong inode)
    {
        DirtyState? state;
        lock (_dirtyLock)
        {
            if (!_dirty.Remove(inode, out state)) return;
        }
        try
        {
            bool inPlace = false;
            foreach (ulong block in state.Blocks)
            {
                // A block truncated or deleted since has nothing left to flush.
                if (!TryOpen(inode, block, create: false, out HandleCache.Lease lease)) continue;
                using (lease)
                {
                    if (_journal?.TryAppendFile(inode, block, lease.Handle) == true) continue;
                    SyncInPlace(inode, block, lease.Handle);
                    inPlace = true;
                }
            }
            // Names of journaled blocks wait for the journal's checkpoint (a replay recreates them).
            // Deepest first: the inode directory, then the fan-out levels that gained it.
            if (inPlace) foreach (string dir in state.Directories.OrderByDescending(d => d.Length)) FileSync.Directory(dir);
        }
        catch
        {
            // Not durable: keep it dirty so the next flush retries.
            lock (_dirtyLock)
            {
                foreach (ulong block in state.Blocks) MarkDirtyLocked(inode, block, null);
                foreach (string dir in state.Directories) MarkDirtyLocked(inode, null, dir);
            }
            throw;
        }
    }

    /// <summary>
    /// fsync of the block file. If the file had blocks journaled this epoch, the directories they
    /// created were never synced: sync the whole chain now, and void the block's image.
    /// </summary>
    private void SyncInPlace(ulong inode, ulong block, SafeFileHandle handle)
    {
        RandomAccess.FlushToDisk(handle);
        if (_journal is null || !_journal.HasImages(inode)) return;
        string dir = InodeDirectory(inode);
        for (int level = 0; level < 4; level++, dir = Path.GetDirectoryName(dir)!) FileSync.Directory(dir);
        _journal.NoteSynced(inode, block);
    }

    private void MarkDirty(ulong inode, ulong? block, string? directory)
    {
        lock (_dirtyLock) MarkDirtyLocked(inode, block, directory);
    }

    private void MarkDirtyLocked(ulong inode, ulong? block, string? directory)
    {
        if (!_dirty.TryGetValue(inode, out DirtyState? state)) _dirty[inode] = state = new DirtyState();
        if (block is { } b) state.Blocks.Add(b);
        if (directory is not null) state.Directories.Add(directory);
    }

    private void ForgetDirty(ulong inode, ulong block)
    {
        lock (_dirtyLock)
        {
            if (_dirty.TryGetValue(inode, out DirtyState? state)) state.Blocks.Remove(block);
        }
    }
}
