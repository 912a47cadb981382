using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

/// <summary>
/// POSIX mode-bit checks as the Linux VFS does them (generic_permission):
/// exactly one class (owner, else group incl. supplementary groups, else other)
/// decides; root bypasses read/write/search but executing a non-directory
/// needs at least one x bit.
/// </summary>
internal static class Permissions
{
    public const uint Read = 4, Write = 2, Exec = 1;
    public const uint SetUid = 0x800, SetGid = 0x400, Sticky = 0x200;
    public const uint GroupExec = 0x8;
    public const uint AnyExec = 0x49;

    /// <summary>True if the caller holds all of <paramref name="want"/> (rwx bits: 4/2/1) on the inode.</summary>
    public static bool Allows(in Caller caller, in InodeRecord inode, uint want)
    {
        if (caller.IsRoot)
        {
            return (want & Exec) == 0 || inode.Type == FileType.Directory || (inode.Mode & AnyExec) != 0;
        }
        uint bits = caller.Uid == inode.Uid ? (inode.Mode >> 6) & 7
            : caller.InGroup(inode.Gid) ? (inode.Mode >> 3) & 7
            : inode.Mode & 7;
        return (bits & want) == want;
    }

    /// <summary>
    /// Reading or writing file data. With <paramref name="ownerOverride"/> the owner
    /// may do so whatever the mode says (knfsd's NFSD_MAY_OWNER_OVERRIDE).
    /// </summary>
    public static bool AllowsData(in Caller caller, in InodeRecord inode, uint want, bool ownerOverride) =>
        (ownerOverride && caller.Uid == inode.Uid) || Allows(caller, inode, want);

    /// <summary>
    /// <paramref name="mode"/> without setuid, and without setgid when it means "executes as the
    /// group" (g+x): what the VFS strips (should_remove_suid) when anyone but root writes,
    /// truncates or changes the owner of a file.
    /// </summary>
    public static uint WithoutPrivileges(uint mode)
    {
        mode &= ~SetUid;
        if ((mode & GroupExec) != 0) mode &= ~SetGid;
        return mode;
    }

    public static bool IsOwnerOrRoot(in Caller caller, in InodeRecord inode) => caller.IsRoot || caller.Uid == inode.Uid;

    /// <summary>Sticky directory: only the file's owner, the directory's owner or root may unlink or rename an entry.</summary>
    public static bool MayDeleteFromSticky(in Caller caller, in InodeRecord directory, in InodeRecord victim) =>
        (directory.Mode & Sticky) == 0 || caller.IsRoot || caller.Uid == victim.Uid || caller.Uid == directory.Uid;

    /// <summary>What ACCESS grants, per the knfsd access maps (nfs3_regaccess / nfs3_diraccess).</summary>
    public static AccessMask Grant(in Caller caller, in InodeRecord inode)
    {
        AccessMask granted = AccessMask.None;
        bool read = Allows(caller, inode, Read);
        bool write = Allows(caller, inode, Write);
        bool exec = Allows(caller, inode, Exec);
        if (read) granted |= AccessMask.Read;
        if (inode.Type == FileType.Directory)
        {
            if (exec) granted |= AccessMask.Lookup;
            if (write && exec) granted |= AccessMask.Modify | AccessMask.Extend | AccessMask.Delete;
        }
        else
        {
            if (exec) granted |= AccessMask.Execute;
            if (write) granted |= AccessMask.Modify | AccessMask.Extend;
        }
        return granted;
    }
}
