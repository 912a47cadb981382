using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;

namespace DittoFs.Storage.Cache;

// What the flusher calls: pick a dirty block, upload it as a new object version, record it.
internal sealed partial class BlockCache
{
    /// <summary>
    /// Dirty blocks worth uploading now, marked Uploading: found dirty at start-up, complete with the
    /// writer gone on to the next block (a sequential writer streams), complete and settled, idle past FlushIdle, or any dirty block while half the cache is dirty. A whole block
    /// comes alone (<paramref name="packed"/> false); blocks smaller than a block come together, for
    /// one segment: a COMMITted one once no write touched it for SegmentWait (the client closed the
    /// file: small files of many clients share a PUT, and one deleted or rewritten within that time
    /// is never uploaded), any other once idle past FlushIdle. The segment goes once it holds
    /// SegmentBytes, or its oldest block has been ready for SegmentWait more and the last segment not
    /// full went SegmentInterval ago (at once when drained, under pressure or awaited by a COMMIT).
    /// </summary>
    /// <summary>
    /// A passed block waits this long after its last write: a client with several WRITEs in flight
    /// (the Linux client) may finish a block's middle just after starting the next one, and an
    /// upload that early would be redone (one more PUT, one more garbage object).
    /// </summary>
    private const long PassedQuietMs = 20;

    public List<(BlockState Block, long Generation)>? TakeUploadBatch(out bool packed)
    {
        packed = false;
        if (!Volatile.Read(ref _uploadsEnabled)) return null;
        long now = Environment.TickCount64;
        long idle = (long)_options.FlushIdle.TotalMilliseconds;
        long settle = (long)_options.CompleteSettle.TotalMilliseconds;
        long segmentWait = (long)_options.SegmentWait.TotalMilliseconds;
        bool draining = Volatile.Read(ref _draining) > 0;
        lock (_lock)
        {
            bool pressure = _dirtyBytes * 2 >= _maxBytes;
            BlockState? best = null;
            List<BlockState>? small = null;
            long smallBytes = 0;
            bool smallNow = draining || pressure;
            bool waiting = false, smallDue = false;
            foreach (BlockState st in _dirty)
            {
                if (st.Uploading || !st.Local || st.Writers > 0) continue; // a write in progress: not settled
                long quiet = now - st.LastWrite;
                bool smallBlock = _options.PackSmallBlocks && !st.Complete && st.Extent < BlockSize;
                // COMMITted: its bytes are durable here and no write came after (close-to-open: the file is done).
                bool committed = smallBlock && st.DirtyJournaled && !st.Unsynced;
                bool eligible = draining || st.UploadNow || (st.Passed && quiet >= PassedQuietMs) || quiet >= idle || (st.Complete && quiet >= settle) || (pressure && quiet >= settle)
                    || (committed && quiet >= segmentWait);
                if (!eligible)
                {
                    waiting |= committed;
                    continue;
                }
                if (smallBlock)
                {
                    (small ??= []).Add(st);
                    smallBytes += st.Extent;
                    smallNow |= st.UploadNow || quiet >= idle + segmentWait;
                    smallDue |= committed && quiet >= 2 * segmentWait;
                    continue;
                }
                // Oldest write first, so a backlog drains in order.
                if (best is null || st.LastWrite < best.LastWrite) best = st;
            }
            // Small blocks on their way to a segment: look again within the batch delay, not the idle poll.
            Volatile.Write(ref _packPending, waiting || small is not null);
            bool full = smallBytes >= _options.SegmentBytes || small?.Count >= _options.SegmentMaxBlocks;
            // A segment not full waits for the last one not full to be SegmentInterval old: under a steady
            // stream of small files the PUTs stay few, and each carries what arrived meanwhile.
            bool due = smallDue && now - _lastPartialSegment >= (long)_options.SegmentInterval.TotalMilliseconds;
            if (small is not null && (smallNow || full || due))
            {
                if (!full) _lastPartialSegment = now;
                small.Sort((a, b) => a.LastWrite.CompareTo(b.LastWrite));
                var batch = new List<(BlockState, long)>();
                long bytes = 0;
                foreach (BlockState st in small)
                {
                    if (batch.Count > 0 && (batch.Count >= _options.SegmentMaxBlocks || bytes + st.Extent > _options.SegmentBytes)) break;
                    st.Uploading = true;
                    batch.Add((st, st.Gen));
                    bytes += st.Extent;
                }
                packed = true;
                return batch;
            }
            if (best is null) return null;
            best.Uploading = true;
            return [(best, best.Gen)];
        }
    }

