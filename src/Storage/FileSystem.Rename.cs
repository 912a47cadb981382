using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// RENAME: rename(2) semantics, applied as one batch.
public sealed partial class FileSystem
{
    // Bounds the ancestor walk if the parent chain were ever corrupt (a cycle).
    private const int MaxDepth = 1 << 16;

    public ValueTask<RenameResult> RenameAsync(Caller caller, FileId fromDirectory, ReadOnlyMemory<byte> fromName, FileId toDirectory, ReadOnlyMemory<byte> toName) =>
        RetryOnConflictAsync(() => RenameOnceAsync(caller, fromDirectory, fromName, toDirectory, toName), new RenameResult(FsStatus.Delay, default, default));

    private async ValueTask<RenameResult> RenameOnceAsync(Caller caller, FileId fromDirectory, ReadOnlyMemory<byte> fromName, FileId toDirectory, ReadOnlyMemory<byte> toName)
    {
        try
        {
            long position;
            RenameResult result;
            ulong freedPayload = 0;
            // What the names name, read before the locks (and checked again under them): the moved and the
            // replaced inode are locked too. Moving a directory to another parent takes the rename lock first.
            ulong movedGuess = (await _store.GetEntryAsync(fromDirectory.Inode, fromName).ConfigureAwait(false))?.Inode ?? 0;
            ulong replacedGuess = (await _store.GetEntryAsync(toDirectory.Inode, toName).ConfigureAwait(false))?.Inode ?? 0;
            bool sameDirectory = fromDirectory.Inode == toDirectory.Inode;
            bool movesDirectory = !sameDirectory && movedGuess != 0
                && (await _store.GetInodeAsync(movedGuess).ConfigureAwait(false))?.Type == FileType.Directory;
            // A shared store changes the directories by deltas, except when a directory moves to another parent: then the
            // target's image is expected unchanged too (with its ancestors'), so no concurrent move closes a cycle.
            bool byDelta = _store.IsShared && !movesDirectory;
            ulong fromLock = byDelta ? 0 : fromDirectory.Inode, toLock = byDelta ? 0 : toDirectory.Inode;
            using (HeldLocks locks = await LockAsync(fromLock, toLock, movedGuess, replacedGuess, OrphanLockOf(replacedGuess), rename: movesDirectory).ConfigureAwait(false))
            {
                var (status, from) = await LoadAsync(fromDirectory).ConfigureAwait(false);
                if (status != FsStatus.Ok) return new RenameResult(status, default, default);
                (status, InodeRecord to) = await LoadAsync(toDirectory).ConfigureAwait(false);
                if (status != FsStatus.Ok) return new RenameResult(status, Unchanged(from), default);
                RenameResult Fail(FsStatus s) => new(s, Unchanged(from), Unchanged(to));

                if (from.Type != FileType.Directory || to.Type != FileType.Directory) return Fail(FsStatus.NotDirectory);
                status = Names.ValidateEntry(fromName.Span);
                if (status == FsStatus.Ok) status = Names.ValidateEntry(toName.Span);
                if (status != FsStatus.Ok) return Fail(status);
                if (from.Volume != to.Volume) return Fail(FsStatus.CrossDevice);
                if (!Permissions.Allows(caller, from, Permissions.Write | Permissions.Exec)
                    || !Permissions.Allows(caller, to, Permissions.Write | Permissions.Exec)) return Fail(FsStatus.Access);

                EntryRecord? fromEntry = await _store.GetEntryAsync(from.Inode, fromName).ConfigureAwait(false);
                if (fromEntry is not { } source) return Fail(FsStatus.NotFound);
                ThrowIfMoved(movedGuess, source.Inode);
                InodeRecord? foundSource = await _store.GetInodeAsync(source.Inode).ConfigureAwait(false);
                if (foundSource is not { } moved) return Fail(await EntryTargetMissingAsync(from.Inode, fromName, source.Inode).ConfigureAwait(false));
                if (!Permissions.MayDeleteFromSticky(caller, from, moved)) return Fail(FsStatus.NotPermitted);

                bool sameDir = from.Inode == to.Inode;
                if (sameDir && fromName.Span.SequenceEqual(toName.Span)) return Fail(FsStatus.Ok);

                EntryRecord? toEntry = await _store.GetEntryAsync(to.Inode, toName).ConfigureAwait(false);
                ThrowIfMoved(replacedGuess, toEntry?.Inode ?? 0);
                InodeRecord? replaced = null;
                if (toEntry is { } target)
                {
                    // Two names of one file: rename(2) does nothing.
                    if (target.Inode == moved.Inode) return Fail(FsStatus.Ok);
                    InodeRecord? foundTarget = await _store.GetInodeAsync(target.Inode).ConfigureAwait(false);
                    if (foundTarget is not { } victim) return Fail(await EntryTargetMissingAsync(to.Inode, toName, target.Inode).ConfigureAwait(false));
                    if (!Permissions.MayDeleteFromSticky(caller, to, victim)) return Fail(FsStatus.NotPermitted);
                    if (moved.Type == FileType.Directory)
                    {
                        if (victim.Type != FileType.Directory) return Fail(FsStatus.NotDirectory);
                        if (victim.EntryCount > 0) return Fail(FsStatus.NotEmpty);
                    }
                    else if (victim.Type == FileType.Directory)
                    {
                        return Fail(FsStatus.IsDirectory);
                    }
                    replaced = victim;
                }

                // The directories between the target and the root: another server moving one of them at the same
                // time could close a cycle that neither walk saw, so the batch expects each unchanged.
                var ancestors = new List<InodeRecord>();
                if (moved.Type == FileType.Directory && !sameDir)
                {
                    // Moving a directory rewrites its "..": the VFS wants write permission on it.
                    if (!Permissions.Allows(caller, moved, Permissions.Write)) return Fail(FsStatus.Access);
                    status = await CheckNotAncestorAsync(moved.Inode, to, ancestors).ConfigureAwait(false);
                    if (status != FsStatus.Ok) return Fail(status);
                    if (replaced is null && to.LinkCount >= _options.MaxLinkCount) return Fail(FsStatus.TooManyLinks);
                }

                var ops = new List<MetadataOp>(16)
                {
                    MetadataOp.ExpectEntry(from.Inode, fromName.ToArray(), source.Inode),
                    MetadataOp.ExpectEntry(to.Inode, toName.ToArray(), toEntry?.Inode ?? 0),
                    MetadataOp.ExpectChangeId(moved.Inode, moved.ChangeId),
                };
                // Here the rename lock keeps every parent in place; another server's rename takes no lock of ours.
                if (_store.IsShared)
                {
                    foreach (InodeRecord a in ancestors)
                    {
                        if (a.Inode != from.Inode) ops.Add(MetadataOp.ExpectChangeId(a.Inode, a.ChangeId));
                    }
                }
                if (replaced is { } r)
                {
                    ops.Add(MetadataOp.ExpectChangeId(r.Inode, r.ChangeId));
                    if (r.Type == FileType.Directory) ops.Add(MetadataOp.ExpectEmpty(r.Inode));
                }
                var dirs = new InodeRecord[sameDir ? 1 : 2];
                dirs[0] = from;
                if (!sameDir) dirs[1] = to;
                freedPayload = BuildRename(ref dirs[0], ref dirs[sameDir ? 0 : 1], fromName, source.Cookie, toName,
                    toEntry?.Cookie ?? 0, ref moved, replaced, ops, out ulong orphan);
                ChangeDirectory(ops, from, dirs[0], byDelta);
                if (!sameDir) ChangeDirectory(ops, to, dirs[1], byDelta);
                if (orphan != 0) await ListOrphanAsync(orphan, locks, ops).ConfigureAwait(false);
                position = await ApplyAsync([.. ops]).ConfigureAwait(false);
                result = new RenameResult(FsStatus.Ok, Wcc(from, dirs[0]), Wcc(to, dirs[sameDir ? 0 : 1]));
            }
            await _store.WaitDurableAsync(position).ConfigureAwait(false);
            if (freedPayload != 0) await DeletePayloadAsync(freedPayload).ConfigureAwait(false);
            return result;
        }
        catch (IOException e)
        {
            return new RenameResult(MapException(e), default, default);
        }
    }

