using DittoFs.Storage.Metadata;

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

    private TaskCompletionSource _uploadProgress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next upload (or failed upload, or drop): a waiter then looks again.</summary>
    private Task UploadProgress => Volatile.Read(ref _uploadProgress).Task;

    private void SignalUploadProgress() =>
        Interlocked.Exchange(ref _uploadProgress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// Uploads the file's dirty blocks now (no idle wait) and completes once what each held at the
    /// call is in the object store (Durability=Bucket: COMMIT returns only then). Retries while the
    /// store fails, until <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task UploadNowAsync(ulong inode, CancellationToken cancellationToken)
    {
        var pending = new List<(BlockState Block, long Generation)>();
        lock (_lock)
        {
            if (_inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks))
            {
                foreach (BlockState st in blocks.Values)
                {
                    if (!st.Dirty) continue;
                    st.UploadNow = true;
                    pending.Add((st, st.Gen));
                }
            }
        }
        if (pending.Count == 0) return;
        Wake?.Invoke();
        while (true)
        {
            Task progress = UploadProgress;
            pending.RemoveAll(p => IsDrained(p.Block, p.Generation));
            if (pending.Count == 0) return;
            await progress.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True once what the block held at <paramref name="generation"/> is in the object store and durably in the block map (or no longer matters).</summary>
    public bool IsDrained(BlockState st, long generation)
    {
        lock (_lock) return st.Dropped || (!st.Dirty && st.PendingRecords == 0) || st.UploadedGen >= generation;
    }

    /// <summary>
    /// Versions below this were allocated before now (0 with a shared store: another server's upload in
    /// flight may have any id below ours, so a listing pass may delete nothing by id).
    /// </summary>
    public ulong NextVersion => _sharedIds ? 0 : (ulong)Interlocked.Read(ref _nextVersion) + 1;

    /// <summary>The next object version or segment id: counted here, or from the shared store's current lease.</summary>
    private async ValueTask<ulong> NextObjectIdAsync()
    {
        if (!_sharedIds) return (ulong)Interlocked.Increment(ref _nextVersion);
        while (true)
        {
            lock (_idLock)
            {
                if (_leaseNext < _leaseEnd) return _leaseNext++;
            }
            // One round trip per lease (1,024 ids); two uploaders that both ran dry waste one range, harmlessly.
            IdRange lease = await _map.LeaseVersionsAsync().ConfigureAwait(false);
            lock (_idLock)
            {
                if (_leaseNext >= _leaseEnd)
                {
                    _leaseNext = lease.First;
                    _leaseEnd = lease.First + lease.Count;
                }
            }
        }
    }

    /// <summary>
    /// An object the map does not reference, allocated before <paramref name="below"/> and not being uploaded:
    /// garbage once the metadata WAL holding the record that stopped referencing it is durable
    /// (<see cref="WaitMapDurableAsync"/>: that record was applied under the same lock, before now).
    /// </summary>
    public bool IsGarbage(ulong inode, ulong block, ulong version, ulong below)
    {
        if (version >= below) return false;
        lock (_lock) return !_uploadingVersions.Contains(version) && !IsReferencedLocked(inode, block, version);
    }

    /// <summary>Its own block names the object, or it is shared (CLONE) and its reference count says some block still does.</summary>
    private bool IsReferencedLocked(ulong inode, ulong block, ulong version) =>
        (FindLocked(inode, block) is { } st ? st.Version == version && !st.Packed : _map.Get(inode, block) is { } record && record.Version == version && !record.Packed)
        || _map.GetSegment(version) is { IsReferenceCount: true };

    /// <summary>Completes once every block-map change applied so far is durable.</summary>
    public ValueTask WaitMapDurableAsync() => _map.WaitDurableAsync(MetadataBarrier());

    /// <summary>Completes once the block-map changes up to <paramref name="position"/> are durable.</summary>
    public ValueTask WaitMapDurableAsync(long position) => _map.WaitDurableAsync(position);

    /// <summary>A WAL position after every metadata change applied so far (an empty batch is the WAL's barrier).</summary>
    public long MetadataBarrier() => _map.Apply();

    /// <summary>
    /// The blocks of an inode as the block map and the cache know them: uploaded version (0: none),
    /// the object that holds it (a segment if packed, another block's object if shared), whether a local dirty copy exists,
    /// and whether the map names a committed copy that is gone (lost).
    /// </summary>
    public List<(ulong Block, ulong Version, string Key, bool LocalDirty, bool Lost)> MapOf(ulong inode)
    {
        lock (_lock)
        {
            var list = new List<(ulong, ulong, string, bool, bool)>();
            _inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? held);
            foreach (BlockEntry e in _map.List(inode, 0))
            {
                if (held?.ContainsKey(e.Block) == true) continue;
                list.Add((e.Block, e.Record.Version, KeyOf(inode, e.Block, e.Record), false, e.Record.Dirty));
            }
            if (held is not null)
            {
                foreach (BlockState st in held.Values) list.Add((st.Block, st.Version, KeyOf(st), st.Local && st.Dirty, st.Lost));
            }
            return list;
        }
    }
}
