using System.Text;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;
using Xunit;
using Xunit.Abstractions;
using static DittoFs.Storage.Tests.Faster.Ops;

namespace DittoFs.Storage.Tests.Faster;

/// <summary>The metadata on disk stays proportional to what exists when files come and go.</summary>
public sealed class FasterCompactionTests(ITestOutputHelper output) : IDisposable
{
    private readonly FasterTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // FASTER deletes truncated log files in the background: one may go between listing and stat.
    private long DiskBytes() => new DirectoryInfo(Path.Combine(_dir.Path, "metadata")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(Length);

    private static long Length(FileInfo file)
    {
        try { return file.Length; }
        catch (FileNotFoundException) { return 0; }
    }

    /// <summary>Creates files one batch each, as CREATE does (inode, entry, directory), returning each file's (name, inode, cookie).</summary>
    private static async Task<List<(byte[] Name, ulong Inode, ulong Cookie)>> CreateAsync(FasterMetadataStore store, InodeRecord dir, int round, int count)
    {
        var made = new List<(byte[], ulong, ulong)>(count);
        var d = dir;
        for (int i = 0; i < count; i++)
        {
            ulong inode = store.AllocateInode();
            ulong cookie = (await store.GetInodeAsync(d.Inode))!.Value.NextCookie;
            byte[] name = Encoding.UTF8.GetBytes($"r{round}-file-{i:d6}");
            d = (await store.GetInodeAsync(d.Inode))!.Value;
            d.NextCookie = cookie + 1;
            d.EntryCount++;
            await store.ApplyAsync([MetadataOp.PutInode(File(inode, (ulong)i)), MetadataOp.PutEntry(d.Inode, name, inode, cookie), MetadataOp.PutInode(d)]);
            made.Add((name, inode, cookie));
        }
        return made;
    }

    private static async Task RemoveAsync(FasterMetadataStore store, ulong dir, IEnumerable<(byte[] Name, ulong Inode, ulong Cookie)> files)
    {
        foreach (var (name, inode, cookie) in files)
        {
            var d = (await store.GetInodeAsync(dir))!.Value;
            d.EntryCount--;
            await store.ApplyAsync([MetadataOp.DeleteEntry(dir, name, cookie), MetadataOp.DeleteInode(inode), MetadataOp.PutInode(d)]);
        }
    }

    [Fact]
    public async Task RoundsOfCreateAndRemove_KeepTheDiskProportionalToWhatExists()
    {
        const int Rounds = 4, Files = 20_000, KeepEvery = 40;
        ulong dirInode;
        var kept = new List<(byte[] Name, ulong Inode, ulong Cookie)>();
        await using (var store = await _dir.OpenAsync(b => b.CompactMinLogBytes = 2L << 20))
        {
            dirInode = store.AllocateInode();
            await store.ApplyAsync([MetadataOp.PutInode(Dir(dirInode))]);
            for (int round = 0; round < Rounds; round++)
            {
                var made = await CreateAsync(store, (await store.GetInodeAsync(dirInode))!.Value, round, Files);
                kept.AddRange(made.Where((_, i) => i % KeepEvery == 0));
                await RemoveAsync(store, dirInode, made.Where((_, i) => i % KeepEvery != 0));
                await store.CheckpointAsync();
                // What exists: `kept` files (an inode, an entry and a share of a directory page each, a few hundred
                // bytes). Allowed: a fixed part (index, one log and one WAL file, memory pages flushed at a
                // checkpoint) plus 2 KB per live file. Without compaction every version of every record stays:
                // about 80 MB per round here.
                long bound = (12L << 20) + 2048L * kept.Count;
                // FASTER deletes the files before the new begin address in the background: wait for it (bounded).
                long disk = DiskBytes();
                for (var waited = System.Diagnostics.Stopwatch.StartNew(); disk > bound && waited.Elapsed < TimeSpan.FromSeconds(30); disk = DiskBytes())
                    await Task.Delay(100);
                output.WriteLine($"round {round}: {kept.Count} files live, {disk / 1024} KiB on disk (bound {bound / 1024} KiB), " +
                    $"log {store.KvLogBytes / 1024} KiB, live ratio {store.LiveRatio:F2}, {store.Compactions} compactions");
                if (disk > bound)
                {
                    foreach (var f in new DirectoryInfo(Path.Combine(_dir.Path, "metadata")).EnumerateFiles("*", SearchOption.AllDirectories))
                        output.WriteLine($"  {Path.GetRelativePath(_dir.Path, f.FullName)} {Length(f)}");
                }
                Assert.True(disk <= bound, $"round {round}: {disk} bytes of metadata on disk for {kept.Count} files (bound {bound})");
            }
            Assert.True(store.Compactions > 0);
            await AssertDirectoryAsync(store, dirInode, kept);
        }
        // And after a restart (recovery from the compacted log).
        await using (var store = await _dir.OpenAsync())
        {
            await AssertDirectoryAsync(store, dirInode, kept);
        }
    }

    private static async Task AssertDirectoryAsync(FasterMetadataStore store, ulong dir, List<(byte[] Name, ulong Inode, ulong Cookie)> kept)
    {
        var listed = new List<DirEntryRecord>();
        ulong after = 0;
        while (true)
        {
            var page = await store.ListEntriesAsync(dir, after, 1000);
            if (page.Count == 0) break;
            listed.AddRange(page);
            after = page[^1].Cookie;
        }
        Assert.Equal(kept.Select(k => (k.Cookie, Convert.ToHexString(k.Name), k.Inode)), listed.Select(e => (e.Cookie, Convert.ToHexString(e.Name), e.Inode)));
        foreach (var (name, inode, cookie) in kept)
        {
            Assert.Equal(new EntryRecord(inode, cookie), await store.GetEntryAsync(dir, name));
            Assert.Equal(inode, (await store.GetInodeAsync(inode))!.Value.Inode);
        }
        Assert.Equal((ulong)kept.Count, (await store.GetInodeAsync(dir))!.Value.EntryCount);
    }
}
