using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// CREATE / MKDIR / SYMLINK / MKNOD and LINK.
public sealed partial class FileSystem
{
    private const uint DefaultFileMode = 0x1A4; // 0644
    private const uint DefaultDirMode = 0x1ED;  // 0755
    private const uint SymlinkMode = 0x1FF;     // 0777

    public ValueTask<CreateResult> CreateAsync(Caller caller, FileId directory, ReadOnlyMemory<byte> name, CreateRequest request) =>
        RetryOnConflictAsync(() => CreateOnceAsync(caller, directory, name, request), new CreateResult(FsStatus.Delay, default, default));

    private async ValueTask<CreateResult> CreateOnceAsync(Caller caller, FileId directory, ReadOnlyMemory<byte> name, CreateRequest request)
    {
        try
        {
            long position;
            InodeRecord created;
            WccData wcc;
            FileId truncate;
            // A shared store changes the directory by a delta: nothing to lock (the entry's absence is the batch's precondition).
            using (await LockAsync(ImageLocked(directory.Inode)).ConfigureAwait(false))
            {
                var (status, dir) = await LoadAsync(directory).ConfigureAwait(false);
                if (status != FsStatus.Ok) return new CreateResult(status, default, default);
                if (dir.Type != FileType.Directory) return new CreateResult(FsStatus.NotDirectory, default, Unchanged(dir));
                status = Names.ValidateEntry(name.Span);
                if (status == FsStatus.Ok) status = ValidateCreateRequest(request);
                if (status != FsStatus.Ok) return new CreateResult(status, default, Unchanged(dir));
                if (!Permissions.Allows(caller, dir, Permissions.Write | Permissions.Exec)) return new CreateResult(FsStatus.Access, default, Unchanged(dir));

                EntryRecord? entry = await _store.GetEntryAsync(dir.Inode, name).ConfigureAwait(false);
                if (entry is { } existingEntry)
                {
                    InodeRecord? found = await _store.GetInodeAsync(existingEntry.Inode).ConfigureAwait(false);
                    if (found is not { } existing) return new CreateResult(await EntryTargetMissingAsync(dir.Inode, name, existingEntry.Inode).ConfigureAwait(false), default, Unchanged(dir));
                    status = ExistingOutcome(request, existing, out bool needsTruncate);
                    if (status != FsStatus.Ok || !needsTruncate) return new CreateResult(status, status == FsStatus.Ok ? ToAttributes(existing) : default, Unchanged(dir));
                    truncate = IdOf(existing);
                    wcc = Unchanged(dir);
                    created = default;
                    position = 0;
                }
                else
                {
                    // vfs_mknod: a device file needs CAP_MKNOD, i.e. (unsquashed) root; FIFOs and sockets do not.
                    if (request.Type is FileType.CharDevice or FileType.BlockDevice && !caller.IsRoot) return new CreateResult(FsStatus.NotPermitted, default, Unchanged(dir));
                    if (request.Type == FileType.Directory && dir.LinkCount >= _options.MaxLinkCount) return new CreateResult(FsStatus.TooManyLinks, default, Unchanged(dir));
                    Timestamp now = Timestamp.Now();
                    created = NewChild(caller, dir, request, now);
                    InodeRecord before = dir;
                    // A shared store: the cookie from the leased ids and the directory changed by a delta, so
                    // creators in one directory (on any server) do not conflict on its image.
                    ulong cookie = NextCookie(ref dir);
                    dir.EntryCount++;
                    if (request.Type == FileType.Directory) dir.LinkCount++;
                    TouchContent(ref dir, now);

                    var ops = new List<MetadataOp>(6) { MetadataOp.ExpectEntry(dir.Inode, name.ToArray(), 0), MetadataOp.PutInode(created) };
                    if (request.Type == FileType.Symlink) ops.Add(MetadataOp.PutSymlink(created.Inode, request.LinkTarget.ToArray()));
                    ops.Add(MetadataOp.PutEntry(dir.Inode, name.ToArray(), created.Inode, cookie));
                    ChangeDirectory(ops, before, dir, _store.IsShared);
                    position = await ApplyAsync([.. ops]).ConfigureAwait(false);
                    wcc = Wcc(before, dir);
                    truncate = default;
                }
            }

            if (truncate != default)
            {
                // UNCHECKED create of an existing regular file with size 0: truncate it like SETATTR would (permission checked there).
                SetAttrResult truncated = await SetAttributesAsync(caller, truncate, new SetAttributes { Size = 0 }).ConfigureAwait(false);
                return truncated.Status == FsStatus.Ok
                    ? new CreateResult(FsStatus.Ok, truncated.File.After!.Value, wcc)
                    : new CreateResult(truncated.Status, default, wcc);
            }
            await _store.WaitDurableAsync(position).ConfigureAwait(false);
            return new CreateResult(FsStatus.Ok, ToAttributes(created), wcc);
        }
        catch (IOException e)
        {
            return new CreateResult(MapException(e), default, default);
        }
    }