    /// <summary>Invalid if <paramref name="directory"/> is <paramref name="ancestor"/> or lies below it.</summary>
    private async ValueTask<FsStatus> CheckNotAncestorAsync(ulong ancestor, InodeRecord directory, List<InodeRecord> walked)
    {
        InodeRecord current = directory;
        for (int depth = 0; depth < MaxDepth; depth++)
        {
            if (current.Inode == ancestor) return FsStatus.Invalid;
            if (current.Parent == current.Inode) return FsStatus.Ok; // reached the volume root
            InodeRecord? parent = await _store.GetInodeAsync(current.Parent).ConfigureAwait(false);
            // Gone since we read its child: another writer moved or removed it; start over.
            if (parent is not { } p) throw new MetadataConflictException();
            walked.Add(p);
            current = p;
        }
        return FsStatus.IoError;
    }

    /// <summary>
    /// The rename's entry and inode changes; <paramref name="from"/> and <paramref name="to"/> may be the same
    /// record (same directory). Returns the inode whose payload to free (0 = none); <paramref name="orphan"/>:
    /// a replaced file that is open and lost its last name (the caller lists it as an orphan).
    /// </summary>
    private ulong BuildRename(ref InodeRecord from, ref InodeRecord to, ReadOnlyMemory<byte> fromName, ulong fromCookie,
        ReadOnlyMemory<byte> toName, ulong toCookie, ref InodeRecord moved, InodeRecord? replaced, List<MetadataOp> ops, out ulong orphan)
    {
        orphan = 0;
        Timestamp now = Timestamp.Now();
        bool sameDir = from.Inode == to.Inode;
        ulong freed = 0;

        ops.Add(MetadataOp.DeleteEntry(from.Inode, fromName.ToArray(), fromCookie));
        from.EntryCount--;
        if (replaced is { } r)
        {
            InodeRecord victim = r;
            ops.Add(MetadataOp.DeleteEntry(to.Inode, toName.ToArray(), toCookie));
            to.EntryCount--;
            freed = Unlink(ref victim, now, ops, out bool orphaned);
            if (orphaned) orphan = victim.Inode;
            if (victim.Type == FileType.Directory) to.LinkCount--;
        }

        ulong cookie = NextCookie(ref to);
        ops.Add(MetadataOp.PutEntry(to.Inode, toName.ToArray(), moved.Inode, cookie));
        to.EntryCount++;

        if (moved.Type == FileType.Directory && !sameDir)
        {
            moved.Parent = to.Inode;
            from.LinkCount--;
            to.LinkCount++;
        }
        Touch(ref moved, now);
        ops.Add(MetadataOp.PutInode(moved));

        // The caller adds the directories' changes (images or deltas).
        TouchContent(ref from, now);
        if (!sameDir) TouchContent(ref to, now);
        return freed;
    }
}
