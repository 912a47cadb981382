using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// The orphan list (Metadata/OrphanDirectory.cs): an open file that loses its last name is listed in the
// same batch as the unlink, unlisted in the same batch as its deletion at the last close, and whatever
// is still listed when a filesystem opens was left by a crash and is freed then.
public sealed partial class FileSystem
{
    /// <summary>
    /// The orphan list's lock for a change that may unlink <paramref name="inode"/> (0: none): its record is
    /// rewritten when an open file loses its last name. Read before the locks; ListOrphanAsync checks it was.
    /// </summary>
    private ulong OrphanLockOf(ulong inode) => inode != 0 && _held.ContainsKey(inode) ? OrphanDirectory.Inode : 0;

    /// <summary>Adds <paramref name="inode"/> to the orphan list, in <paramref name="ops"/>; the change must hold the list's lock.</summary>
    private async ValueTask ListOrphanAsync(ulong inode, HeldLocks locks, List<MetadataOp> ops)
    {
        // Opened since the change chose its locks: start over, with the list's lock.
        if (!locks.Holds(OrphanDirectory.Inode)) throw new MetadataConflictException();
        InodeRecord dir = await _store.GetInodeAsync(OrphanDirectory.Inode).ConfigureAwait(false) ?? OrphanDirectory.Empty;
        ops.Add(MetadataOp.PutEntry(OrphanDirectory.Inode, OrphanDirectory.NameOf(inode), inode, NextCookie(ref dir)));
        dir.EntryCount++;
        ops.Add(MetadataOp.PutInode(dir));
    }

    /// <summary>Removes <paramref name="inode"/> from the orphan list, in <paramref name="ops"/>, if it is listed (the caller holds the list's lock).</summary>
    private async ValueTask UnlistOrphanAsync(ulong inode, List<MetadataOp> ops)
    {
        byte[] name = OrphanDirectory.NameOf(inode);
        if (await _store.GetEntryAsync(OrphanDirectory.Inode, name).ConfigureAwait(false) is not { } entry) return;
        InodeRecord dir = await _store.GetInodeAsync(OrphanDirectory.Inode).ConfigureAwait(false) ?? OrphanDirectory.Empty;
        ops.Add(MetadataOp.DeleteEntry(OrphanDirectory.Inode, name, entry.Cookie));
        dir.EntryCount = dir.EntryCount > 0 ? dir.EntryCount - 1 : 0;
        // Empty again: no record at all (cookies start over, so the pages a listing walks never grow with the years).
        ops.Add(dir.EntryCount == 0 ? MetadataOp.DeleteInode(OrphanDirectory.Inode) : MetadataOp.PutInode(dir));
    }

    /// <summary>
    /// Frees every file the orphan list still holds: they were open and unlinked when the last
    /// instance stopped without closing them (kill -9, power loss). Called once at open, before
    /// any file can be held; each goes through the last close's path (inode, then its blocks).
    /// </summary>
    public async ValueTask<int> SweepOrphansAsync()
    {
        int freed = 0;
        ulong after = 0;
        while (true)
        {
            IReadOnlyList<DirEntryRecord> listed = await _store.ListEntriesAsync(OrphanDirectory.Inode, after, 256).ConfigureAwait(false);
            if (listed.Count == 0) return freed;
            foreach (DirEntryRecord orphan in listed)
            {
                after = orphan.Cookie;
                InodeRecord? found = await _store.GetInodeAsync(orphan.Inode).ConfigureAwait(false);
                if (found is { LinkCount: 0, Type: FileType.Regular } inode)
                {
                    // The last close's path: inode and list entry in one batch, then the blocks. If it fails
                    // the entry stays listed for the next start (leaked space until then, never a wrong answer).
                    Hold(IdOf(inode));
                    await ReleaseAsync(IdOf(inode)).ConfigureAwait(false);
                    freed++;
                    continue;
                }
                // Gone already, or linked again: only the list entry is left to drop.
                long position;
                using (await LockAsync(OrphanDirectory.Inode).ConfigureAwait(false))
                {
                    var ops = new List<MetadataOp>(2);
                    await UnlistOrphanAsync(orphan.Inode, ops).ConfigureAwait(false);
                    if (ops.Count == 0) continue;
                    position = await ApplyAsync([.. ops]).ConfigureAwait(false);
                }
                await _store.WaitDurableAsync(position).ConfigureAwait(false);
            }
        }
    }
}
