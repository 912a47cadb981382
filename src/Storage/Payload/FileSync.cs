using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DittoFs.Storage.Payload;

/// <summary>
/// The sync calls .NET lacks, through libc: fsync of a directory (so a created or removed name
/// survives a crash; .NET cannot open a directory as a file handle), fdatasync
/// (RandomAccess.FlushToDisk is a full fsync, which also writes the inode for an mtime change) and
/// syncfs (one call that puts a whole filesystem on disk).
/// </summary>
internal static partial class FileSync
{
    private const int ENOENT = 2;

    /// <summary>fsync of a directory; one removed meanwhile has nothing left to make durable.</summary>
    public static void Directory(string path) => OnDirectory(path, "fsync", FsyncFd, missingIsFine: true);

    /// <summary>syncfs(2) of the filesystem holding the directory <paramref name="path"/>.</summary>
    public static void SyncFileSystem(string path) => OnDirectory(path, "syncfs", Syncfs, missingIsFine: false);

    public static void DataSync(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(file);
            return;
        }
        if (Fdatasync(file) != 0) throw Error("fdatasync", Marshal.GetLastPInvokeError());
    }

    private static void OnDirectory(string path, string name, Func<int, int> call, bool missingIsFine)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD()) return;
        int fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT && missingIsFine) return;
            throw Error($"open({path}) for {name}", errno);
        }
        try
        {
            if (call(fd) != 0) throw Error($"{name}({path})", Marshal.GetLastPInvokeError());
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // .NET puts errno in HResult for its own IOExceptions; do the same so ENOSPC is recognised (StorageFullException.IsDiskFull).
    private static IOException Error(string call, int errno) => new($"{call} failed: errno {errno}", errno);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncFd(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int Syncfs(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
