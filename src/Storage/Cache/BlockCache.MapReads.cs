using DittoFs.Storage.Metadata;

namespace DittoFs.Storage.Cache;

// A read of several blocks asks the block map once for all of them (a range query), not once per block:
// on a database shared by several servers, each question is a round trip, and it is asked under the cache's lock.
internal sealed partial class BlockCache
{
    /// <summary>
    /// Before a read of blocks [<paramref name="first"/>, <paramref name="last"/>]: when two or more of them need the
    /// block map (not held here, or held but unchecked since their file changed), one range query answers for all, and
    /// their states are set from it under the same lock, so the lookups of the read find them and ask nothing more.
    /// Returns the blocks the map showed to be holes (null: none), which the read's lookups take as answered: a block
    /// written here since is found held first; a hole seen by a read that raced another server's write is that read's snapshot.
    /// </summary>
    private HashSet<ulong>? MapReadsLocked(ulong inode, ulong first, ulong last)
    {
        int needed = 0;
        for (ulong b = first; b <= last && needed < 2; b++)
        {
            if (FindLocked(inode, b) is not { } st || MustCheckLocked(st)) needed++;
        }
        if (needed < 2) return null;

        IReadOnlyList<BlockEntry> records = _map.ListRange(inode, first, last + 1);
        HashSet<ulong>? holes = null;
        int next = 0;
        for (ulong b = first; b <= last; b++)
        {
            while (next < records.Count && records[next].Block < b) next++;
            BlockRecord? record = next < records.Count && records[next].Block == b ? records[next].Record : null;
            bool hole;
            if (FindLocked(inode, b) is { } st)
            {
                if (!MustCheckLocked(st)) continue;
                _ = CheckLocked(st, record, out hole);
            }
            else if (record is { } r)
            {
                AddLocked(inode, b, r);
                continue;
            }
            else
            {
                hole = true;
            }
            if (hole) (holes ??= []).Add(b);
        }
        return holes;
    }

    /// <summary>The last block a read of [first, last] looks at: the read-ahead window's end when it continues a sequential read.</summary>
    private ulong MapWindowEndLocked(ulong inode, ulong first, ulong last) =>
        IsSequentialLocked(inode, first) ? last + (ulong)_options.ReadAheadBlocks : last;

    /// <summary>Whether a read starting at <paramref name="first"/> continues the file's last read (read-ahead on).</summary>
    private bool IsSequentialLocked(ulong inode, ulong first) =>
        _options.ReadAheadBlocks > 0 && _lastRead.TryGetValue(inode, out ulong previous) && (first == previous || first == previous + 1);
}