    /// <summary>Uploads the block file as a new object; on success the block is clean (unless written meanwhile) and the old object is garbage.</summary>
    public async Task UploadAsync(BlockState st, long generation, CancellationToken cancellationToken)
    {
        byte[] buffer = _buffers.Rent(BlockSize);
        try
        {
            int length = 0;
            if (TryOpenExisting(st, out HandleCache.Lease lease))
            {
                using (lease)
                {
                    long fileLength = Math.Min(RandomAccess.GetLength(lease.Handle), BlockSize);
                    while (length < fileLength)
                    {
                        int got = RandomAccess.Read(lease.Handle, buffer.AsSpan(length, (int)fileLength - length), length);
                        if (got == 0) break;
                        length += got;
                    }
                }
            }
            else
            {
                lock (_lock)
                {
                    st.Uploading = false;
                    if (st.Dropped) return;
                }
                throw new IOException($"block file of {st.Inode}/{st.Block} is missing");
            }
            uint crc = Crc32C.Compute(buffer.AsSpan(0, length));
            ulong version = await NextObjectIdAsync().ConfigureAwait(false);
            string key = ObjectKeys.Format(st.Inode, st.Block, version);
            lock (_lock) _uploadingVersions.Add(version); // not garbage for a GC pass while unrecorded
            try
            {
                await _objects.PutAsync(key, buffer.AsMemory(0, length), crc, cancellationToken).ConfigureAwait(false);
                _metrics?.BlockUploaded(length);
            }
            catch
            {
                lock (_lock)
                {
                    st.Uploading = false;
                    _uploadingVersions.Remove(version);
                }
                SignalUploadProgress();
                throw;
            }

            var garbage = new List<string>(1);
            long position = 0;
            bool recorded = false;
            lock (_lock)
            {
                st.Uploading = false;
                _uploadingVersions.Remove(version);
                if (st.Dropped)
                {
                    garbage.Add(key); // never named by the map
                }
                else
                {
                    var dead = new Released();
                    MetadataOp put = UploadedLocked(st, generation, version, packed: false, 0, crc, length, dead, garbage);
                    position = ApplyReleasingLocked([put], dead, garbage);
                    recorded = true;
                }
            }
            // The old object may go only once the map naming the new one is durable.
            await _map.WaitDurableAsync(position).ConfigureAwait(false);
            if (recorded) RecordedDurably([(st, generation)]);
            if (garbage.Count > 0) _garbage.Enqueue(garbage, position);
            SignalUploadProgress();
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    private bool _uploadsEnabled;
    private bool _packPending;
    private long _lastPartialSegment = long.MinValue / 2; // guarded by _lock

    /// <summary>How long the flusher may sleep before it asks for a batch again when nothing woke it.</summary>
    public TimeSpan PollInterval => Volatile.Read(ref _packPending)
        ? TimeSpan.FromMilliseconds(Math.Clamp(_options.SegmentWait.TotalMilliseconds / 2, 5, 50))
        : TimeSpan.FromMilliseconds(50);

    /// <summary>Uploads start once the bucket is known to hold this filesystem.</summary>
    public void EnableUploads()
    {
        Volatile.Write(ref _uploadsEnabled, true);
        Wake?.Invoke();
    }

    /// <summary>True if the block map references this object (for the start-up sweep).</summary>
    public bool IsReferenced(ulong inode, ulong block, ulong version)
    {
        lock (_lock) return IsReferencedLocked(inode, block, version);
    }

    /// <summary>
    /// Block <paramref name="st"/>, uploaded as of <paramref name="generation"/>, now lives in object <paramref name="version"/>
    /// (whole, or at <paramref name="offset"/> of a segment): what it lived in before becomes dead bytes of its segment
    /// or garbage; it is clean unless written since. Returns its block-map record: still dirty in the map only if a
    /// flush already made the newer bytes durable.
    /// </summary>
    private MetadataOp UploadedLocked(BlockState st, long generation, ulong version, bool packed, long offset, uint crc, int length,
        Released dead, List<string> garbage)
    {
        ReleaseLocked(st.Inode, st.Block, RecordOf(st), dead, garbage);
        if (_sharedIds && !packed)
        {
            // On a store other servers share, a whole-block object is counted from its first record: releasing it
            // is then an atomic delta there, never a decision from this server's read (another may be cloning it).
            st.Shared = true;
            st.OriginInode = st.Inode;
            st.OriginBlock = st.Block;
            dead.Created[version] = SegmentRecord.References(1);
            dead.Add(version, 0);
        }
        else
        {
            st.Shared = false;
            st.OriginInode = st.OriginBlock = 0;
        }
        st.Version = version;
        st.Packed = packed;
        st.Offset = offset;
        st.Crc = crc;
        st.Length = length;
        st.UploadNow = false;
        st.Passed = false;
        bool writtenSince = st.Gen != generation || st.Writers > 0;
        st.PendingRecords++; // not evictable, not drained, until RecordedDurably
        if (!writtenSince)
        {
            st.Dirty = false;
            st.DirtyJournaled = false;
            st.Complete = false;
            _dirty.Remove(st);
            DirtyChangedLocked(-1, -st.Charged);
        }
        return BlockMap.Put(st, dirty: writtenSince && st.DirtyJournaled);
    }

    /// <summary>
    /// The records <see cref="UploadedLocked"/> made for these uploads are durable: a crash now
    /// finds the map naming the uploaded bytes, so a clean block file may be evicted, and a COMMIT
    /// waiting for the generation is done.
    /// </summary>
    private void RecordedDurably(IEnumerable<(BlockState St, long Generation)> uploads)
    {
        lock (_lock)
        {
            foreach ((BlockState st, long generation) in uploads)
            {
                st.UploadedGen = Math.Max(st.UploadedGen, generation);
                if (--st.PendingRecords == 0 && st.Local && !st.Dirty && !st.Dropped && st.Lru is null) st.Lru = _clean.AddFirst(st);
            }
        }
    }
}
