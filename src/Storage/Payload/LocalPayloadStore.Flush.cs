namespace DittoFs.Storage.Payload;

// Group commit of fsyncs: a caller joins the next round; one round serves every caller that joined it.
public sealed partial class LocalPayloadStore
{
    private sealed class DirtyState
    {
        public readonly HashSet<ulong> Blocks = [];
        public readonly HashSet<string> Directories = [];
    }

    private readonly Lock _flushLock = new();
    private TaskCompletionSource? _nextRound;
    private HashSet<ulong> _nextInodes = [];
    private bool _flushing;

    public ValueTask FlushAsync(ulong inode, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource round;
        bool start = false;
        lock (_flushLock)
        {
            round = _nextRound ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _nextInodes.Add(inode);
            if (!_flushing)
            {
                _flushing = true;
                start = true;
            }
        }
        if (start) _ = Task.Run(FlushLoop, CancellationToken.None);
        return new ValueTask(round.Task.WaitAsync(cancellationToken));
    }

    /// <summary>Runs rounds until no caller is waiting; the dirty sets are snapshotted after the callers joined, so their writes are covered.</summary>
    private void FlushLoop()
    {
        while (true)
        {
            TaskCompletionSource round;
            HashSet<ulong> inodes;
            lock (_flushLock)
            {
                if (_nextRound is null)
                {
                    _flushing = false;
                    return;
                }
                round = _nextRound;
                inodes = _nextInodes;
                _nextRound = null;
                _nextInodes = [];
            }
            try
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                foreach (ulong inode in inodes) FlushInode(inode);
                _metrics?.FsyncRound(inodes.Count, started);
                round.SetResult();
            }
            catch (Exception e)
            {
                round.SetException(Translate(e));
            }
        }
    }

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
