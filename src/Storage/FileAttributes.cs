namespace DittoFs.Storage;

/// <summary>The attributes of one file, as the protocols report them.</summary>
public readonly record struct FileAttributes
{
    public FileId Id { get; init; }
    public FileType Type { get; init; }
    /// <summary>Permission bits incl. setuid/setgid/sticky (07777), no type bits.</summary>
    public uint Mode { get; init; }
    public uint LinkCount { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public ulong Size { get; init; }
    /// <summary>Bytes of storage used (rounded up to the block size).</summary>
    public ulong SpaceUsed { get; init; }
    public uint RdevMajor { get; init; }
    public uint RdevMinor { get; init; }
    public Timestamp AccessTime { get; init; }
    public Timestamp ModifyTime { get; init; }
    public Timestamp ChangeTime { get; init; }
    public Timestamp BirthTime { get; init; }
    /// <summary>Bumped on every change to data or attributes (NFSv4 change attribute).</summary>
    public ulong ChangeId { get; init; }
    /// <summary>For directories: the parent's inode (the root is its own parent).</summary>
    public ulong ParentInode { get; init; }
}

/// <summary>The few attributes sampled before an operation (NFSv3 wcc_attr).</summary>
public readonly record struct PreOpAttributes(ulong Size, Timestamp ModifyTime, Timestamp ChangeTime);

/// <summary>Weak cache consistency: attributes before and after a change (either may be missing).</summary>
public readonly record struct WccData(PreOpAttributes? Before, FileAttributes? After);