    private static FsStatus ValidateCreateRequest(in CreateRequest request)
    {
        switch (request.Type)
        {
            case FileType.Regular or FileType.Directory or FileType.BlockDevice or FileType.CharDevice or FileType.Fifo or FileType.Socket:
                break;
            case FileType.Symlink:
                ReadOnlySpan<byte> target = request.LinkTarget.Span;
                if (target.Length == 0 || target.Contains((byte)0)) return FsStatus.Invalid;
                if (target.Length > FsLimits.MaxPathLength) return FsStatus.NameTooLong;
                break;
            default:
                return FsStatus.BadType;
        }
        if (request.Attributes.Size is { } size && request.Type == FileType.Regular && size > FsLimits.MaxFileSize) return FsStatus.FileTooBig;
        return FsStatus.Ok;
    }

    /// <summary>What a create does when the name exists (NFSv3 createmode3 semantics; only regular files are ever "found").</summary>
    private static FsStatus ExistingOutcome(in CreateRequest request, in InodeRecord existing, out bool needsTruncate)
    {
        needsTruncate = false;
        if (request.Type != FileType.Regular || existing.Type != FileType.Regular) return FsStatus.Exists;
        switch (request.Mode)
        {
            case CreateMode.Unchecked:
                needsTruncate = request.Attributes.Size == 0 && existing.Size != 0;
                return FsStatus.Ok;
            case CreateMode.Exclusive:
                // A retransmitted exclusive create finds its own file.
                return request.Verifier != 0 && existing.CreateVerifier == request.Verifier ? FsStatus.Ok : FsStatus.Exists;
            default:
                return FsStatus.Exists;
        }
    }

    /// <summary>The new inode: owner from the caller (or the request, for root), group from a setgid directory, mode from the request.</summary>
    private InodeRecord NewChild(in Caller caller, in InodeRecord dir, in CreateRequest request, Timestamp now)
    {
        SetAttributes attrs = request.Attributes;
        bool setgidDir = (dir.Mode & Permissions.SetGid) != 0;
        uint uid = caller.Uid;
        uint gid = setgidDir ? dir.Gid : caller.Gid;
        if (caller.IsRoot)
        {
            uid = attrs.Uid ?? uid;
            gid = attrs.Gid ?? gid;
        }

        uint mode = request.Type switch
        {
            FileType.Symlink => SymlinkMode,
            FileType.Directory => (attrs.Mode ?? DefaultDirMode) & 0xFFF,
            _ => (attrs.Mode ?? DefaultFileMode) & 0xFFF,
        };
        if (request.Type == FileType.Directory)
        {
            if (setgidDir) mode |= Permissions.SetGid;
        }
        else if ((mode & Permissions.SetGid) != 0 && (mode & Permissions.GroupExec) != 0 && !caller.IsRoot && !caller.InGroup(gid))
        {
            mode &= ~Permissions.SetGid; // inode_init_owner: no setgid into a group the creator is not in
        }

        InodeRecord inode = NewInode(dir.Volume, request.Type, uid, gid, mode, now);
        inode.Parent = request.Type == FileType.Directory ? dir.Inode : 0;
        switch (request.Type)
        {
            case FileType.Regular:
                inode.Size = attrs.Size ?? 0;
                if (request.Mode == CreateMode.Exclusive) inode.CreateVerifier = request.Verifier;
                break;
            case FileType.Symlink:
                inode.Size = (ulong)request.LinkTarget.Length;
                break;
            case FileType.BlockDevice or FileType.CharDevice:
                inode.RdevMajor = request.RdevMajor;
                inode.RdevMinor = request.RdevMinor;
                break;
        }
        if (attrs.AccessTime.How == TimeChange.ClientTime) inode.SetAtime(attrs.AccessTime.Time);
        if (attrs.ModifyTime.How == TimeChange.ClientTime) inode.SetMtime(attrs.ModifyTime.Time);
        return inode;
    }

