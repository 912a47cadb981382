using System.Buffers;
using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// READ / WRITE / COMMIT.
public sealed partial class FileSystem
{
    public async ValueTask<ReadResult> ReadAsync(Caller caller, FileId file, ulong offset, Memory<byte> destination)
    {
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new ReadResult(status, 0, false, null);
            status = DataStatus(inode);
            if (status == FsStatus.Ok && !Permissions.AllowsData(caller, inode, Permissions.Read, _options.OwnerOverride)) status = FsStatus.Access;
            if (status != FsStatus.Ok) return new ReadResult(status, 0, false, ToAttributes(inode));

            if (offset >= inode.Size) return new ReadResult(FsStatus.Ok, 0, true, ToAttributes(inode));
            int count = (int)Math.Min((ulong)destination.Length, inode.Size - offset);
            _payload.Revalidate(inode.Inode, inode.ChangeId);
            if (count > 0) await _payload.ReadAsync(inode.Inode, offset, destination[..count]).ConfigureAwait(false);
            _options.Metrics?.FileRead(count);
            // No atime update: reads never write metadata (noatime).
            return new ReadResult(FsStatus.Ok, count, offset + (ulong)count >= inode.Size, ToAttributes(inode));
        }
        catch (IOException e)
        {
            return new ReadResult(MapException(e), 0, false, null);
        }
    }

    /// <summary>
    /// WRITE takes only its file's stripe, never an inode lock: the stripe orders it against the
    /// file's other writes and size changes (SETATTR), and the batch's ExpectChangeId against anything else
    /// that changed the inode meanwhile (chmod, LINK, RENAME, REMOVE under inode locks): the store refuses the
    /// batch, and only the metadata step is redone on a fresh read (the bytes are written once).
    /// </summary>
    public async ValueTask<WriteResult> WriteAsync(Caller caller, FileId file, ulong offset, ReadOnlySequence<byte> data, StableHow stable)
    {
        try
        {
            ulong length = (ulong)data.Length;
            int stripeIndex = StripeIndexOf(file.Inode);
            SemaphoreSlim stripe = _stripes[stripeIndex];
            long position;
            WccData wcc;
            await stripe.WaitAsync().ConfigureAwait(false);
            try
            {
                var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
                if (status != FsStatus.Ok) return new WriteResult(status, 0, stable, default);
                status = DataStatus(inode);
                if (status == FsStatus.Ok && !Permissions.AllowsData(caller, inode, Permissions.Write, _options.OwnerOverride)) status = FsStatus.Access;
                if (status == FsStatus.Ok && (offset > FsLimits.MaxFileSize || length > FsLimits.MaxFileSize - offset)) status = FsStatus.FileTooBig;
                if (status != FsStatus.Ok) return new WriteResult(status, 0, stable, Unchanged(inode));
                if (length == 0) return new WriteResult(FsStatus.Ok, 0, StableHow.FileSync, Unchanged(inode));

                _payload.Revalidate(inode.Inode, inode.ChangeId); // a partial block write merges with the current copy
                if (_store.IsShared) _unpublished.TryAdd(inode.Inode, 0);
                try
                {
                    await _payload.WriteAsync(inode.Inode, offset, data).ConfigureAwait(false);
                }
                catch (IOException) when (offset + length > inode.Size)
                {
                    await DropPartialWriteAsync(inode.Inode, inode.Size).ConfigureAwait(false);
                    throw;
                }
                _options.Metrics?.FileWritten((long)length);

                // The stripe's batch array: its holder alone uses it, and a store keeps no batch past its
                // ApplyAsync (IMetadataStore), so a steady-state WRITE allocates nothing.
                MetadataOp[] batch = _writeBatches[stripeIndex];
                for (int attempt = 0; ; attempt++)
                {
                    InodeRecord updated = inode;
                    updated.Size = Math.Max(inode.Size, offset + length);
                    // A write by anyone but root strips setuid, and setgid if g+x (the VFS's file_remove_privs).
                    if (!caller.IsRoot) updated.Mode = Permissions.WithoutPrivileges(updated.Mode);
                    TouchContent(ref updated, Timestamp.Now());
                    batch[0] = MetadataOp.ExpectChangeId(inode.Inode, inode.ChangeId);
                    batch[1] = MetadataOp.PutInode(updated);
                    try
                    {
                        position = await TryApplyAsync(batch).ConfigureAwait(false);
                    }
                    finally
                    {
                        Array.Clear(batch);
                    }
                    if (position != MetadataConflict.Position)
                    {
                        wcc = Wcc(inode, updated);
                        break;
                    }
                    // Something else changed the inode (not its size: that needs the stripe we hold): read it again.
                    if (attempt >= MaxConflictRetries) return new WriteResult(FsStatus.Delay, 0, stable, default);
                    await BackOffAsync(attempt).ConfigureAwait(false);
                    (status, inode) = await LoadAsync(file).ConfigureAwait(false);
                    if (status != FsStatus.Ok) return new WriteResult(status, 0, stable, default);
                }
            }
            finally
            {
                stripe.Release();
            }

            if (stable == StableHow.Unstable) return new WriteResult(FsStatus.Ok, (int)length, StableHow.Unstable, wcc);
            await _payload.FlushAsync(file.Inode).ConfigureAwait(false);
            await _store.WaitDurableAsync(position).ConfigureAwait(false);
            if (_unpublished.TryRemove(file.Inode, out _)) wcc = wcc with { After = await PublishAsync(file).ConfigureAwait(false) ?? wcc.After };
            return new WriteResult(FsStatus.Ok, (int)length, StableHow.FileSync, wcc);
        }
        catch (IOException e)
        {
            return new WriteResult(MapException(e), 0, stable, default);
        }
    }

    public async ValueTask<CommitResult> CommitAsync(FileId file, ulong offset, uint count)
    {
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new CommitResult(status, default);
            status = DataStatus(inode);
            if (status != FsStatus.Ok) return new CommitResult(status, Unchanged(inode));
            // The whole file, whatever the range: one fsync round covers it anyway. The data fsync and
            // the WAL commit (sizes, mtimes) run side by side; the reply waits for both. (The WAL never
            // promised to follow the data: any other caller's commit may make a size durable first.)
            ValueTask data = _payload.FlushAsync(inode.Inode);
            try
            {
                await _store.WaitDurableAsync(Volatile.Read(ref _lastPosition)).ConfigureAwait(false);
            }
            finally
            {
                await data.ConfigureAwait(false);
            }
            if (_unpublished.TryRemove(inode.Inode, out _) && await PublishAsync(file).ConfigureAwait(false) is { } published)
            {
                return new CommitResult(FsStatus.Ok, new WccData(PreOp(inode), published));
            }
            return new CommitResult(FsStatus.Ok, Unchanged(inode));
        }
        catch (IOException e)
        {
            return new CommitResult(MapException(e), default);
        }
    }

    /// <summary>
    /// A write past the end that failed part way (disk full, store error) may have left some of its
    /// bytes in the payload beyond the size, where a later extension (a write further on, a SETATTR
    /// size) would expose them instead of zeros: cut the payload back to the size. The size itself
    /// never grew (it changes only after the payload write succeeded). Best effort: shrinking frees
    /// space, so it works on a full disk; if it fails too, the next write there overwrites the bytes.
    /// </summary>
    private async ValueTask DropPartialWriteAsync(ulong inode, ulong size)
    {
        try
        {
            await _payload.TruncateAsync(inode, size).ConfigureAwait(false);
            ForgetSpace(inode);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Data operations apply to regular files only.</summary>
    private static FsStatus DataStatus(in InodeRecord inode) => inode.Type switch
    {
        FileType.Regular => FsStatus.Ok,
        FileType.Directory => FsStatus.IsDirectory,
        _ => FsStatus.Invalid,
    };
}
