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

    // The dirty sets are snapshotted by each round after its callers joined, so their writes are covered.
    private FlushRounds CreateFlushRounds() => new(
        inodes =>
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (ulong inode in inodes) FlushInode(inode);
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
            foreach (ulong block in state.Blocks)
            {
                // A block truncated or deleted since has nothing left to flush.
                if (!TryOpen(inode, block, create: false, out HandleCache.Lease lease)) continue;
                using (lease) RandomAccess.FlushToDisk(lease.Handle);
            }
            // Deepest first: the inode directory, then the fan-out levels that gained it.
            foreach (string dir in state.Directories.OrderByDescending(d => d.Length)) DirectorySync.Fsync(dir);
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
