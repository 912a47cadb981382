namespace DittoFs.Storage.Metadata;

/// <summary>
/// Where one block of a file lives, as the metadata store records it (the block map).
/// <see cref="Version"/> names the object holding the block's last upload (0 = never uploaded),
/// with its length and CRC-32C. <see cref="Dirty"/>: a newer copy of the block, made durable on the
/// instance's cache disk by a COMMIT, has not been uploaded yet — if that copy is lost, so is the
/// block (it reads as an IO error, never as the older object or as zeros).
/// <see cref="Packed"/>: the block is bytes [Offset, Offset + Length) of segment object
/// <see cref="Version"/> (small blocks are uploaded many to a PUT); segment ids and object versions
/// come from one counter, so they never collide.
/// <see cref="Shared"/> (CLONE, COPY): the block's whole object may be named by several records, so it is
/// the object <c>OriginInode/OriginBlock/Version</c> (whoever uploaded it) and its reference count is a
/// <see cref="SegmentRecord"/> under the same version (<see cref="SegmentRecord.References"/>), changed in
/// the same batch as the records that start or stop naming it; the object goes when the count reaches 0.
/// A packed block needs no flag: its segment's Live bytes already count every record naming its range.
/// </summary>
public readonly record struct BlockRecord(ulong Version, uint Crc, int Length, bool Dirty, bool Packed = false, long Offset = 0,
    bool Shared = false, ulong OriginInode = 0, ulong OriginBlock = 0)
{
    /// <summary>Bytes of an unpacked record as a store keeps it: version, crc, length, flags.</summary>
    public const int Size = 8 + 4 + 4 + 4;

    /// <summary>Bytes of a packed record: an unpacked one plus the offset in its segment.</summary>
    public const int PackedSize = Size + 8;

    /// <summary>Bytes of a shared record: an unpacked one plus the origin inode and block that name its object.</summary>
    public const int SharedSize = Size + 16;

    /// <summary>The most bytes any record takes.</summary>
    public const int MaxSize = SharedSize;

    /// <summary>Bytes of this record as a store keeps it.</summary>
    public int EncodedSize => Packed ? PackedSize : Shared ? SharedSize : Size;
}

/// <summary>One block of a file in the block map.</summary>
public readonly record struct BlockEntry(ulong Block, BlockRecord Record);

/// <summary>
/// A segment object as the metadata store records it: <see cref="Live"/> bytes of it that block
/// records still name, of <see cref="Total"/> block bytes it holds (<see cref="ObjectBytes"/> with
/// its index). Changed in the same batch as the block records that stop naming it; the garbage
/// collector deletes a segment with nothing live and compacts one that is mostly dead.
/// </summary>
public readonly record struct SegmentRecord(long Live, long Total, long ObjectBytes)
{
    public const int Size = 8 + 8 + 8;

    /// <summary>
    /// The reference count of a shared whole-block object (Total 0: not a segment, never compacted),
    /// kept under the object's version (versions and segment ids share one counter, so they never collide).
    /// </summary>
    public static SegmentRecord References(long count) => new(count, 0, 0);

    /// <summary>A shared object's reference count rather than a segment.</summary>
    public bool IsReferenceCount => Total == 0;
}
