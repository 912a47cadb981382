using System.Text;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;
using Xunit;
using Xunit.Abstractions;
using static DittoFs.Storage.Tests.Faster.Ops;

namespace DittoFs.Storage.Tests.Faster;

/// <summary>Directory layout 2: one record per entry plus in-place page bitmaps; old stores are migrated.</summary>
public sealed class FasterDirectoryLayoutTests(ITestOutputHelper output) : IDisposable
{
    private readonly FasterTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<List<DirEntryRecord>> ListAllAsync(FasterMetadataStore store, ulong dir, int pageSize)
    {
        var listed = new List<DirEntryRecord>();
        ulong after = 0;
        while (true)
        {
            var page = await store.ListEntriesAsync(dir, after, pageSize);
            if (page.Count == 0) return listed;
            listed.AddRange(page);
            after = page[^1].Cookie;
        }
    }

    [Fact]
    public async Task ACreateWritesItsEntry_NotTheWholePage_In100kEntryDirectory()
    {
        const int Files = 100_000;
        // Memory larger than the log: FASTER updates the directory inode and bitmaps in place, as a server would.
        await using var store = await _dir.OpenAsync(b => b.KvMemorySize = 1L << 26);
        ulong dir = store.AllocateInode();
        var d = Dir(dir);
        await store.ApplyAsync([MetadataOp.PutInode(d)]);
        long before = store.KvLogBytes;
        for (int i = 0; i < Files; i++)
        {
            ulong inode = store.AllocateInode();
            ulong cookie = d.NextCookie++;
            d.EntryCount++;
            await store.ApplyAsync([MetadataOp.PutInode(File(inode)), MetadataOp.PutEntry(dir, N($"file-{i:d7}"), inode, cookie), MetadataOp.PutInode(d)]);
        }
        double perCreate = (double)(store.KvLogBytes - before) / Files;
        output.WriteLine($"{Files} creates: {perCreate:F0} log bytes per create");
        // An inode (~190 B), its entry by name and by cookie (~60 B each with 12-char names), record headers:
        // about 400 B. Rewriting a 128-entry page on every create cost ~2,300 B.
        Assert.True(perCreate < 600, $"{perCreate:F0} bytes of log per create");

        var listed = await ListAllAsync(store, dir, 1000);
        Assert.Equal(Files, listed.Count);
        Assert.Equal(Enumerable.Range(0, Files).Select(i => $"file-{i:d7}"), listed.Select(e => Encoding.UTF8.GetString(e.Name)));
        Assert.Equal(Enumerable.Range(0, Files).Select(i => InodeRecord.FirstCookie + (ulong)i), listed.Select(e => e.Cookie));
        // Resuming from any cookie gives the rest, in order (stable cookies).
        var tail = await store.ListEntriesAsync(dir, listed[54_321].Cookie, 5);
        Assert.Equal(listed.Skip(54_322).Take(5).Select(e => e.Cookie), tail.Select(e => e.Cookie));
    }

    [Fact]
    public async Task RemovedAndRenamedEntries_LeaveTheListing_AndDrainedPagesNothing()
    {
        await using var store = await _dir.OpenAsync(b => b.DirectoryPageSize = 16);
        ulong dir = store.AllocateInode();
        var d = Dir(dir);
        await store.ApplyAsync([MetadataOp.PutInode(d)]);
        var names = new Dictionary<ulong, (string Name, ulong Inode)>();
        for (int i = 0; i < 100; i++)
        {
            ulong inode = store.AllocateInode();
            ulong cookie = d.NextCookie++;
            await store.ApplyAsync([MetadataOp.PutEntry(dir, N($"f{i}"), inode, cookie), MetadataOp.PutInode(d)]);
            names[cookie] = ($"f{i}", inode);
        }
        // Remove cookies 3..40 (whole pages 1 and 2 drain), rename f50 to a new cookie.
        foreach (var (cookie, (name, _)) in names.Where(n => n.Key <= 40).ToList())
        {
            await store.ApplyAsync([MetadataOp.DeleteEntry(dir, N(name), cookie)]);
            names.Remove(cookie);
        }
        var f50 = names.Single(n => n.Value.Name == "f50");
        ulong moved = d.NextCookie++;
        await store.ApplyAsync([MetadataOp.PutEntry(dir, N("f50"), f50.Value.Inode, moved), MetadataOp.PutInode(d)]);
        names.Remove(f50.Key);
        names[moved] = f50.Value;

        var listed = await ListAllAsync(store, dir, 7);
        Assert.Equal(names.OrderBy(n => n.Key).Select(n => (n.Key, n.Value.Name, n.Value.Inode)),
            listed.Select(e => (e.Cookie, Encoding.UTF8.GetString(e.Name), e.Inode)));
        Assert.DoesNotContain(store.LiveRecords(), r => r.Key[0] == 17 && r.Key.AsSpan(9).SequenceEqual(new byte[] { 0, 0, 0, 0, 0, 0, 0, 1 }));
    }

    [Fact]
    public async Task ALayout1Store_IsMigratedAtOpen()
    {
        ulong dir;
        var expected = new List<(ulong Cookie, string Name, ulong Inode)>();
        await using (var store = await _dir.OpenAsync())
        {
            // Write what a layout-1 store holds: entries by name, pages of (cookie, inode, name), no layout marker.
            dir = store.AllocateInode();
            var d = Dir(dir, nextCookie: InodeRecord.FirstCookie + 300, entries: 300);
            await store.ApplyAsync([MetadataOp.PutInode(d)]);
            var pages = new Dictionary<ulong, byte[]>();
            for (int i = 0; i < 300; i++)
            {
                ulong cookie = InodeRecord.FirstCookie + (ulong)i, inode = 1000 + (ulong)i;
                byte[] name = N($"old-{i}");
                var entry = new byte[16];
                BitConverter.TryWriteBytes(entry, inode);
                BitConverter.TryWriteBytes(entry.AsSpan(8), cookie);
                store.RestoreRecord([2, .. BigEndian(dir), .. name], entry);
                ulong page = cookie / 128;
                pages[page] = DirectoryPages.With(pages.GetValueOrDefault(page) ?? [], cookie, inode, name);
                expected.Add((cookie, $"old-{i}", inode));
            }
            foreach (var (page, bytes) in pages) store.RestoreRecord([3, .. BigEndian(dir), .. BigEndian(page)], bytes);
            store.RestoreRecord([18], [1]); // as if written before layout 2
            await store.CheckpointAsync();
        }
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(3, store.MigratedPages);
            Assert.Equal(expected, (await ListAllAsync(store, dir, 50)).Select(e => (e.Cookie, Encoding.UTF8.GetString(e.Name), e.Inode)));
            Assert.DoesNotContain(store.LiveRecords(), r => r.Key[0] == 3);
            Assert.Equal(new EntryRecord(1005, InodeRecord.FirstCookie + 5), await store.GetEntryAsync(dir, N("old-5")));
            await store.ApplyAsync([MetadataOp.DeleteEntry(dir, N("old-0"), InodeRecord.FirstCookie)]);
            Assert.Equal(299, (await ListAllAsync(store, dir, 50)).Count);
        }
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(0, store.MigratedPages);
            Assert.Equal(299, (await ListAllAsync(store, dir, 50)).Count);
        }
    }

    private static byte[] BigEndian(ulong value)
    {
        var b = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b, value);
        return b;
    }
}
