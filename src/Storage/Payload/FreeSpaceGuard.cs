namespace DittoFs.Storage.Payload;

/// <summary>
/// Keeps a reserve of free space on a disk: <see cref="HasRoom"/> says whether writing some bytes
/// would leave at least a given reserve. The free space (statvfs) is read again once the bytes
/// written since the last reading could have eaten into the margin, or after a second, so the
/// common case costs no system call. Approximate by design (other writers, races): the reserve
/// is a margin, not an exact quota.
/// </summary>
internal sealed class FreeSpaceGuard(string path)
{
    private readonly Lock _lock = new();
    private long _free = -1;
    private long _spent;
    private long _readAt;

    public bool HasRoom(long bytes, long reserve)
    {
        if (reserve <= 0) return true;
        lock (_lock)
        {
            _spent += bytes;
            long now = Environment.TickCount64;
            if (_free < 0 || _free - _spent < 4 * reserve || now - _readAt > 1000)
            {
                _free = FreeBytes(path) ?? long.MaxValue / 4; // cannot tell: do not refuse
                _spent = bytes;
                _readAt = now;
            }
            return _free - _spent >= reserve;
        }
    }

    /// <summary>Bytes free to this process on the disk holding <paramref name="path"/> (statvfs); null when it cannot be told.</summary>
    public static long? FreeBytes(string path)
    {
        try
        {
            return new DriveInfo(path).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
