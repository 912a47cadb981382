using System.Runtime.InteropServices;

namespace DittoFs.Storage.Payload;

/// <summary>
/// fsync of a directory, so a newly created (or removed) file name survives a crash.
/// .NET cannot open a directory as a file handle, hence libc.
/// </summary>
internal static partial class DirectorySync
{
    private const int ENOENT = 2;

    public static void Fsync(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD()) return;
        int fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT) return; // removed meanwhile: nothing to make durable
            throw new IOException($"open({path}) for fsync failed: errno {errno}", errno);
        }
        try
        {
            if (FsyncFd(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fsync({path}) failed: errno {errno}", errno);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncFd(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
