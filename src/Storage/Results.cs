using System.Buffers;

namespace DittoFs.Storage;

/// <summary>A status and, when it is Ok, a value.</summary>
public readonly record struct FsResult<T>(FsStatus Status, T Value)
{
    public bool Ok => Status == FsStatus.Ok;
    public static implicit operator FsResult<T>(FsStatus status) => new(status, default!);
}

public readonly record struct LookupResult(FsStatus Status, FileAttributes File, FileAttributes? Directory);

/// <summary>Result of create / mkdir / symlink / mknod: the new file and the directory's wcc.</summary>
public readonly record struct CreateResult(FsStatus Status, FileAttributes File, WccData Directory);

public readonly record struct RemoveResult(FsStatus Status, WccData Directory);

public readonly record struct RenameResult(FsStatus Status, WccData FromDirectory, WccData ToDirectory);

public readonly record struct LinkResult(FsStatus Status, FileAttributes? File, WccData Directory);

public readonly record struct SetAttrResult(FsStatus Status, WccData File);

public readonly record struct AccessResult(FsStatus Status, AccessMask Granted, FileAttributes? File);

public readonly record struct ReadLinkResult(FsStatus Status, byte[] Target, FileAttributes? File);

/// <summary><paramref name="Count"/> bytes were copied to the caller's buffer.</summary>
public readonly record struct ReadResult(FsStatus Status, int Count, bool Eof, FileAttributes? File);

public enum StableHow : byte { Unstable = 0, DataSync = 1, FileSync = 2 }

public readonly record struct WriteResult(FsStatus Status, int Count, StableHow Committed, WccData File);

public readonly record struct CommitResult(FsStatus Status, WccData File);

/// <summary>CLONE / COPY: bytes done (<see cref="Shared"/> of them by naming the source's objects, the rest copied) and the destination's wcc.</summary>
public readonly record struct CloneResult(FsStatus Status, ulong Count, ulong Shared, WccData File)
{
    public ulong Copied => Count - Shared;
}

/// <summary>One directory entry. Cookies are stable: a cookie handed out stays valid while entries come and go and across restarts.</summary>
public readonly record struct DirEntry(ulong Cookie, byte[] Name, FileId File);

/// <summary>
/// Entries after the requested cookie, in cookie order. <paramref name="Verifier"/>
/// identifies the directory's incarnation for the cookies (NFS cookieverf).
/// </summary>
public readonly record struct ReadDirResult(FsStatus Status, IReadOnlyList<DirEntry> Entries, bool Eof, ulong Verifier, FileAttributes? Directory);

public readonly record struct FsStats(ulong TotalBytes, ulong FreeBytes, ulong AvailableBytes, ulong TotalFiles, ulong FreeFiles, ulong AvailableFiles);

/// <summary>How CREATE treats an existing name (NFSv3 createmode3 / NFSv4 createmode4).</summary>
public enum CreateMode : byte { Unchecked, Guarded, Exclusive }

/// <summary>What to create in a directory.</summary>
public readonly record struct CreateRequest
{
    public FileType Type { get; init; }
    public CreateMode Mode { get; init; }
    /// <summary>Initial attributes (mode, uid, gid, size for regular files, times); unset → from the caller and 0777 &amp; ~0 for dirs / 0666 for files per the protocol's choice.</summary>
    public SetAttributes Attributes { get; init; }
    /// <summary>Exclusive create: stored with the file so a retried create with the same verifier succeeds.</summary>
    public ulong Verifier { get; init; }
    /// <summary>Symlink target bytes.</summary>
    public ReadOnlyMemory<byte> LinkTarget { get; init; }
    public uint RdevMajor { get; init; }
    public uint RdevMinor { get; init; }
}

public static class FsLimits
{
    public const int MaxNameLength = 255;
    public const int MaxPathLength = 4096;
    /// <summary>2^63-1: the largest offset POSIX off_t allows.</summary>
    public const ulong MaxFileSize = long.MaxValue;
    public const uint MaxLinkCount = 65000;
}
