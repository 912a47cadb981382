using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// SETATTR: the checks of knfsd's nfsd_setattr + the VFS's setattr_prepare / notify_change.
public sealed partial class FileSystem
{
    public ValueTask<SetAttrResult> SetAttributesAsync(Caller caller, FileId file, SetAttributes attributes, Timestamp? guardChangeTime = null) =>
        RetryOnConflictAsync(() => SetAttributesOnceAsync(caller, file, attributes, guardChangeTime), new SetAttrResult(FsStatus.Delay, default));

    private async ValueTask<SetAttrResult> SetAttributesOnceAsync(Caller caller, FileId file, SetAttributes attributes, Timestamp? guardChangeTime)
    {
        try
        {
            // The file's stripe, not its inode lock: SETATTR changes one inode, ordered against its writes by the
            // stripe and against namespace changes by ExpectChangeId (a conflict reads again).
            SemaphoreSlim stripe = StripeOf(file.Inode);
            await stripe.WaitAsync().ConfigureAwait(false);
            try
            {
                return await SetAttributesLockedAsync(caller, file, attributes, guardChangeTime).ConfigureAwait(false);
            }
            finally
            {
                stripe.Release();
            }
        }
        catch (IOException e)
        {
            return new SetAttrResult(MapException(e), default);
        }
    }

    private async ValueTask<SetAttrResult> SetAttributesLockedAsync(Caller caller, FileId file, SetAttributes attributes, Timestamp? guard)
    {
        var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
        if (status != FsStatus.Ok) return new SetAttrResult(status, default);
        status = PrepareSetAttr(caller, inode, attributes, guard, Timestamp.Now(), out InodeRecord updated);
        if (status != FsStatus.Ok) return new SetAttrResult(status, Unchanged(inode));
        if (attributes.IsEmpty) return new SetAttrResult(FsStatus.Ok, Unchanged(inode));

        // Drop the bytes first: once the smaller size is durable, no stale byte may remain to reappear on extension.
        if (attributes.Size is { } size && size < inode.Size)
        {
            await _payload.TruncateAsync(inode.Inode, size).ConfigureAwait(false);
            ForgetSpace(inode.Inode);
            // Other servers read the bucket: the cut block goes there before the new size tells them to look.
            if (_store.IsShared) await _payload.FlushAsync(inode.Inode).ConfigureAwait(false);
            // Re-read after the payload step: a namespace change may have come in meanwhile.
            (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status != FsStatus.Ok) return new SetAttrResult(status, default);
            status = PrepareSetAttr(caller, inode, attributes, guard, Timestamp.Now(), out updated);
            if (status != FsStatus.Ok) return new SetAttrResult(status, Unchanged(inode));
        }

        long position = await ApplyAsync([MetadataOp.ExpectChangeId(inode.Inode, inode.ChangeId), MetadataOp.PutInode(updated)]).ConfigureAwait(false);
        WccData wcc = Wcc(inode, updated);
        await _store.WaitDurableAsync(position).ConfigureAwait(false);
        return new SetAttrResult(FsStatus.Ok, wcc);
    }

    /// <summary>Checks a SETATTR and computes the new inode image.</summary>
    private FsStatus PrepareSetAttr(in Caller caller, in InodeRecord inode, in SetAttributes a, Timestamp? guard, Timestamp now, out InodeRecord updated)
    {
        updated = inode;
        if (guard is { } g && g != inode.Ctime) return FsStatus.NotSync;
        if (a.IsEmpty) return FsStatus.Ok; // knfsd: nothing to do, not even ctime

        bool ownerOrRoot = Permissions.IsOwnerOrRoot(caller, inode);
        if (a.Size is { } size)
        {
            if (inode.Type == FileType.Directory) return FsStatus.IsDirectory;
            if (inode.Type != FileType.Regular) return FsStatus.Invalid;
            if (size > FsLimits.MaxFileSize) return FsStatus.FileTooBig;
            if (!Permissions.AllowsData(caller, inode, Permissions.Write, _options.OwnerOverride)) return FsStatus.Access;
        }

        // The VFS's chown_ok / chgrp_ok: chown is root only, but the owner may "change" the uid to itself; chgrp is
        // root, or the owner to its current group or one of its groups. A non-owner naming the current values is EPERM too.
        uint uid = a.Uid ?? inode.Uid;
        uint gid = a.Gid ?? inode.Gid;
        bool owner = caller.Uid == inode.Uid;
        if (a.Uid is not null && !caller.IsRoot && !(owner && uid == inode.Uid)) return FsStatus.NotPermitted;
        if (a.Gid is not null && !caller.IsRoot && !(owner && (gid == inode.Gid || caller.InGroup(gid)))) return FsStatus.NotPermitted;

        uint mode = inode.Mode;
        // knfsd ignores mode updates on symlinks.
        if (a.Mode is { } requested && inode.Type != FileType.Symlink)
        {
            if (!ownerOrRoot) return FsStatus.NotPermitted;
            mode = requested & 0xFFF;
            if (!caller.IsRoot && !caller.InGroup(gid)) mode &= ~Permissions.SetGid;
        }

        // Times: an explicit value needs ownership; "now" needs ownership or write permission.
        if (!MayChangeTime(caller, inode, a.AccessTime.How, ownerOrRoot, out FsStatus timeStatus)
            || !MayChangeTime(caller, inode, a.ModifyTime.How, ownerOrRoot, out timeStatus)) return timeStatus;

        // A change of owner or group strips setuid, and setgid when it means "executes as group" (g+x).
        if ((uid != inode.Uid || gid != inode.Gid) && inode.Type != FileType.Directory) mode = Permissions.WithoutPrivileges(mode);

        // So does a size change by anyone but root, even to the same size (do_truncate's
        // dentry_needs_remove_privs), unless this SETATTR sets the mode itself. Size applies to regular files only.
        if (a.Size is not null && a.Mode is null && !caller.IsRoot) mode = Permissions.WithoutPrivileges(mode);

        updated.Uid = uid;
        updated.Gid = gid;
        updated.Mode = mode;
        if (a.Size is { } newSize && newSize != inode.Size)
        {
            updated.Size = newSize;
            updated.SetMtime(now);
        }
        SetTime(ref updated, a.AccessTime, now, atime: true);
        SetTime(ref updated, a.ModifyTime, now, atime: false);
        Touch(ref updated, now);
        return FsStatus.Ok;
    }

    private static bool MayChangeTime(in Caller caller, in InodeRecord inode, TimeChange how, bool ownerOrRoot, out FsStatus status)
    {
        status = FsStatus.Ok;
        if (how == TimeChange.ClientTime && !ownerOrRoot) status = FsStatus.NotPermitted;
        else if (how == TimeChange.ServerTime && !ownerOrRoot && !Permissions.Allows(caller, inode, Permissions.Write)) status = FsStatus.Access;
        return status == FsStatus.Ok;
    }

    private static void SetTime(ref InodeRecord inode, TimeSet set, Timestamp now, bool atime)
    {
        if (set.How == TimeChange.DontChange) return;
        Timestamp t = set.How == TimeChange.ServerTime ? now : set.Time;
        if (atime) inode.SetAtime(t);
        else inode.SetMtime(t);
    }
}
