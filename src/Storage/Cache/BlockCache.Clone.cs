using DittoFs.Storage.Metadata;

namespace DittoFs.Storage.Cache;

// CLONE (reflink): a block of one file names the object another block already has, so a clone of
// any size copies no bytes and PUTs nothing. Objects are immutable (an overwrite uploads a new
// version), so sharing one is copy-on-write per block for free. What keeps the bucket the truth is
// the count of records naming each shared object, changed in the same batch as those records:
// - a packed block names a byte range of a segment, whose Live bytes already count every record
//   naming it (a clone adds its length); compaction leaves alone a segment that clones name;
// - a whole-block object gets a reference count (a SegmentRecord with Total 0 under its version)
//   once first shared, and every record naming it is marked Shared with the object's origin
//   (inode, block) so its key stays known; the object goes when the count reaches 0;
// - on a store other servers share, counts change by atomic deltas in the database and a whole-block
//   object is counted from its upload, so no server decides from its own read that an object is garbage.
internal sealed partial class BlockCache
{
    /// <summary>
    /// What one batch changes in segment records: per segment, bytes that stop (+) or start (-) being
    /// named; per shared object, names; reference counts first made in this batch; shared objects' keys.
    /// </summary>
    private sealed class Released
    {
        public readonly Dictionary<ulong, long> Deltas = [];
        public readonly Dictionary<ulong, SegmentRecord> Created = [];
        public readonly Dictionary<ulong, string> SharedKeys = [];
        /// <summary>Shared store only: segments and shared objects that lost names in the batch (gone after it: garbage).</summary>
        public readonly List<ulong> Dying = [];

        public int Count => Deltas.Count;

        public void Add(ulong id, long delta) => Deltas[id] = Deltas.GetValueOrDefault(id) + delta;
    }

    /// <summary>The object a record names: a segment if packed, its origin's if shared, its own block's otherwise.</summary>
    private static string KeyOf(ulong inode, ulong block, in BlockRecord r) =>
        r.Packed ? ObjectKeys.Segment(r.Version)
        : r.Shared ? ObjectKeys.Format(r.OriginInode, r.OriginBlock, r.Version)
        : ObjectKeys.Format(inode, block, r.Version);

    private static string KeyOf(BlockState st) => KeyOf(st.Inode, st.Block, RecordOf(st));

    private static BlockRecord RecordOf(BlockState st) =>
        new(st.Version, st.Crc, st.Length, false, st.Packed, st.Offset, st.Shared, st.OriginInode, st.OriginBlock);

    /// <summary>A record stops naming its object: dead bytes of a segment, one name less of a shared object, or garbage.</summary>
    private static void ReleaseLocked(ulong inode, ulong block, in BlockRecord r, Released dead, ICollection<string> garbage)
    {
        if (r.Version == 0) return;
        if (r.Packed)
        {
            dead.Add(r.Version, r.Length);
        }
        else if (r.Shared)
        {
            dead.Add(r.Version, 1);
            dead.SharedKeys[r.Version] = KeyOf(inode, block, r);
        }
        else
        {
            garbage.Add(ObjectKeys.Format(inode, block, r.Version));
        }
    }

    /// <summary>
    /// Makes blocks <paramref name="dstBlock"/>.. of <paramref name="dst"/> name what blocks <paramref name="srcBlock"/>..
    /// of <paramref name="src"/> hold now (a hole stays a hole), in one durable batch with the reference counts.
    /// Returns the indices (0 .. count-1) it could not share: blocks with bytes newer than their object
    /// (dirty, being written, lost), whose bytes the caller copies. Copying the cached bytes, rather than
    /// flushing and uploading first, keeps a clone of a file just written from waiting on the bucket.
    /// The caller holds both files' stripes: no write to either runs meanwhile.
    /// </summary>
    public async ValueTask<List<ulong>> CloneAsync(ulong src, ulong srcBlock, ulong dst, ulong dstBlock, ulong count)
    {
        var copy = new List<ulong>();
        var garbage = new HashSet<string>(StringComparer.Ordinal);
        var loads = new List<Task>();
        long position;
        lock (_lock)
        {
            var dead = new Released();
            var ops = new List<MetadataOp>();
            for (ulong i = 0; i < count; i++)
            {
                BlockState? s = LookupLocked(src, srcBlock + i);
                // On a shared store an object not counted yet (recorded before counts were kept there) is copied, not
                // shared: another server may be releasing it on a read made before this clone's count would exist.
                if (s is not null && (s.Dirty || s.Writers > 0 || s.Lost || (s.Local && s.Version == 0)
                                      || (_sharedIds && s.Version != 0 && !s.Packed && !s.Shared)))
                {
                    copy.Add(i);
                    continue;
                }
                BlockRecord named = default; // a hole
                if (s is { Version: not 0 })
                {
                    if (s.Packed)
                    {
                        dead.Add(s.Version, -s.Length);
                    }
                    else
                    {
                        if (!s.Shared)
                        {
                            // First share: the object gets a count (its own block's name) and its record the origin.
                            s.Shared = true;
                            s.OriginInode = src;
                            s.OriginBlock = srcBlock + i;
                            dead.Created[s.Version] = SegmentRecord.References(1);
                            ops.Add(BlockMap.Put(s, dirty: false));
                        }
                        dead.Add(s.Version, -1);
                        dead.SharedKeys[s.Version] = KeyOf(s);
                    }
                    named = RecordOf(s);
                }
                if (s is not null) RemoveIfEmptyLocked(s);
                bool had = ForgetLocked(dst, dstBlock + i, dead, garbage, loads);
                if (had || named.Version != 0) ops.Add(MetadataOp.PutBlock(dst, dstBlock + i, named));
            }
            position = ApplyReleasingLocked(ops, dead, garbage);
        }
        // Only on a shared store: another server forgot an object this clone would name (it changed the source meanwhile).
        if (position == MetadataConflict.Position) throw new IOException("The clone's source changed on another server; nothing was cloned");
        await _map.WaitDurableAsync(position).ConfigureAwait(false);
        if (garbage.Count > 0) _garbage.Enqueue(garbage, position);
        foreach (Task load in loads)
        {
            try
            {
                await load.ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The load was for bytes the clone replaced.
            }
        }
        return copy;
    }

    /// <summary>A block about to name something else: its cached state goes (in-flight work for it becomes garbage) and its object is released.</summary>
    private bool ForgetLocked(ulong inode, ulong block, Released dead, ICollection<string> garbage, List<Task> loads)
    {
        BlockRecord? record;
        if (FindLocked(inode, block) is { } st)
        {
            record = RecordOf(st);
            st.Dropped = true;
            _inodes[inode].Remove(block);
            if (_inodes[inode].Count == 0) _inodes.Remove(inode);
            DropLocalLocked(st);
            if (st.Loading is { } loading) loads.Add(loading);
        }
        else
        {
            record = _map.Get(inode, block);
        }
        if (record is not { } r) return false;
        ReleaseLocked(inode, block, r, dead, garbage);
        return true;
    }
}
