using System.Buffers.Binary;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// Directory layout 2: each entry is its own small record under (dir, cookie), and each page of
/// <c>DirectoryPageSize</c> cookies has a fixed-size occupancy bitmap (one bit per cookie) that an
/// entry's arrival or departure flips in place. A create writes its entry and 16 bytes of bitmap,
/// not the whole page (layout 1 rewrote every page of up to 128 names on each change, about 2 KB
/// per create that compaction then had to reclaim). READDIR walks the bitmaps upward from the
/// resume cookie and reads the entries they mark; cookies stay stable, nothing scans the log.
/// </summary>
public sealed partial class FasterMetadataStore
{
    private const byte CurrentLayout = 2;

    private int BitmapBytes => (PageSize + 7) / 8;

    /// <summary>Adds (cookie → inode, name) to the directory (replacing what the cookie held).</summary>
    private void PutSlot(ulong directory, ulong cookie, ulong inode, ReadOnlySpan<byte> name)
    {
        Span<byte> key = stackalloc byte[Keys.PageKeySize];
        Span<byte> value = stackalloc byte[8 + name.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(value, inode);
        name.CopyTo(value[8..]);
        Kv.Upsert(Keys.Slot(key, directory, cookie), value);
        FlipBit(directory, cookie, on: true);
    }

    /// <summary>Removes the entry at cookie (nothing if absent: replay may repeat it).</summary>
    private void RemoveSlot(ulong directory, ulong cookie)
    {
        Span<byte> key = stackalloc byte[Keys.PageKeySize];
        Kv.Delete(Keys.Slot(key, directory, cookie));
        FlipBit(directory, cookie, on: false);
    }

    // Callers hold the apply lock (or are recovery): read, flip, write back is not racing anyone.
    private void FlipBit(ulong directory, ulong cookie, bool on)
    {
        Span<byte> key = stackalloc byte[Keys.PageKeySize];
        Span<byte> bits = stackalloc byte[BitmapBytes];
        var bitmapKey = Keys.Bitmap(key, directory, DirectoryPages.PageOf(cookie, PageSize));
        int n = Kv.Read(bitmapKey, bits);
        if (n < 0)
        {
            if (!on) return;
            bits.Clear();
        }
        else if (n != bits.Length)
        {
            throw new InvalidDataException($"Corrupt directory bitmap of {directory}");
        }
        int bit = (int)(cookie % (ulong)PageSize);
        byte mask = (byte)(1 << (bit & 7));
        bool set = (bits[bit >> 3] & mask) != 0;
        if (set == on) return;
        bits[bit >> 3] ^= mask;
        // A drained page leaves nothing behind.
        if (bits.IndexOfAnyExcept((byte)0) < 0) Kv.Delete(bitmapKey);
        else Kv.Upsert(bitmapKey, bits); // same size: FASTER updates it in place while it is in memory
    }

    /// <summary>Appends entries with cookie &gt; afterCookie, in cookie order, until <paramref name="into"/> holds max.</summary>
    private void CollectSlots(ulong directory, ulong afterCookie, ulong nextCookie, int max, List<DirEntryRecord> into)
    {
        Span<byte> key = stackalloc byte[Keys.PageKeySize];
        Span<byte> bits = stackalloc byte[BitmapBytes];
        ulong lastPage = DirectoryPages.PageOf(nextCookie - 1, PageSize);
        for (ulong page = DirectoryPages.PageOf(afterCookie + 1, PageSize); page <= lastPage && into.Count < max; page++)
        {
            int n = Kv.Read(Keys.Bitmap(key, directory, page), bits);
            if (n < 0) continue;
            if (n != bits.Length) throw new InvalidDataException($"Corrupt directory bitmap of {directory}");
            for (int bit = 0; bit < PageSize && into.Count < max; bit++)
            {
                if ((bits[bit >> 3] & (1 << (bit & 7))) == 0) continue;
                ulong cookie = page * (ulong)PageSize + (ulong)bit;
                if (cookie <= afterCookie) continue;
                if (Kv.ReadBytes(Keys.Slot(key, directory, cookie)) is not { Length: >= 8 } slot)
                    throw new InvalidDataException($"Directory {directory} marks cookie {cookie} but has no entry there");
                into.Add(new DirEntryRecord(cookie, slot[8..], BinaryPrimitives.ReadUInt64LittleEndian(slot)));
            }
        }
    }

    /// <summary>
    /// Converts a layout-1 store (pages of entries) to slots and bitmaps, before the WAL is
    /// replayed (replay writes layout 2). Idempotent: a crash midway converts the rest next time,
    /// from the same checkpoint. <paramref name="always"/>: convert pages even if the marker says
    /// layout 2 (a restore loads an old store's snapshot into a new store).
    /// </summary>
    internal int MigrateDirectoryPages(bool always)
    {
        Span<byte> key = stackalloc byte[Keys.PageKeySize];
        Span<byte> layout = stackalloc byte[1];
        if (!always && Kv.Read(Keys.Layout(key), layout) == 1 && layout[0] >= CurrentLayout) return 0;
        var pages = new List<(byte[] Key, byte[] Value)>();
        WriteLiveRecords(Kv.Store.Log.TailAddress, (k, v) =>
        {
            if (k.Length == Keys.PageKeySize && k[0] == Keys.PageTag) pages.Add((k.ToArray(), v.ToArray()));
        });
        var entries = new List<DirEntryRecord>();
        foreach (var (pageKey, bytes) in pages)
        {
            ulong directory = BinaryPrimitives.ReadUInt64BigEndian(pageKey.AsSpan(1));
            entries.Clear();
            DirectoryPages.Collect(bytes, 0, int.MaxValue, entries);
            foreach (var e in entries) PutSlot(directory, e.Cookie, e.Inode, e.Name);
            Kv.Delete(pageKey);
        }
        layout[0] = CurrentLayout;
        Kv.Upsert(Keys.Layout(key), layout);
        return pages.Count;
    }
}
