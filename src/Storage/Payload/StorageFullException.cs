namespace DittoFs.Storage.Payload;

/// <summary>A payload store ran out of space (ENOSPC / EDQUOT); the filesystem reports NoSpace.</summary>
public sealed class StorageFullException(string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>True if an IOException means the disk or quota is full.</summary>
    public static bool IsDiskFull(IOException e)
    {
        int code = e.HResult;
        // Unix: .NET puts errno in HResult (ENOSPC 28, EDQUOT 122); Windows: ERROR_HANDLE_DISK_FULL 39 / ERROR_DISK_FULL 112.
        return code is 28 or 122 || (code & 0xFFFF) is 39 or 112 && (uint)code >> 16 == 0x8007;
    }
}
