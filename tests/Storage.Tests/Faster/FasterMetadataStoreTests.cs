using System.Text;
using DittoFs.Storage.Metadata;
using Xunit;
using Xunit.Abstractions;
using static DittoFs.Storage.Tests.Faster.Ops;

namespace DittoFs.Storage.Tests.Faster;

public sealed class FasterMetadataStoreTests(ITestOutputHelper output) : IDisposable
{
    private readonly FasterTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task PutAndGet_AllRecordKinds()
    {
        await using var store = await _dir.OpenAsync();
        ulong dir = store.AllocateInode(), file = store.AllocateInode(), link = store.AllocateInode();
        Assert.True(file > dir && link > file);

        var fileRec = File(file, size: 12345);
        fileRec.SetMtime(new Timestamp(1_700_000_000, 42));
        long pos = await store.ApplyAsync([
            MetadataOp.PutInode(Dir(dir, nextCookie: 5, entries: 2)),
            MetadataOp.PutInode(fileRec),
            MetadataOp.PutEntry(dir, N("a.txt"), file, 3),
            MetadataOp.PutInode(File(link) with { Type = FileType.Symlink }),
            MetadataOp.PutSymlink(link, N("../target")),
            MetadataOp.PutEntry(dir, N("ln"), link, 4),
            MetadataOp.PutVolume(N("vol"), 9, dir),
        ]);
        await store.WaitDurableAsync(pos);

        Assert.Equal(fileRec, await store.GetInodeAsync(file));
        Assert.Equal(new EntryRecord(file, 3), await store.GetEntryAsync(dir, N("a.txt")));
        Assert.Equal(new EntryRecord(link, 4), await store.GetEntryAsync(dir, N("ln")));
        Assert.Equal("../target", Encoding.UTF8.GetString((await store.GetSymlinkAsync(link))!));
        Assert.Equal(new VolumeRecord(9, dir), await store.GetVolumeAsync(N("vol")));

        Assert.Null(await store.GetInodeAsync(999_999));
        Assert.Null(await store.GetEntryAsync(dir, N("missing")));
        Assert.Null(await store.GetEntryAsync(file, N("a.txt")));
        Assert.Null(await store.GetSymlinkAsync(file));
        Assert.Null(await store.GetVolumeAsync(N("other")));

        var list = await store.ListEntriesAsync(dir, 0, 10);
        Assert.Equal([(3ul, "a.txt", file), (4ul, "ln", link)], list.Select(e => (e.Cookie, Encoding.UTF8.GetString(e.Name), e.Inode)));
    }

    [Fact]
    public async Task Deletes_RemoveInodeSymlinkAndEntry()
    {
        await using var store = await _dir.OpenAsync();
        ulong dir = store.AllocateInode(), link = store.AllocateInode();
        await store.ApplyAsync([
            MetadataOp.PutInode(Dir(dir, nextCookie: 4, entries: 1)),
            MetadataOp.PutInode(File(link) with { Type = FileType.Symlink }),
            MetadataOp.PutSymlink(link, N("t")),
            MetadataOp.PutEntry(dir, N("ln"), link, 3),
        ]);
        await store.ApplyAsync([
            MetadataOp.DeleteEntry(dir, N("ln"), 3),
            MetadataOp.DeleteInode(link),
            MetadataOp.PutInode(Dir(dir, nextCookie: 4, entries: 0)),
        ]);

        Assert.Null(await store.GetInodeAsync(link));
        Assert.Null(await store.GetSymlinkAsync(link));
        Assert.Null(await store.GetEntryAsync(dir, N("ln")));
        Assert.Empty(await store.ListEntriesAsync(dir, 0, 100));
        Assert.NotNull(await store.GetInodeAsync(dir));
    }

    [Fact]
    public async Task PutEntry_RebindingNameToNewCookie_ListsOnlyTheNewCookie()
    {
        await using var store = await _dir.OpenAsync();
        ulong dir = store.AllocateInode(), a = store.AllocateInode(), b = store.AllocateInode();
        await store.ApplyAsync([MetadataOp.PutInode(Dir(dir, 4)), MetadataOp.PutEntry(dir, N("x"), a, 3)]);
        // Single-op batch (unbuffered page path) replacing x with a new cookie on another page.
        await store.ApplyAsync([MetadataOp.PutInode(Dir(dir, 301))]);
        await store.ApplyAsync([MetadataOp.PutEntry(dir, N("x"), b, 300)]);

        var list = await store.ListEntriesAsync(dir, 0, 100);
        Assert.Equal([(300ul, b)], list.Select(e => (e.Cookie, e.Inode)));
        Assert.Equal(new EntryRecord(b, 300), await store.GetEntryAsync(dir, N("x")));
    }

