using System.Buffers.Binary;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// A directory is split into pages of cookies [page*P, (page+1)*P); each page is
/// one KV value holding its entries sorted by cookie, packed as
/// <c>[cookie:8][inode:8][nameLength:2][name]</c> (little-endian). Listing walks
/// pages upward from the resume cookie, so READDIR never scans the store and
/// cookies stay stable across restarts.
/// </summary>
internal static class DirectoryPages
{
    private const int EntryHeader = 8 + 8 + 2;

    public static ulong PageOf(ulong cookie, int pageSize) => cookie / (ulong)pageSize;

    /// <summary>The page with (cookie → inode, name) inserted, replacing an entry with the same cookie.</summary>
    public static byte[] With(ReadOnlySpan<byte> page, ulong cookie, ulong inode, ReadOnlySpan<byte> name)
    {
        Locate(page, cookie, out int start, out int end);
        var result = new byte[page.Length - (end - start) + EntryHeader + name.Length];
        page[..start].CopyTo(result);
        var e = result.AsSpan(start);
        BinaryPrimitives.WriteUInt64LittleEndian(e, cookie);
        BinaryPrimitives.WriteUInt64LittleEndian(e[8..], inode);
        BinaryPrimitives.WriteUInt16LittleEndian(e[16..], (ushort)name.Length);
        name.CopyTo(e[EntryHeader..]);
        page[end..].CopyTo(e[(EntryHeader + name.Length)..]);
        return result;
    }

    /// <summary>The page without the entry for cookie (null if absent: nothing to write).</summary>
    public static byte[]? Without(ReadOnlySpan<byte> page, ulong cookie)
    {
        Locate(page, cookie, out int start, out int end);
        if (start == end) return null;
        var result = new byte[page.Length - (end - start)];
        page[..start].CopyTo(result);
        page[end..].CopyTo(result.AsSpan(start));
        return result;
    }

    /// <summary>Appends entries with cookie &gt; afterCookie to <paramref name="into"/> until it holds max.</summary>
    public static void Collect(ReadOnlySpan<byte> page, ulong afterCookie, int max, List<DirEntryRecord> into)
    {
        int pos = 0;
        while (pos < page.Length && into.Count < max)
        {
            ulong cookie = ReadEntry(page, pos, out ulong inode, out var name, out int next);
            if (cookie > afterCookie) into.Add(new DirEntryRecord(cookie, name.ToArray(), inode));
            pos = next;
        }
    }

    // [start, end) is the existing entry for cookie, or an empty range at its sorted insertion point.
    private static void Locate(ReadOnlySpan<byte> page, ulong cookie, out int start, out int end)
    {
        int pos = 0;
        while (pos < page.Length)
        {
            ulong c = ReadEntry(page, pos, out _, out _, out int next);
            if (c == cookie) { start = pos; end = next; return; }
            if (c > cookie) break;
            pos = next;
        }
        start = end = pos;
    }

    private static ulong ReadEntry(ReadOnlySpan<byte> page, int pos, out ulong inode, out ReadOnlySpan<byte> name, out int next)
    {
        if (page.Length - pos < EntryHeader) throw new InvalidDataException("Corrupt directory page");
        ulong cookie = BinaryPrimitives.ReadUInt64LittleEndian(page[pos..]);
        inode = BinaryPrimitives.ReadUInt64LittleEndian(page[(pos + 8)..]);
        int len = BinaryPrimitives.ReadUInt16LittleEndian(page[(pos + 16)..]);
        next = pos + EntryHeader + len;
        if (next > page.Length) throw new InvalidDataException("Corrupt directory page");
        name = page.Slice(pos + EntryHeader, len);
        return cookie;
    }
}
