namespace DittoFs.Storage;

/// <summary>
/// Names one file for ever: volume + inode number + generation. Inode numbers
/// are never reused within a volume; the generation guards against a store
/// that is rebuilt. Protocols turn this into an opaque, fixed-size handle.
/// </summary>
public readonly record struct FileId(uint Volume, ulong Inode, uint Generation);
