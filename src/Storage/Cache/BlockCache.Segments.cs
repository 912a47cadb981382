using System.Buffers;
using System.Buffers.Binary;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Payload.S3;

namespace DittoFs.Storage.Cache;

// Small blocks packed into segment objects: one PUT for many files, a ranged GET per block, and a
// segment record (live/total bytes) changed in the same batch as the block records naming it.
internal sealed partial class BlockCache
{
    // A segment object: the blocks back to back, then an index so compaction can find them without
    // a scan of the block map, then the index's entry count and a magic number.
    //   [block bytes ...][inode:8 block:8 offset:8 length:4 crc32c:4] x n [n:4]["DFSG":4]
    private const int IndexEntrySize = 8 + 8 + 8 + 4 + 4;
    private const int FooterSize = 4 + 4;
    private const uint SegmentMagic = 0x47534644; // "DFSG" little-endian

    private readonly HashSet<ulong> _compactable = [];
    private int _compacting;

    /// <summary>Mostly dead segments waiting for compaction or being compacted.</summary>
    public int PendingCompactions
    {
        get { lock (_lock) return _compactable.Count + _compacting; }
    }

    /// <summary>Uploads the blocks as one new segment object; each block then names its byte range of it.</summary>
    public async Task UploadSegmentAsync(List<(BlockState Block, long Generation)> batch, CancellationToken cancellationToken)
    {
        var members = new List<(BlockState St, long Gen, int Length, uint Crc)>(batch.Count);
        byte[]? buffer = null;
        ulong segment = 0;
        try
        {
            // Blocks first (one open file at a time), the index after them.
            long total = 0;
            foreach ((BlockState st, _) in batch) total += Math.Clamp(st.Extent, 0, BlockSize);
            buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(total + batch.Count * IndexEntrySize + FooterSize, int.MaxValue));
            int offset = 0;
            foreach ((BlockState st, long gen) in batch)
            {
                if (!TryOpenExisting(st, out HandleCache.Lease lease))
                {
                    lock (_lock) st.Uploading = false; // dropped meanwhile, or looked at again by the next pass
                    continue;
                }
                int length;
                using (lease)
                {
                    length = (int)Math.Min(RandomAccess.GetLength(lease.Handle), BlockSize);
                    if (offset + length + (members.Count + 1) * IndexEntrySize + FooterSize > buffer.Length) Grow(ref buffer, offset + length + batch.Count * IndexEntrySize + FooterSize);
                    int read = 0;
                    while (read < length)
                    {
                        int got = RandomAccess.Read(lease.Handle, buffer.AsSpan(offset + read, length - read), read);
                        if (got == 0) break;
                        read += got;
                    }
                    buffer.AsSpan(offset + read, length - read).Clear(); // cut meanwhile: this upload is superseded anyway
                }
                uint crc = Crc32C.Compute(buffer.AsSpan(offset, length));
                members.Add((st, gen, length, crc));
                offset += length;
            }
            total = offset;
            int objectBytes = checked((int)(total + (long)members.Count * IndexEntrySize + FooterSize));
            if (objectBytes > buffer.Length) Grow(ref buffer, objectBytes);
            int at = 0;
            for (int i = 0; i < members.Count; i++)
            {
                Span<byte> entry = buffer.AsSpan((int)total + i * IndexEntrySize, IndexEntrySize);
                BinaryPrimitives.WriteUInt64LittleEndian(entry, members[i].St.Inode);
                BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], members[i].St.Block);
                BinaryPrimitives.WriteInt64LittleEndian(entry[16..], at);
                BinaryPrimitives.WriteInt32LittleEndian(entry[24..], members[i].Length);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[28..], members[i].Crc);
                at += members[i].Length;
            }
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(objectBytes - FooterSize), members.Count);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(objectBytes - 4), SegmentMagic);
            if (members.Count == 0) return;

            int size = (int)(total + (long)members.Count * IndexEntrySize + FooterSize);
            segment = await NextObjectIdAsync().ConfigureAwait(false);
            string key = ObjectKeys.Segment(segment);
            lock (_lock) _uploadingVersions.Add(segment); // not garbage for a GC pass while unrecorded
            await _objects.PutAsync(key, buffer.AsMemory(0, size), Crc32C.Compute(buffer.AsSpan(0, size)), cancellationToken).ConfigureAwait(false);
            _metrics?.BlockUploaded(size);

            var garbage = new List<string>();
            var recorded = new List<(BlockState, long)>(members.Count);
            long position;
            lock (_lock)
            {
                _uploadingVersions.Remove(segment);
                var dead = new Released();
                var ops = new List<MetadataOp>(members.Count + 2);
                long live = 0, next = 0;
                foreach ((BlockState st, long gen, int length, uint crc) in members)
                {
                    long start = next;
                    next += length;
                    st.Uploading = false;
                    if (st.Dropped) continue; // deleted meanwhile: its bytes in the segment are dead from the start
                    ops.Add(UploadedLocked(st, gen, segment, packed: true, start, crc, length, dead, garbage));
                    recorded.Add((st, gen));
                    live += length;
                }
                if (live > 0) ops.Add(MetadataOp.PutSegment(segment, new SegmentRecord(live, total, size)));
                else garbage.Add(key);
                if (live > 0 && live < total * _options.CompactBelow && CompactionAllowed) _compactable.Add(segment);
                position = ApplyReleasingLocked(ops, dead, garbage);
            }
            segment = 0;
            // Old objects go only once the map naming the new one is durable.
            await _map.WaitDurableAsync(position).ConfigureAwait(false);
            RecordedDurably(recorded);
            if (garbage.Count > 0) _garbage.Enqueue(garbage, position);
        }
        catch
        {
            lock (_lock)
            {
                if (segment != 0) _uploadingVersions.Remove(segment);
                foreach ((BlockState st, _) in batch) st.Uploading = false;
            }
            throw;
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            SignalUploadProgress();
        }
    }

    private static void Grow(ref byte[] buffer, int atLeast)
    {
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(atLeast, buffer.Length * 2));
        buffer.AsSpan().CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = bigger;
    }

    /// <summary>
    /// The segment records after <paramref name="dead"/> bytes (per segment) stopped being named, to
    /// apply in the same batch: a segment with nothing live is forgotten and becomes garbage, one
    /// mostly dead is queued for compaction.
    /// </summary>
    private List<MetadataOp> SegmentsLoseLocked(Released dead, ICollection<string> garbage)
    {
        var ops = new List<MetadataOp>(dead.Count);
        if (_sharedIds)
        {
            // Other servers change the same counts: deltas the database applies atomically; whether a count
            // reached 0 is read back after the batch (ApplyReleasingLocked), not decided from a read made before it.
            foreach ((ulong segment, long bytes) in dead.Deltas)
            {
                ops.Add(MetadataOp.AddToSegment(segment, -bytes, dead.Created.TryGetValue(segment, out SegmentRecord first) ? first : default));
                if (bytes > 0) dead.Dying.Add(segment);
            }
            return ops;
        }
        foreach ((ulong segment, long bytes) in dead.Deltas)
        {
            // A reference count first made in this batch (CLONE of a block nobody shared yet) is not in the map yet.
            SegmentRecord? found = dead.Created.TryGetValue(segment, out SegmentRecord created) ? created : _map.GetSegment(segment);
            if (found is not { } record) continue; // already gone (compacted or emptied)
            long live = record.Live - bytes;
            ops.Add(MetadataOp.PutSegment(segment, record with { Live = Math.Max(0, live) }));
            if (live <= 0)
            {
                _compactable.Remove(segment);
                garbage.Add(record.IsReferenceCount ? dead.SharedKeys[segment] : ObjectKeys.Segment(segment));
            }
            else if (live < record.Total * _options.CompactBelow && CompactionAllowed)
            {
                _compactable.Add(segment);
            }
        }
        return ops;
    }

    /// <summary>
    /// Applies <paramref name="ops"/> with the segment records <paramref name="dead"/> changes, in one batch; on a
    /// shared store a segment or shared object whose count that batch took to 0 is gone from the map afterwards,
    /// and only then is its object garbage. Returns the position to wait for, or <see cref="MetadataConflict.Position"/>.
    /// </summary>
    private long ApplyReleasingLocked(List<MetadataOp> ops, Released dead, ICollection<string> garbage)
    {
        ops.AddRange(SegmentsLoseLocked(dead, garbage));
        if (ops.Count == 0) return 0;
        long position = _map.Apply([.. ops]);
        if (position == MetadataConflict.Position) return position;
        foreach (ulong segment in dead.Dying)
        {
            if (_map.GetSegment(segment) is null) garbage.Add(dead.SharedKeys.TryGetValue(segment, out string? key) ? key : ObjectKeys.Segment(segment));
        }
        return position;
    }

    /// <summary>
    /// Compaction runs only when this server is the one writer of the block map. With a store other
    /// servers share it is off: it rewrites other blocks' records from a read made before its PUT, so
    /// another server's newer record for one of them would be overwritten (lost). Mostly dead segments
    /// then stay as they are (readable, costing only space); a segment is still deleted once nothing
    /// names it (its count changes by atomic deltas there: <see cref="MetadataOpKind.AddToSegment"/>).
    /// </summary>
    private bool CompactionAllowed => !_sharedIds;

    /// <summary>A mostly dead segment to compact now (0: none).</summary>
    public ulong TakeCompaction()
    {
        if (!Volatile.Read(ref _uploadsEnabled) || !CompactionAllowed) return 0;
        lock (_lock)
        {
            foreach (ulong segment in _compactable)
            {
                _compactable.Remove(segment);
                _compacting++; // until CompactAsync ends
                return segment;
            }
            return 0;
        }
    }

    /// <summary>Queues a segment for compaction if its record says it is mostly dead (the start-up sweep, tests).</summary>
    public void ConsiderCompaction(ulong segment)
    {
        if (!CompactionAllowed) return;
        lock (_lock)
        {
            if (_map.GetSegment(segment) is { } record && record.Live < record.Total * _options.CompactBelow) _compactable.Add(segment);
        }
    }

    /// <summary>
    /// Rewrites the blocks a segment still holds for the block map into a new segment, switches
    /// their records (and the old segment's removal) in one batch, and hands the old object to the
    /// garbage collector, which deletes it once the shipped metadata stops naming it too.
    /// </summary>
    public async Task CompactAsync(ulong segment, CancellationToken cancellationToken)
    {
        try
        {
            await CompactCoreAsync(segment, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock) _compacting--;
        }
    }

    private async Task CompactCoreAsync(ulong segment, CancellationToken cancellationToken)
    {
        SegmentRecord? record;
        lock (_lock) record = _map.GetSegment(segment);
        if (record is not { } rec) return;
        string oldKey = ObjectKeys.Segment(segment);
        byte[] old = new byte[rec.ObjectBytes];
        int got;
        try
        {
            got = await _objects.GetAsync(oldKey, 0, old, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return; // emptied and deleted meanwhile
        }
        if (got != old.Length || BinaryPrimitives.ReadUInt32LittleEndian(old.AsSpan(got - 4)) != SegmentMagic)
        {
            throw new IOException($"segment {oldKey} is corrupt: {got} of {old.Length} bytes");
        }
        int count = BinaryPrimitives.ReadInt32LittleEndian(old.AsSpan(got - FooterSize));
        int indexAt = got - FooterSize - count * IndexEntrySize;
        if (count < 0 || indexAt < 0) throw new IOException($"segment {oldKey} has a corrupt index");

        // The blocks the map still names in this segment, with their bytes checked.
        var moving = new List<(ulong Inode, ulong Block, long OldOffset, int Length, uint Crc)>();
        lock (_lock)
        {
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> e = old.AsSpan(indexAt + i * IndexEntrySize, IndexEntrySize);
                ulong inode = BinaryPrimitives.ReadUInt64LittleEndian(e);
                ulong block = BinaryPrimitives.ReadUInt64LittleEndian(e[8..]);
                long offset = BinaryPrimitives.ReadInt64LittleEndian(e[16..]);
                int length = BinaryPrimitives.ReadInt32LittleEndian(e[24..]);
                uint crc = BinaryPrimitives.ReadUInt32LittleEndian(e[28..]);
                if (!NamesLocked(inode, block, segment, offset)) continue;
                if (offset + length > indexAt || Crc32C.Compute(old.AsSpan((int)offset, length)) != crc)
                {
                    throw new IOException($"segment {oldKey} is corrupt at block {block} of inode {inode}");
                }
                moving.Add((inode, block, offset, length, crc));
            }
            // CLONE made other blocks name ranges of this segment (its index does not list them): the
            // segment stays whole rather than leave them naming a deleted object.
            if (_map.GetSegment(segment) is { } now && now.Live != moving.Sum(m => (long)m.Length)) return;
        }

        ulong fresh = 0;
        var garbage = new List<string>();
        long position;
        if (moving.Count > 0)
        {
            long total = moving.Sum(m => (long)m.Length);
            int size = checked((int)(total + (long)moving.Count * IndexEntrySize + FooterSize));
            byte[] buffer = new byte[size];
            int at = 0;
            for (int i = 0; i < moving.Count; i++)
            {
                var m = moving[i];
                old.AsSpan((int)m.OldOffset, m.Length).CopyTo(buffer.AsSpan(at));
                Span<byte> entry = buffer.AsSpan((int)total + i * IndexEntrySize, IndexEntrySize);
                BinaryPrimitives.WriteUInt64LittleEndian(entry, m.Inode);
                BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], m.Block);
                BinaryPrimitives.WriteInt64LittleEndian(entry[16..], at);
                BinaryPrimitives.WriteInt32LittleEndian(entry[24..], m.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[28..], m.Crc);
                at += m.Length;
            }
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(size - FooterSize), moving.Count);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(size - 4), SegmentMagic);
            fresh = await NextObjectIdAsync().ConfigureAwait(false);
            lock (_lock) _uploadingVersions.Add(fresh);
            try
            {
                await _objects.PutAsync(ObjectKeys.Segment(fresh), buffer, Crc32C.Compute(buffer), cancellationToken).ConfigureAwait(false);
                _metrics?.BlockUploaded(size);
            }
            catch
            {
                lock (_lock)
                {
                    _uploadingVersions.Remove(fresh);
                    _compactable.Add(segment);
                }
                throw;
            }

            lock (_lock)
            {
                _uploadingVersions.Remove(fresh);
                var ops = new List<MetadataOp>(moving.Count + 2);
                var still = new List<(ulong Inode, ulong Block, long Offset)>(moving.Count);
                long live = 0, newAt = 0;
                foreach (var m in moving)
                {
                    long offset = newAt;
                    newAt += m.Length;
                    // Written, dropped or moved since it was read: its copy in the new segment is dead.
                    if (!NamesLocked(m.Inode, m.Block, segment, m.OldOffset)) continue;
                    still.Add((m.Inode, m.Block, offset));
                    live += m.Length;
                }
                if (_map.GetSegment(segment) is { } now && now.Live != live)
                {
                    // Cloned meanwhile: the clones name ranges of the old segment, which stays; the new one is garbage.
                    garbage.Add(ObjectKeys.Segment(fresh));
                    _compactable.Remove(segment);
                    position = 0;
                    fresh = 0;
                }
                else
                {
                    foreach ((ulong inode, ulong block, long offset) in still)
                    {
                        BlockRecord current = _map.Get(inode, block)!.Value;
                        if (FindLocked(inode, block) is { } st)
                        {
                            st.Version = fresh;
                            st.Offset = offset;
                        }
                        ops.Add(MetadataOp.PutBlock(inode, block, current with { Version = fresh, Offset = offset }));
                    }
                    if (live > 0) ops.Add(MetadataOp.PutSegment(fresh, new SegmentRecord(live, total, size)));
                    else garbage.Add(ObjectKeys.Segment(fresh));
                    if (_map.GetSegment(segment) is not null)
                    {
                        ops.Add(MetadataOp.PutSegment(segment, default));
                        garbage.Add(oldKey);
                    }
                    _compactable.Remove(segment);
                    position = _map.Apply([.. ops]);
                }
            }
        }
        else
        {
            lock (_lock)
            {
                _compactable.Remove(segment);
                if (_map.GetSegment(segment) is not { } left || left.Live > 0) return; // gone, or cloned meanwhile
                garbage.Add(oldKey);
                position = _map.Apply(MetadataOp.PutSegment(segment, default));
            }
        }
        await _map.WaitDurableAsync(position).ConfigureAwait(false);
        _garbage.Enqueue(garbage, position);
        CacheLog.SegmentCompacted(_options.Logger, segment, fresh, moving.Count);
    }

    /// <summary>True if the block's current record (the cache's state, else the map's) names that byte range of that segment.</summary>
    private bool NamesLocked(ulong inode, ulong block, ulong segment, long offset)
    {
        if (FindLocked(inode, block) is { } st) return !st.Dropped && st.Packed && st.Version == segment && st.Offset == offset;
        return _map.Get(inode, block) is { Packed: true } r && r.Version == segment && r.Offset == offset;
    }

    /// <summary>A segment object no record names, allocated before <paramref name="below"/> and not being uploaded: garbage.</summary>
    public bool IsGarbageSegment(ulong segment, ulong below)
    {
        if (segment >= below) return false;
        lock (_lock) return !_uploadingVersions.Contains(segment) && _map.GetSegment(segment) is null;
    }
}
