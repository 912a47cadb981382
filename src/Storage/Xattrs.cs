using System.Buffers.Binary;

namespace DittoFs.Storage;

/// <summary>
/// The extended attributes of one inode (RFC 8276), kept by the metadata store as one value: small
/// by design (names at most <see cref="MaxName"/> bytes, values at most <see cref="MaxValue"/>, all of
/// them at most <see cref="MaxTotal"/>), so one point read serves GET and LIST, and one record
/// replaces them all on SET or REMOVE — no log scans, nothing per name to garbage-collect.
///
/// <code>
/// encoding (little-endian): { u16 nameLength | name | u32 valueLength | value }*, names in byte order
/// </code>
/// </summary>
public static class Xattrs
{
    /// <summary>XATTR_NAME_MAX as Linux has it (the "user." prefix not counted: the client strips it).</summary>
    public const int MaxName = 255;

    /// <summary>XATTR_SIZE_MAX as Linux has it.</summary>
    public const int MaxValue = 64 * 1024;

    /// <summary>All names and values of one inode, encoded.</summary>
    public const int MaxTotal = 128 * 1024;

    /// <summary>The attributes in name order (an empty or null value: none).</summary>
    public static SortedList<byte[], byte[]> Decode(byte[]? encoded)
    {
        var list = new SortedList<byte[], byte[]>(ByteOrder.Instance);
        if (encoded is null) return list;
        ReadOnlySpan<byte> r = encoded;
        while (!r.IsEmpty)
        {
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(r);
            byte[] name = r.Slice(2, nameLength).ToArray();
            r = r[(2 + nameLength)..];
            int valueLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(r));
            list[name] = r.Slice(4, valueLength).ToArray();
            r = r[(4 + valueLength)..];
        }
        return list;
    }

    public static int EncodedSize(SortedList<byte[], byte[]> list)
    {
        int size = 0;
        foreach (KeyValuePair<byte[], byte[]> x in list) size += 2 + x.Key.Length + 4 + x.Value.Length;
        return size;
    }

    /// <summary>The store's value; empty when there are none (the store then forgets the record).</summary>
    public static byte[] Encode(SortedList<byte[], byte[]> list)
    {
        var encoded = new byte[EncodedSize(list)];
        Span<byte> w = encoded;
        foreach (KeyValuePair<byte[], byte[]> x in list)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(w, (ushort)x.Key.Length);
            x.Key.CopyTo(w[2..]);
            w = w[(2 + x.Key.Length)..];
            BinaryPrimitives.WriteUInt32LittleEndian(w, (uint)x.Value.Length);
            x.Value.CopyTo(w[4..]);
            w = w[(4 + x.Value.Length)..];
        }
        return encoded;
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}

/// <summary>How SETXATTR treats an existing name (RFC 8276 setxattr_option4; Linux XATTR_CREATE / XATTR_REPLACE).</summary>
public enum XattrSetMode : byte { Either, Create, Replace }

public readonly record struct XattrResult(FsStatus Status, byte[]? Value);

/// <summary>All names of a file's extended attributes, in byte order.</summary>
public readonly record struct XattrListResult(FsStatus Status, IReadOnlyList<byte[]> Names);

/// <summary>A change of a file's extended attributes: the file's attributes before and after (change_info4).</summary>
public readonly record struct XattrChangeResult(FsStatus Status, WccData File);

/// <summary>SEEK: the offset found (or the file size with Eof at the end).</summary>
public readonly record struct SeekResult(FsStatus Status, ulong Offset, bool Eof);

/// <summary>Where a range of a file holds data (everything else in it is a hole, reading as zeros), in offset order.</summary>
public readonly record struct DataRangesResult(FsStatus Status, IReadOnlyList<(ulong Offset, ulong Length)> Data, ulong Size);