    [Theory]
    [InlineData(5_000, 100, 1)]
    [InlineData(5_000, 37, 500)]
    public async Task ListEntries_PagesThroughLargeDirectory(int count, int max, int batch)
    {
        await using var store = await _dir.OpenAsync();
        ulong dir = store.AllocateInode();
        var expected = await FillDirectoryAsync(store, dir, count, batch, deleteEvery: 7);
        var listed = await ListAllAsync(store, dir, max);
        AssertListing(expected, listed);
    }

    [Fact]
    public async Task ListEntries_100kEntries_CompleteAndOrdered()
    {
        await using var store = await _dir.OpenAsync();
        ulong dir = store.AllocateInode();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var expected = await FillDirectoryAsync(store, dir, 100_000, batch: 1000, deleteEvery: 11);
        var fill = sw.Elapsed;
        sw.Restart();
        var listed = await ListAllAsync(store, dir, 1000);
        var list = sw.Elapsed;
        AssertListing(expected, listed);
        // Resuming from the middle returns exactly the tail.
        ulong mid = listed[listed.Count / 2].Cookie;
        var tail = await store.ListEntriesAsync(dir, mid, 10);
        Assert.Equal(listed.Skip(listed.Count / 2 + 1).Take(10).Select(e => e.Cookie), tail.Select(e => e.Cookie));
        output.WriteLine($"100k directory: fill {fill.TotalMilliseconds:F0} ms, full listing {list.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task ListEntries_DoesNotWalkPastNextCookie()
    {
        await using var store = await _dir.OpenAsync();
        ulong dir = store.AllocateInode();
        await store.ApplyAsync([MetadataOp.PutInode(Dir(dir, 10)), MetadataOp.PutEntry(dir, N("a"), 77, 3)]);
        Assert.Single(await store.ListEntriesAsync(dir, 0, 100));
        Assert.Empty(await store.ListEntriesAsync(dir, 3, 100));
        Assert.Empty(await store.ListEntriesAsync(dir, 1_000_000, 100));
        Assert.Empty(await store.ListEntriesAsync(12345, 0, 100)); // no such directory
    }

    internal static async Task<SortedDictionary<ulong, (string Name, ulong Inode)>> FillDirectoryAsync(
        IMetadataStore store, ulong dir, int count, int batch, int deleteEvery)
    {
        var expected = new SortedDictionary<ulong, (string, ulong)>();
        ulong cookie = InodeRecord.FirstCookie;
        var ops = new List<MetadataOp>();
        for (int i = 0; i < count; i++)
        {
            ulong inode = 1_000_000 + (ulong)i;
            string name = $"file-{i:D6}";
            ops.Add(MetadataOp.PutEntry(dir, N(name), inode, cookie));
            expected[cookie] = (name, inode);
            cookie++;
            if (ops.Count >= batch || i == count - 1)
            {
                ops.Add(MetadataOp.PutInode(Dir(dir, cookie, (ulong)expected.Count)));
                await store.ApplyAsync([.. ops]);
                ops.Clear();
            }
        }
        // Scattered deletes, in batches too.
        foreach (var c in expected.Keys.Where((_, i) => i % deleteEvery == 3).ToList())
        {
            ops.Add(MetadataOp.DeleteEntry(dir, N(expected[c].Item1), c));
            expected.Remove(c);
            if (ops.Count >= batch) { await store.ApplyAsync([.. ops]); ops.Clear(); }
        }
        if (ops.Count > 0) await store.ApplyAsync([.. ops]);
        return expected;
    }

    internal static async Task<List<DirEntryRecord>> ListAllAsync(IMetadataStore store, ulong dir, int max)
    {
        var all = new List<DirEntryRecord>();
        ulong after = 0;
        while (true)
        {
            var chunk = await store.ListEntriesAsync(dir, after, max);
            Assert.True(chunk.Count <= max);
            if (chunk.Count == 0) return all;
            all.AddRange(chunk);
            after = chunk[^1].Cookie;
        }
    }

    internal static void AssertListing(SortedDictionary<ulong, (string Name, ulong Inode)> expected, List<DirEntryRecord> listed)
    {
        for (int i = 1; i < listed.Count; i++) Assert.True(listed[i].Cookie > listed[i - 1].Cookie, "cookies must strictly increase");
        Assert.Equal(expected.Count, listed.Count);
        foreach (var e in listed)
        {
            Assert.True(expected.TryGetValue(e.Cookie, out var want), $"unexpected cookie {e.Cookie}");
            Assert.Equal(want.Name, Encoding.UTF8.GetString(e.Name));
            Assert.Equal(want.Inode, e.Inode);
        }
    }
}
