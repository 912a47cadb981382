namespace DittoFs.Storage;

/// <summary>Settings of a <see cref="FileSystem"/>.</summary>
public sealed record FileSystemOptions
{
    /// <summary>Owner of a volume's root directory when the volume is created.</summary>
    public uint RootUid { get; init; }
    public uint RootGid { get; init; }
    /// <summary>Permission bits of a new volume's root directory.</summary>
    public uint RootMode { get; init; } = 0x1ED; // 0755

    /// <summary>
    /// Lets a file's owner read, write and truncate it whatever its mode bits say,
    /// as knfsd does for NFSv3 READ/WRITE/SETATTR(size) (NFSD_MAY_OWNER_OVERRIDE):
    /// clients check permission at open(), so e.g. open(O_CREAT|O_WRONLY, 0444) then
    /// write must work. Off = strict mode bits.
    /// </summary>
    public bool OwnerOverride { get; init; }

    /// <summary>Generation stamped on inodes created by this instance; 0 = random.</summary>
    public uint Generation { get; init; }

    /// <summary>Most hard links (and subdirectories) one inode may have; EMLINK beyond. Lower only in tests.</summary>
    public uint MaxLinkCount { get; init; } = FsLimits.MaxLinkCount;

    /// <summary>Where file bytes read and written are counted; null = not measured.</summary>
    public Diagnostics.StorageMetrics? Metrics { get; init; }

    public static FileSystemOptions Default { get; } = new();
}
