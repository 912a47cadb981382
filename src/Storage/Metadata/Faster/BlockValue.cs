using System.Buffers.Binary;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// A <see cref="BlockRecord"/> as bytes, in the KV and in WAL batches (little-endian):
/// <c>[version:8][crc32c:4][length:4][flags:4]</c>, flags bit 0 = dirty, bit 1 = packed; a packed
/// record has <c>[offset:8]</c> after the flags. Records written before packing existed never
/// have bit 1, so they read as before. Bit 2 = shared (CLONE): <c>[origin inode:8][origin block:8]</c> after the flags.
/// </summary>
internal static class BlockValue
{
    private const uint DirtyFlag = 1;
    private const uint PackedFlag = 2;
    private const uint SharedFlag = 4;

    public static void Write(Span<byte> dst, in BlockRecord record)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dst, record.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[8..], record.Crc);
        BinaryPrimitives.WriteInt32LittleEndian(dst[12..], record.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[16..], (record.Dirty ? DirtyFlag : 0) | (record.Packed ? PackedFlag : 0) | (record.Shared ? SharedFlag : 0));
        if (record.Packed) BinaryPrimitives.WriteInt64LittleEndian(dst[BlockRecord.Size..], record.Offset);
        else if (record.Shared)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(dst[BlockRecord.Size..], record.OriginInode);
            BinaryPrimitives.WriteUInt64LittleEndian(dst[(BlockRecord.Size + 8)..], record.OriginBlock);
        }
    }

    /// <summary>The encoded size of the record that starts <paramref name="src"/> (at least its first <see cref="BlockRecord.Size"/> bytes).</summary>
    public static int SizeOf(ReadOnlySpan<byte> src)
    {
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(src[16..]);
        return (flags & PackedFlag) != 0 ? BlockRecord.PackedSize : (flags & SharedFlag) != 0 ? BlockRecord.SharedSize : BlockRecord.Size;
    }

    public static BlockRecord Read(ReadOnlySpan<byte> src)
    {
        if (src.Length < BlockRecord.Size || src.Length != SizeOf(src)) throw new InvalidDataException("Corrupt block record");
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(src[16..]);
        bool packed = (flags & PackedFlag) != 0;
        bool shared = !packed && (flags & SharedFlag) != 0;
        return new BlockRecord(
            BinaryPrimitives.ReadUInt64LittleEndian(src),
            BinaryPrimitives.ReadUInt32LittleEndian(src[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(src[12..]),
            (flags & DirtyFlag) != 0,
            packed,
            packed ? BinaryPrimitives.ReadInt64LittleEndian(src[BlockRecord.Size..]) : 0,
            shared,
            shared ? BinaryPrimitives.ReadUInt64LittleEndian(src[BlockRecord.Size..]) : 0,
            shared ? BinaryPrimitives.ReadUInt64LittleEndian(src[(BlockRecord.Size + 8)..]) : 0);
    }

    public static void WriteSegment(Span<byte> dst, in SegmentRecord record)
    {
        BinaryPrimitives.WriteInt64LittleEndian(dst, record.Live);
        BinaryPrimitives.WriteInt64LittleEndian(dst[8..], record.Total);
        BinaryPrimitives.WriteInt64LittleEndian(dst[16..], record.ObjectBytes);
    }

    public static SegmentRecord ReadSegment(ReadOnlySpan<byte> src)
    {
        if (src.Length != SegmentRecord.Size) throw new InvalidDataException("Corrupt segment record");
        return new SegmentRecord(
            BinaryPrimitives.ReadInt64LittleEndian(src),
            BinaryPrimitives.ReadInt64LittleEndian(src[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(src[16..]));
    }
}
