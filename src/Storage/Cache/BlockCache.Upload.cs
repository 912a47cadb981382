using DittoFs.Storage.Payload;

namespace DittoFs.Storage.Cache;

// What the flusher calls: pick a dirty block, upload it as a new object version, record it.
internal sealed partial class BlockCache
{
    /// <summary>
    /// A dirty block worth uploading now, marked Uploading: found dirty at start-up, complete and
    /// settled, idle past FlushIdle, or any dirty block while half the cache is dirty.
    /// </summary>
    public BlockState? TakeUploadCandidate(out long generation)
    {
        if (!Volatile.Read(ref _uploadsEnabled))
        {
            generation = 0;
            return null;
        }
        long now = Environment.TickCount64;
        long idle = (long)_options.FlushIdle.TotalMilliseconds;
        long settle = (long)_options.CompleteSettle.TotalMilliseconds;
        bool draining = Volatile.Read(ref _draining) > 0;
        lock (_lock)
        {
            bool pressure = _dirtyBytes * 2 >= _maxBytes;
            BlockState? best = null;
            foreach (BlockState st in _dirty)
            {
                if (st.Uploading || !st.Local) continue;
                long quiet = now - st.LastWrite;
                bool eligible = draining || st.UploadNow || quiet >= idle || (st.Complete && quiet >= settle) || (pressure && quiet >= settle);
                if (!eligible) continue;
                // Oldest write first, so a backlog drains in order.
                if (best is null || st.LastWrite < best.LastWrite) best = st;
            }
            if (best is null)
            {
                generation = 0;
                return null;
            }
            best.Uploading = true;
            generation = best.Gen;
            return best;
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
            ulong version = (ulong)Interlocked.Increment(ref _nextVersion);
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

            string? garbage = null;
            long position = 0;
            lock (_lock)
            {
                st.Uploading = false;
                _uploadingVersions.Remove(version);
                st.UploadedGen = generation;
                if (st.Dropped)
                {
                    garbage = key;
                }
                else
                {
                    if (st.Version != 0) garbage = ObjectKeys.Format(st.Inode, st.Block, st.Version);
                    st.Version = version;
                    st.Crc = crc;
                    st.Length = length;
                    st.UploadNow = false;
                    bool writtenSince = st.Gen != generation;
                    if (!writtenSince)
                    {
                        st.Dirty = false;
                        st.DirtyJournaled = false;
                        st.Complete = false;
                        _dirty.Remove(st);
                        DirtyChangedLocked(-1, -st.Charged);
                        st.Lru = _clean.AddFirst(st);
                    }
                    // Still dirty in the map only if a flush already made the newer file durable.
                    position = _map.Apply(BlockMap.Put(st, dirty: writtenSince && st.DirtyJournaled));
                }
            }
            // The old object may go only once the map naming the new one is durable.
            await _map.WaitDurableAsync(position).ConfigureAwait(false);
            if (garbage is not null) _garbage.Enqueue([garbage], position);
            SignalUploadProgress();
        }
        finally
        {
            _buffers.Return(buffer);
        }
    }

    private bool _uploadsEnabled;

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
}
