using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// Close-to-open across servers (a shared metadata store): another server's client revalidates its cache
// by the file's change id and mtime, and that server checks its cached blocks by the change id. Both moved
// at the WRITE, when the bytes were still only in this server's cache: a reader through another server
// between the WRITE and the COMMIT got the old bytes under the new attributes. So once a COMMIT (or a
// stable WRITE) made them durable where others read them, the file is touched again. This server's client
// sees it as its own change (the reply's pre-operation attributes are what it holds), and keeps its cache.
public sealed partial class FileSystem
{
    /// <summary>Touches mtime, ctime and the change id of a file written through this server; null if it is gone (or kept changing).</summary>
    private async ValueTask<FileAttributes?> PublishAsync(FileId file)
    {
        (bool found, FileAttributes attributes) = await RetryOnConflictAsync(() => PublishOnceAsync(file), (false, default(FileAttributes))).ConfigureAwait(false);
        return found ? attributes : null;
    }

    private async ValueTask<(bool, FileAttributes)> PublishOnceAsync(FileId file)
    {
        long position;
        InodeRecord updated;
        using (await LockAsync(file.Inode).ConfigureAwait(false))
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status != FsStatus.Ok) return (false, default);
            updated = inode;
            TouchContent(ref updated, Timestamp.Now());
            position = await ApplyAsync([MetadataOp.ExpectChangeId(inode.Inode, inode.ChangeId), MetadataOp.PutInode(updated)]).ConfigureAwait(false);
        }
        await _store.WaitDurableAsync(position).ConfigureAwait(false);
        return (true, ToAttributes(updated));
    }
}
