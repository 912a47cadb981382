using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DittoFs.Storage.Payload;

/// <summary>
/// The two sync calls .NET lacks: fdatasync (RandomAccess.FlushToDisk is a full fsync, which also
/// writes the inode for an mtime change) and syncfs (one call that puts a whole filesystem on disk).
/// </summary>
internal static partial class FileSync
{
    public static void DataSync(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(file);
            return;
        }
        if (Fdatasync(file) != 0) throw Error("fdatasync", Marshal.GetLastPInvokeError());
    }

    /// <summary>syncfs(2) of the filesystem holding <paramref name="path"/> (a directory).</summary>
    public static void SyncFileSystem(string path)
    {
        int fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0) throw Error($"open({path})", Marshal.GetLastPInvokeError());
        try
        {
            if (Syncfs(fd) != 0) throw Error("syncfs", Marshal.GetLastPInvokeError());
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // .NET puts errno in HResult for its own IOExceptions; do the same so ENOSPC is recognised (StorageFullException.IsDiskFull).
    private static IOException Error(string call, int errno) => new($"{call} failed: errno {errno}", errno);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int Syncfs(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
