using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// REMOVE / RMDIR.
public sealed partial class FileSystem
{
    public ValueTask<RemoveResult> RemoveAsync(Caller caller, FileId directory, ReadOnlyMemory<byte> name, bool directoryOnly) =>
        RetryOnConflictAsync(() => RemoveOnceAsync(caller, directory, name, directoryOnly), new RemoveResult(FsStatus.Delay, default));

    private async ValueTask<RemoveResult> RemoveOnceAsync(Caller caller, FileId directory, ReadOnlyMemory<byte> name, bool directoryOnly)
    {
        try
        {
            long position;
            WccData wcc;
            ulong freedPayload = 0;
            // The victim is locked too: what the name names now (checked again under the locks).
            ulong guess = (await _store.GetEntryAsync(directory.Inode, name).ConfigureAwait(false))?.Inode ?? 0;
            using (HeldLocks locks = await LockAsync(ImageLocked(directory.Inode), guess, OrphanLockOf(guess)).ConfigureAwait(false))
            {
                var (status, dir) = await LoadAsync(directory).ConfigureAwait(false);
                if (status != FsStatus.Ok) return new RemoveResult(status, default);
                if (dir.Type != FileType.Directory) return new RemoveResult(FsStatus.NotDirectory, Unchanged(dir));
                status = Names.ValidateEntry(name.Span);
                if (status != FsStatus.Ok) return new RemoveResult(status, Unchanged(dir));
                if (!Permissions.Allows(caller, dir, Permissions.Write | Permissions.Exec)) return new RemoveResult(FsStatus.Access, Unchanged(dir));

                EntryRecord? entry = await _store.GetEntryAsync(dir.Inode, name).ConfigureAwait(false);
                if (entry is not { } e) return new RemoveResult(FsStatus.NotFound, Unchanged(dir));
                ThrowIfMoved(guess, e.Inode);
                InodeRecord? found = await _store.GetInodeAsync(e.Inode).ConfigureAwait(false);
                if (found is not { } victim) return new RemoveResult(await EntryTargetMissingAsync(dir.Inode, name, e.Inode).ConfigureAwait(false), Unchanged(dir));

                if (directoryOnly)
                {
                    if (victim.Type != FileType.Directory) return new RemoveResult(FsStatus.NotDirectory, Unchanged(dir));
                    if (victim.EntryCount > 0) return new RemoveResult(FsStatus.NotEmpty, Unchanged(dir));
                }
                else if (victim.Type == FileType.Directory)
                {
                    return new RemoveResult(FsStatus.IsDirectory, Unchanged(dir));
                }
                if (!Permissions.MayDeleteFromSticky(caller, dir, victim)) return new RemoveResult(FsStatus.NotPermitted, Unchanged(dir));

                Timestamp now = Timestamp.Now();
                InodeRecord before = dir;
                var ops = new List<MetadataOp>(8)
                {
                    MetadataOp.ExpectEntry(dir.Inode, name.ToArray(), e.Inode),
                    MetadataOp.ExpectChangeId(victim.Inode, victim.ChangeId),
                };
                if (victim.Type == FileType.Directory) ops.Add(MetadataOp.ExpectEmpty(victim.Inode));
                ops.Add(MetadataOp.DeleteEntry(dir.Inode, name.ToArray(), e.Cookie));
                freedPayload = Unlink(ref victim, now, ops, out bool orphaned);
                if (orphaned) await ListOrphanAsync(victim.Inode, locks, ops).ConfigureAwait(false);
                if (victim.Type == FileType.Directory) dir.LinkCount--; // its ".." pointed here
                dir.EntryCount--;
                TouchContent(ref dir, now);
                ChangeDirectory(ops, before, dir, _store.IsShared);
                position = await ApplyAsync([.. ops]).ConfigureAwait(false);
                wcc = Wcc(before, dir);
            }
            await _store.WaitDurableAsync(position).ConfigureAwait(false);
            if (freedPayload != 0) await DeletePayloadAsync(freedPayload).ConfigureAwait(false);
            return new RemoveResult(FsStatus.Ok, wcc);
        }
        catch (IOException e)
        {
            return new RemoveResult(MapException(e), default);
        }
    }

    /// <summary>
    /// Drops one name of <paramref name="victim"/> (a directory goes entirely). Adds the inode's
    /// ops and returns the inode whose payload to free once durable (0 = none). A held (open) file
    /// losing its last name stays with nlink 0 until released: <paramref name="orphaned"/>, and the
    /// caller adds it to the orphan list in the same batch.
    /// </summary>
    private ulong Unlink(ref InodeRecord victim, Timestamp now, List<MetadataOp> ops, out bool orphaned)
    {
        orphaned = false;
        if (victim.Type == FileType.Regular && victim.LinkCount <= 1 && _held.ContainsKey(victim.Inode))
        {
            orphaned = victim.LinkCount == 1;
            victim.LinkCount = 0;
            Touch(ref victim, now);
            ops.Add(MetadataOp.PutInode(victim));
            return 0;
        }
        if (victim.Type == FileType.Directory || victim.LinkCount <= 1)
        {
            victim.LinkCount = 0;
            ops.Add(MetadataOp.DeleteInode(victim.Inode));
            return victim.Type == FileType.Regular ? victim.Inode : 0;
        }
        victim.LinkCount--;
        Touch(ref victim, now);
        ops.Add(MetadataOp.PutInode(victim));
        return 0;
    }
}
