namespace DittoFs.Storage;

/// <summary>Object types; the numbers match NFSv3 ftype3 and NFSv4 nfs_ftype4 for the common ones.</summary>
public enum FileType : byte
{
    None = 0,
    Regular = 1,
    Directory = 2,
    BlockDevice = 3,
    CharDevice = 4,
    Symlink = 5,
    Socket = 6,
    Fifo = 7,
}
