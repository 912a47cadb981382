using System.Collections.Concurrent;
using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// Open files that outlive their last name: POSIX keeps an unlinked file while it is open (fstat shows nlink 0).
// Such a file is on the orphan list (FileSystem.Orphans.cs) from its unlink to its release, so a crash
// in between does not leak it.
public sealed partial class FileSystem
{
    // Inodes some protocol state holds open (NFSv4 OPEN); their last unlink keeps the inode with nlink 0.
    private readonly ConcurrentDictionary<ulong, bool> _held = new();

    public void Hold(FileId file) => _held.TryAdd(file.Inode, true);

    public async ValueTask ReleaseAsync(FileId file)
    {
        if (!_held.TryRemove(file.Inode, out _)) return;
        await RetryOnConflictAsync(async () => { await ReleaseOnceAsync(file).ConfigureAwait(false); return true; }, false).ConfigureAwait(false);
    }

    private async ValueTask ReleaseOnceAsync(FileId file)
    {
        try
        {
            long position;
            using (await LockAsync(file.Inode, OrphanDirectory.Inode).ConfigureAwait(false))
            {
                var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
                // Still linked (or already gone): nothing to do.
                if (status != FsStatus.Ok || inode.LinkCount != 0 || inode.Type != FileType.Regular) return;
                // Off the orphan list in the same batch: a crash leaves it either listed or gone.
                var ops = new List<MetadataOp>(4) { MetadataOp.ExpectChangeId(inode.Inode, inode.ChangeId), MetadataOp.DeleteInode(inode.Inode) };
                await UnlistOrphanAsync(inode.Inode, ops).ConfigureAwait(false);
                position = await ApplyAsync([.. ops]).ConfigureAwait(false);
            }
            await _store.WaitDurableAsync(position).ConfigureAwait(false);
            await DeletePayloadAsync(file.Inode).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // An unreachable inode left behind: leaked space, never a wrong answer.
        }
    }
}
