using DittoFs.Storage.Metadata;

namespace DittoFs.Storage.Cache;

// Close-to-open across servers: a clean cached copy is served only while the block map still names it.
internal sealed partial class BlockCache
{
    private const int MaxSeenChanges = 65536;
    private readonly Dictionary<ulong, ulong> _seenChange = []; // per inode: the change id its clean copies were last checked at

    /// <summary>
    /// The file's change id as the metadata store has it now (the filesystem passes it on every READ and
    /// WRITE: it read the inode anyway). When it moved since the cached blocks were last checked (a write
    /// through another server, or through this one), each clean copy is compared with the block map on
    /// its next lookup, and dropped if the map names another object: one point read per cached block per
    /// change, none while the file does not change.
    /// </summary>
    public void Revalidate(ulong inode, ulong changeId)
    {
        lock (_lock)
        {
            if (_seenChange.TryGetValue(inode, out ulong seen) && seen == changeId) return;
            if (_seenChange.Count >= MaxSeenChanges) _seenChange.Clear(); // forgotten inodes are simply checked again
            _seenChange[inode] = changeId;
            if (!_inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks)) return;
            foreach (BlockState st in blocks.Values)
            {
                if (!st.Dirty && !st.Uploading) st.Unverified = true;
            }
        }
    }

    /// <summary>
    /// The cache's state of a block, checked against the block map if its file changed since
    /// (<see cref="Revalidate"/>). <paramref name="known"/>: the map was read and has no record (a hole now).
    /// </summary>
    private BlockState? FindCurrentLocked(ulong inode, ulong block, out bool known)
    {
        known = false;
        BlockState? st = FindLocked(inode, block);
        if (st is null || !MustCheckLocked(st)) return st;
        return CheckLocked(st, _map.Get(inode, block), out known);
    }

    /// <summary>Whether a held state must be compared with the block map before it is used.</summary>
    private static bool MustCheckLocked(BlockState st)
    {
        if (!st.Unverified) return false;
        if (st.Dirty || st.Uploading || st.Writers > 0)
        {
            st.Unverified = false; // our own bytes: newer than any record
            return false;
        }
        return st.Readers == 0; // a read of this copy is under way: check at the next lookup
    }

    /// <summary>
    /// A held copy against the block map's <paramref name="record"/> of its block: kept if the map still names it,
    /// else replaced by the map's state (null and <paramref name="known"/>: a hole now).
    /// </summary>
    private BlockState? CheckLocked(BlockState st, BlockRecord? record, out bool known)
    {
        known = false;
        ulong inode = st.Inode, block = st.Block;
        if (record is { } r && r.Version == st.Version && r.Packed == st.Packed && r.Offset == st.Offset)
        {
            // A dirty record: another server's write not yet uploaded; the same copy until it is, so look again next time.
            st.Unverified = r.Dirty;
            return st;
        }
        // The map names another object (or none): forget this copy; a load of the old one in flight discards itself.
        st.Dropped = true;
        DropLocalLocked(st);
        if (_inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks))
        {
            blocks.Remove(block);
            if (blocks.Count == 0) _inodes.Remove(inode);
        }
        if (record is null)
        {
            known = true;
            return null;
        }
        return AddLocked(inode, block, record);
    }
}
