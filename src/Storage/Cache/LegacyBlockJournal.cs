using System.Buffers.Binary;

namespace DittoFs.Storage.Cache;

/// <summary>
/// The block map's own journal from before the map moved into the metadata store, read once at
/// start-up to migrate it (<see cref="BlockCache"/>): fixed-size records, each protected by a CRC.
/// A State record says which object version holds a block (0 = none) and whether the local block
/// file is newer (dirty); a Drop record forgets an inode's blocks from an index on.
/// <code>
///  0      1       4        12       20         28      32       36       40
///  | kind | flags | inode  | block  | version  | crc   | length | crc32c of [0,36) |
/// </code>
/// </summary>
internal static class LegacyBlockJournal
{
    public const int RecordSize = 40;

    public enum Kind : byte { State = 1, Drop = 2 }

    public readonly record struct Record(Kind Kind, ulong Inode, ulong Block, ulong Version = 0, uint Crc = 0, int Length = 0, bool Dirty = false);

    /// <summary>The records of a journal, up to the first torn or corrupt one.</summary>
    public static List<Record> Load(string path)
    {
        var records = new List<Record>();
        if (!File.Exists(path)) return records;
        byte[] all = File.ReadAllBytes(path);
        for (int at = 0; at + RecordSize <= all.Length; at += RecordSize)
        {
            if (!TryDecode(all.AsSpan(at, RecordSize), out Record r)) break;
            records.Add(r);
        }
        return records;
    }

    internal static void Encode(in Record r, Span<byte> d)
    {
        d.Clear();
        d[0] = (byte)r.Kind;
        d[1] = r.Dirty ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(d[4..], r.Inode);
        BinaryPrimitives.WriteUInt64LittleEndian(d[12..], r.Block);
        BinaryPrimitives.WriteUInt64LittleEndian(d[20..], r.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(d[28..], r.Crc);
        BinaryPrimitives.WriteInt32LittleEndian(d[32..], r.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(d[36..], Crc32C.Compute(d[..36]));
    }

    private static bool TryDecode(ReadOnlySpan<byte> d, out Record r)
    {
        r = default;
        if (BinaryPrimitives.ReadUInt32LittleEndian(d[36..]) != Crc32C.Compute(d[..36])) return false;
        var kind = (Kind)d[0];
        if (kind is not (Kind.State or Kind.Drop)) return false;
        r = new Record(kind,
            BinaryPrimitives.ReadUInt64LittleEndian(d[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(d[12..]),
            BinaryPrimitives.ReadUInt64LittleEndian(d[20..]),
            BinaryPrimitives.ReadUInt32LittleEndian(d[28..]),
            BinaryPrimitives.ReadInt32LittleEndian(d[32..]),
            (d[1] & 1) != 0);
        return true;
    }
}
