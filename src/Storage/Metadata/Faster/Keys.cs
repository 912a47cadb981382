using System.Buffers.Binary;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// KV key layout: one tag byte then big-endian numbers (and raw name bytes).
/// Keys are written into caller-provided (usually stackalloc) spans so point
/// operations do not allocate.
/// </summary>
internal static class Keys
{
    public const byte InodeTag = 1;
    public const byte EntryTag = 2;
    public const byte PageTag = 3;
    public const byte SymlinkTag = 4;
    public const byte VolumeTag = 5;
    public const byte SuperblockTag = 6;
    /// <summary>[7][inode][block] → BlockRecord: the block map, one fixed-size value per block (updated in place).</summary>
    public const byte BlockTag = 7;
    /// <summary>[8][inode] → one past the highest block recorded, so a drop visits only blocks that may exist.</summary>
    public const byte BlockExtentTag = 8;
    /// <summary>[9][segment] → SegmentRecord: live and total bytes of a segment object of packed blocks.</summary>
    public const byte SegmentTag = 9;
    /// <summary>[10][inode] → the inode's extended attributes, all in one value (<see cref="Xattrs"/>' encoding).</summary>
    public const byte XattrsTag = 10;

    // Single values under the superblock tag, told apart by a second byte.
    public const byte FilesystemIdSlot = 1;
    public const byte MaxBlockVersionSlot = 2;
    // 7-15: the block map, filesystem id and extended attributes.
    /// <summary>One directory entry by position: (dir, cookie) → [inode:8][name]. Replaces PageTag (layout 2).</summary>
    public const byte SlotTag = 16;
    /// <summary>Which cookies of one directory page hold an entry: (dir, page) → one bit per cookie.</summary>
    public const byte BitmapTag = 17;
    /// <summary>The directory layout the store is in (absent: 1, pages of entries; 2: slots and bitmaps).</summary>
    public const byte LayoutTag = 18;

    public const int InodeKeySize = 9;
    public const int PageKeySize = 17;
    public const int SuperblockKeySize = 1;
    public const int BlockKeySize = 17;
    public const int SlotKeySize = 2;
    /// <summary>Names up to this length get stack-built keys; longer ones use a pooled buffer.</summary>
    public const int MaxStackName = 1024;

    public static Span<byte> Inode(Span<byte> dst, ulong inode) => Tagged(dst, InodeTag, inode);

    public static Span<byte> Symlink(Span<byte> dst, ulong inode) => Tagged(dst, SymlinkTag, inode);

    public static Span<byte> Xattrs(Span<byte> dst, ulong inode) => Tagged(dst, XattrsTag, inode);

    public static Span<byte> Entry(Span<byte> dst, ulong directory, ReadOnlySpan<byte> name)
    {
        dst[0] = EntryTag;
        BinaryPrimitives.WriteUInt64BigEndian(dst[1..], directory);
        name.CopyTo(dst[9..]);
        return dst[..(9 + name.Length)];
    }

    public static Span<byte> Page(Span<byte> dst, ulong directory, ulong page)
    {
        dst[0] = PageTag;
        BinaryPrimitives.WriteUInt64BigEndian(dst[1..], directory);
        BinaryPrimitives.WriteUInt64BigEndian(dst[9..], page);
        return dst[..PageKeySize];
    }

    public static Span<byte> Slot(Span<byte> dst, ulong directory, ulong cookie) => Pair(dst, SlotTag, directory, cookie);

    public static Span<byte> Bitmap(Span<byte> dst, ulong directory, ulong page) => Pair(dst, BitmapTag, directory, page);

    public static Span<byte> Layout(Span<byte> dst)
    {
        dst[0] = LayoutTag;
        return dst[..1];
    }

    private static Span<byte> Pair(Span<byte> dst, byte tag, ulong a, ulong b)
    {
        dst[0] = tag;
        BinaryPrimitives.WriteUInt64BigEndian(dst[1..], a);
        BinaryPrimitives.WriteUInt64BigEndian(dst[9..], b);
        return dst[..PageKeySize];
    }

    public static Span<byte> Volume(Span<byte> dst, ReadOnlySpan<byte> name)
    {
        dst[0] = VolumeTag;
        name.CopyTo(dst[1..]);
        return dst[..(1 + name.Length)];
    }

    public static Span<byte> Superblock(Span<byte> dst)
    {
        dst[0] = SuperblockTag;
        return dst[..1];
    }

    public static Span<byte> Block(Span<byte> dst, ulong inode, ulong block)
    {
        dst[0] = BlockTag;
        BinaryPrimitives.WriteUInt64BigEndian(dst[1..], inode);
        BinaryPrimitives.WriteUInt64BigEndian(dst[9..], block);
        return dst[..BlockKeySize];
    }

    public static Span<byte> BlockExtent(Span<byte> dst, ulong inode) => Tagged(dst, BlockExtentTag, inode);

    public static Span<byte> Segment(Span<byte> dst, ulong segment) => Tagged(dst, SegmentTag, segment);

    /// <summary>A single store-wide value (filesystem id, highest block version).</summary>
    public static Span<byte> Slot(Span<byte> dst, byte slot)
    {
        dst[0] = SuperblockTag;
        dst[1] = slot;
        return dst[..SlotKeySize];
    }

    private static Span<byte> Tagged(Span<byte> dst, byte tag, ulong value)
    {
        dst[0] = tag;
        BinaryPrimitives.WriteUInt64BigEndian(dst[1..], value);
        return dst[..InodeKeySize];
    }
}
