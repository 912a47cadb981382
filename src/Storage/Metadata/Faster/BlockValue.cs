using System.Buffers.Binary;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// A <see cref="BlockRecord"/> as bytes, in the KV and in WAL batches (little-endian):
/// <c>[version:8][crc32c:4][length:4][flags:4]</c>, flags bit 0 = dirty. Fixed size, so an
/// update of a block's record is done in place by FASTER while the record is in memory.
/// </summary>
internal static class BlockValue
{
    private const uint DirtyFlag = 1;

    public static void Write(Span<byte> dst, in BlockRecord record)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dst, record.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[8..], record.Crc);
        BinaryPrimitives.WriteInt32LittleEndian(dst[12..], record.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(dst[16..], record.Dirty ? DirtyFlag : 0);
    }

    public static BlockRecord Read(ReadOnlySpan<byte> src)
    {
        if (src.Length != BlockRecord.Size) throw new InvalidDataException("Corrupt block record");
        return new BlockRecord(
            BinaryPrimitives.ReadUInt64LittleEndian(src),
            BinaryPrimitives.ReadUInt32LittleEndian(src[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(src[12..]),
            (BinaryPrimitives.ReadUInt32LittleEndian(src[16..]) & DirtyFlag) != 0);
    }
}
