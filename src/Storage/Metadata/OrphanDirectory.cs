using System.Buffers.Binary;

namespace DittoFs.Storage.Metadata;

/// <summary>
/// The orphan list: files unlinked while open (nlink 0, kept until their last close) are entries
/// of a hidden directory that no volume names, so that a crash before the close does not leak
/// them (ext4's orphan list, Lustre's PENDING directory). It is made of the store's ordinary
/// records and ops (PutEntry/DeleteEntry/PutInode), so every <see cref="IMetadataStore"/> keeps
/// it without a new op kind, and it is listed like any directory (pages, no log scan).
/// </summary>
public static class OrphanDirectory
{
    /// <summary>Its inode number: never handed out (inode numbers count up from 1).</summary>
    public const ulong Inode = ulong.MaxValue - 1;

    /// <summary>An orphan's entry name: its inode number, 8 bytes big-endian.</summary>
    public static byte[] NameOf(ulong inode)
    {
        byte[] name = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(name, inode);
        return name;
    }

    /// <summary>The directory's record before its first entry (written with it, deleted with its last).</summary>
    public static InodeRecord Empty => new()
    {
        Inode = Inode,
        Type = FileType.Directory,
        LinkCount = 2,
        Parent = Inode,
        NextCookie = InodeRecord.FirstCookie,
    };
}