    public ValueTask<LinkResult> LinkAsync(Caller caller, FileId file, FileId directory, ReadOnlyMemory<byte> name) =>
        RetryOnConflictAsync(() => LinkOnceAsync(caller, file, directory, name), new LinkResult(FsStatus.Delay, null, default));

    private async ValueTask<LinkResult> LinkOnceAsync(Caller caller, FileId file, FileId directory, ReadOnlyMemory<byte> name)
    {
        try
        {
            long position;
            InodeRecord target;
            WccData wcc;
            using (await LockAsync(ImageLocked(directory.Inode), file.Inode).ConfigureAwait(false))
            {
                var (status, linked) = await LoadAsync(file).ConfigureAwait(false);
                if (status != FsStatus.Ok) return new LinkResult(status, null, default);
                (status, InodeRecord dir) = await LoadAsync(directory).ConfigureAwait(false);
                if (status != FsStatus.Ok) return new LinkResult(status, ToAttributes(linked), default);
                if (dir.Type != FileType.Directory) return new LinkResult(FsStatus.NotDirectory, ToAttributes(linked), Unchanged(dir));
                status = Names.ValidateEntry(name.Span);
                if (status != FsStatus.Ok) return new LinkResult(status, ToAttributes(linked), Unchanged(dir));
                if (linked.Type == FileType.Directory) return new LinkResult(FsStatus.IsDirectory, ToAttributes(linked), Unchanged(dir));
                // vfs_link: an open file that lost its last name (on the orphan list) cannot be named again.
                if (linked.LinkCount == 0) return new LinkResult(FsStatus.NotFound, ToAttributes(linked), Unchanged(dir));
                if (linked.Volume != dir.Volume) return new LinkResult(FsStatus.CrossDevice, ToAttributes(linked), Unchanged(dir));
                if (!Permissions.Allows(caller, dir, Permissions.Write | Permissions.Exec)) return new LinkResult(FsStatus.Access, ToAttributes(linked), Unchanged(dir));
                if (await _store.GetEntryAsync(dir.Inode, name).ConfigureAwait(false) is not null) return new LinkResult(FsStatus.Exists, ToAttributes(linked), Unchanged(dir));
                if (linked.LinkCount >= _options.MaxLinkCount) return new LinkResult(FsStatus.TooManyLinks, ToAttributes(linked), Unchanged(dir));

                Timestamp now = Timestamp.Now();
                InodeRecord before = dir;
                ulong linkedChangeId = linked.ChangeId;
                ulong cookie = NextCookie(ref dir);
                dir.EntryCount++;
                TouchContent(ref dir, now);
                linked.LinkCount++;
                Touch(ref linked, now);
                var ops = new List<MetadataOp>(6)
                {
                    MetadataOp.ExpectEntry(dir.Inode, name.ToArray(), 0),
                    MetadataOp.ExpectChangeId(linked.Inode, linkedChangeId),
                    MetadataOp.PutInode(linked),
                    MetadataOp.PutEntry(dir.Inode, name.ToArray(), linked.Inode, cookie),
                };
                ChangeDirectory(ops, before, dir, _store.IsShared);
                position = await ApplyAsync([.. ops]).ConfigureAwait(false);
                target = linked;
                wcc = Wcc(before, dir);
            }
            await _store.WaitDurableAsync(position).ConfigureAwait(false);
            return new LinkResult(FsStatus.Ok, ToAttributes(target), wcc);
        }
        catch (IOException e)
        {
            return new LinkResult(MapException(e), null, default);
        }
    }
}
