using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// Extended attributes (RFC 8276), the "user." namespace as Linux has it (the client strips the prefix):
// on regular files and directories only, read with read permission, changed with write permission
// (xattr_permission in fs/xattr.c). All of a file's attributes are one metadata record (see Xattrs).
public sealed partial class FileSystem
{
    public async ValueTask<XattrResult> GetXattrAsync(Caller caller, FileId file, ReadOnlyMemory<byte> name)
    {
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status == FsStatus.Ok) status = CheckXattrName(name.Span);
            if (status == FsStatus.Ok) status = XattrPermission(caller, inode, Permissions.Read);
            if (status != FsStatus.Ok) return new XattrResult(status, null);
            SortedList<byte[], byte[]> all = Xattrs.Decode(await _store.GetXattrsAsync(inode.Inode).ConfigureAwait(false));
            return all.TryGetValue(name.ToArray(), out byte[]? value) ? new XattrResult(FsStatus.Ok, value) : new XattrResult(FsStatus.NoData, null);
        }
        catch (IOException e)
        {
            return new XattrResult(MapException(e), null);
        }
    }

    /// <summary>All names, in byte order (the protocol pages them: a cookie is a position in this list).</summary>
    public async ValueTask<XattrListResult> ListXattrsAsync(Caller caller, FileId file)
    {
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            if (status == FsStatus.Ok) status = XattrPermission(caller, inode, Permissions.Read);
            if (status == FsStatus.NoData) return new XattrListResult(FsStatus.Ok, []); // nothing on a symlink or device
            if (status != FsStatus.Ok) return new XattrListResult(status, []);
            SortedList<byte[], byte[]> all = Xattrs.Decode(await _store.GetXattrsAsync(inode.Inode).ConfigureAwait(false));
            return new XattrListResult(FsStatus.Ok, [.. all.Keys]);
        }
        catch (IOException e)
        {
            return new XattrListResult(MapException(e), []);
        }
    }

    public ValueTask<XattrChangeResult> SetXattrAsync(Caller caller, FileId file, ReadOnlyMemory<byte> name, ReadOnlyMemory<byte> value, XattrSetMode mode) =>
        RetryOnConflictAsync(() => ChangeXattrOnceAsync(caller, file, name, value, mode, remove: false), new XattrChangeResult(FsStatus.Delay, default));

    public ValueTask<XattrChangeResult> RemoveXattrAsync(Caller caller, FileId file, ReadOnlyMemory<byte> name) =>
        RetryOnConflictAsync(() => ChangeXattrOnceAsync(caller, file, name, default, XattrSetMode.Replace, remove: true), new XattrChangeResult(FsStatus.Delay, default));

    private async ValueTask<XattrChangeResult> ChangeXattrOnceAsync(Caller caller, FileId file, ReadOnlyMemory<byte> name, ReadOnlyMemory<byte> value, XattrSetMode mode, bool remove)
    {
        try
        {
            FsStatus status = CheckXattrName(name.Span);
            if (status == FsStatus.Ok && value.Length > Xattrs.MaxValue) status = FsStatus.TooBig;
            if (status != FsStatus.Ok) return new XattrChangeResult(status, default);
            long position;
            WccData wcc;
            using (await LockAsync(file.Inode).ConfigureAwait(false))
            {
                InodeRecord inode;
                (status, inode) = await LoadAsync(file).ConfigureAwait(false);
                if (status == FsStatus.Ok) status = XattrPermission(caller, inode, Permissions.Write);
                if (status != FsStatus.Ok) return new XattrChangeResult(status == FsStatus.NoData ? FsStatus.NotPermitted : status, default);

                SortedList<byte[], byte[]> all = Xattrs.Decode(await _store.GetXattrsAsync(inode.Inode).ConfigureAwait(false));
                byte[] key = name.ToArray();
                bool exists = all.ContainsKey(key);
                if (mode == XattrSetMode.Create && exists) return new XattrChangeResult(FsStatus.Exists, Unchanged(inode));
                if (mode == XattrSetMode.Replace && !exists) return new XattrChangeResult(FsStatus.NoData, Unchanged(inode));
                if (remove) all.Remove(key);
                else all[key] = value.ToArray();
                if (Xattrs.EncodedSize(all) > Xattrs.MaxTotal) return new XattrChangeResult(FsStatus.TooBig, Unchanged(inode));

                // The attributes changed: ctime and the change id move, as the VFS's setxattr does.
                InodeRecord updated = inode;
                Touch(ref updated, Timestamp.Now());
                position = await ApplyAsync([
                    MetadataOp.ExpectChangeId(inode.Inode, inode.ChangeId),
                    MetadataOp.PutInode(updated),
                    MetadataOp.PutXattrs(inode.Inode, Xattrs.Encode(all)),
                ]).ConfigureAwait(false);
                wcc = Wcc(inode, updated);
            }
            await _store.WaitDurableAsync(position).ConfigureAwait(false);
            return new XattrChangeResult(FsStatus.Ok, wcc);
        }
        catch (IOException e)
        {
            return new XattrChangeResult(MapException(e), default);
        }
    }

    private static FsStatus CheckXattrName(ReadOnlySpan<byte> name) =>
        name.Length == 0 ? FsStatus.Invalid
        : name.Length > Xattrs.MaxName ? FsStatus.NameTooLong
        : name.IndexOf((byte)0) >= 0 ? FsStatus.Invalid
        : FsStatus.Ok;

    /// <summary>
    /// fs/xattr.c xattr_permission for "user.": only regular files and directories have them (elsewhere a
    /// read finds none, NoData, and a change is NotPermitted — the caller maps); in a sticky directory only
    /// its owner changes them; then the mode bits (root passes).
    /// </summary>
    private static FsStatus XattrPermission(in Caller caller, in InodeRecord inode, uint want)
    {
        if (inode.Type is not (FileType.Regular or FileType.Directory)) return FsStatus.NoData;
        if (inode.Type == FileType.Directory && want == Permissions.Write && (inode.Mode & Permissions.Sticky) != 0
            && !Permissions.IsOwnerOrRoot(caller, inode)) return FsStatus.NotPermitted;
        return Permissions.Allows(caller, inode, want) ? FsStatus.Ok : FsStatus.Access;
    }
}
