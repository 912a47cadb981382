using System.Buffers;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>Small blocks packed into segment objects, on the real moto server.</summary>
[Collection(MotoCollection.Name)]
public sealed class SegmentPackingTests(MotoServer moto) : IDisposable
{
    private const int Bs = 64 * 1024;
    private readonly string _directory = CacheTestSupport.TempDirectory();
    private readonly InMemoryMetadataStore _metadata = new();
    private readonly string _bucket = moto.CreateBucket();

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private (CachedPayloadStore Store, CountingObjectStore Objects) Open(Func<BlockCacheOptions, BlockCacheOptions>? tune = null)
    {
        var objects = new CountingObjectStore(CacheTestSupport.ObjectStore(moto.Endpoint, _bucket));
        BlockCacheOptions options = CacheTestSupport.Options(_directory, Bs, 1024, pack: true);
        return (CacheTestSupport.Open(tune?.Invoke(options) ?? options, objects, _metadata), objects);
    }

    private static byte[] Bytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static async Task<byte[]> ReadAll(CachedPayloadStore store, ulong inode, int length)
    {
        byte[] got = new byte[length];
        await store.ReadAsync(inode, 0, got);
        return got;
    }

    private List<string> Segments() => moto.ListKeys(_bucket, "fs/" + ObjectKeys.SegmentPrefix);

    [Fact]
    public async Task ManySmallFilesAreFewPutsAndReadBackByRangeFromACleanCache()
    {
        const int files = 300;
        var contents = new Dictionary<ulong, byte[]>();
        // A batch delay long enough that 300 sequential COMMITs on a loaded machine still share a few segments.
        var (store, objects) = Open(o => o with { SegmentBytes = 1 << 20, SegmentWait = TimeSpan.FromSeconds(1) });
        await using (store)
        {
            for (ulong inode = 100; inode < 100 + files; inode++)
            {
                byte[] data = Bytes(1 + (int)(inode * 37 % 9000), (int)inode);
                contents[inode] = data;
                await store.WriteAsync(inode, 0, new ReadOnlySequence<byte>(data));
                await store.FlushAsync(inode);
            }
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(60)), $"dirty {store.DirtyBlocks}");
            // ~1.3 MiB in 1 MiB segments: a handful of PUTs, not one per file.
            Assert.InRange(objects.DataPuts, 1, 10);
            Assert.Empty(moto.ListBlockKeys(_bucket, "fs/"));
            Assert.InRange(Segments().Count, 1, 10);
        }
        // The cache directory is gone: every byte comes back by ranged GETs of the segments, CRC-checked.
        Directory.Delete(_directory, recursive: true);
        (store, objects) = Open();
        await using (store)
        {
            foreach ((ulong inode, byte[] data) in contents) Assert.Equal(data, await ReadAll(store, inode, data.Length));
            Assert.InRange(objects.Gets, files, files + 1); // one ranged GET per file (and the filesystem id)
            Assert.Equal(0, objects.DataPuts);
        }
    }

    [Fact]
    public async Task AFileDeletedOrOverwrittenBeforeItsUploadIsNeverUploaded()
    {
        var (store, objects) = Open(o => o with { FlushIdle = TimeSpan.FromSeconds(1) });
        await using (store)
        {
            byte[] first = Bytes(5000, 1), second = Bytes(3000, 2);
            await store.WriteAsync(1, 0, new ReadOnlySequence<byte>(first));
            await store.FlushAsync(1);
            await store.DeleteAsync(1);
            await store.WriteAsync(2, 0, new ReadOnlySequence<byte>(first));
            await store.TruncateAsync(2, 0);
            await store.WriteAsync(2, 0, new ReadOnlySequence<byte>(second));
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(1, objects.DataPuts); // one segment, holding file 2's last bytes only
            string segment = Assert.Single(Segments());
            Assert.Equal(second.Length + 32 + 8, await Size(segment)); // its bytes, one index entry, the footer
            Assert.Equal(second, await ReadAll(store, 2, second.Length));
        }
    }

    [Fact]
    public async Task AMostlyDeadSegmentLeftByAnEarlierRunIsCompactedAfterARestart()
    {
        var contents = new Dictionary<ulong, byte[]>();
        string first;
        var (store, _) = Open(o => o with { CompactBelow = 0 }); // this run never compacts
        await using (store)
        {
            for (ulong inode = 1; inode <= 10; inode++)
            {
                contents[inode] = Bytes(4000 + (int)inode, (int)inode);
                await store.WriteAsync(inode, 0, new ReadOnlySequence<byte>(contents[inode]));
                await store.FlushAsync(inode);
            }
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            first = Assert.Single(Segments());
            for (ulong inode = 1; inode <= 6; inode++)
            {
                await store.DeleteAsync(inode);
                contents.Remove(inode);
            }
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(first, Assert.Single(Segments())); // 4 of 10 live, kept as it is
        }
        // The next run (and an empty cache): its start-up sweep finds the segment mostly dead and compacts it.
        Directory.Delete(_directory, recursive: true);
        (store, _) = Open();
        await using (store)
        {
            await store.Sweep;
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            string second = Assert.Single(Segments());
            Assert.NotEqual(first, second);
            foreach ((ulong inode, byte[] data) in contents) Assert.Equal(data, await ReadAll(store, inode, data.Length));
        }
    }

    private async Task<long> Size(string key)
    {
        using var client = moto.Client();
        return (await client.GetObjectMetadataAsync(_bucket, key)).ContentLength;
    }

    [Fact]
    public async Task AMostlyDeadSegmentIsCompactedAndADeadOneDeleted()
    {
        var contents = new Dictionary<ulong, byte[]>();
        var (store, objects) = Open();
        await using (store)
        {
            for (ulong inode = 1; inode <= 10; inode++)
            {
                contents[inode] = Bytes(4000 + (int)inode, (int)inode);
                await store.WriteAsync(inode, 0, new ReadOnlySequence<byte>(contents[inode]));
            }
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            string first = Assert.Single(Segments());

            // 6 of 10 deleted: under half live, so the 4 left move to a new segment and the old one goes.
            for (ulong inode = 1; inode <= 6; inode++)
            {
                await store.DeleteAsync(inode);
                contents.Remove(inode);
            }
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            string second = Assert.Single(Segments());
            Assert.NotEqual(first, second);
            foreach ((ulong inode, byte[] data) in contents) Assert.Equal(data, await ReadAll(store, inode, data.Length));
        }
        Directory.Delete(_directory, recursive: true);
        (store, objects) = Open();
        await using (store)
        {
            foreach ((ulong inode, byte[] data) in contents) Assert.Equal(data, await ReadAll(store, inode, data.Length));
            // Every block gone: the segment has nothing live and is deleted, with its record.
            foreach (ulong inode in contents.Keys) await store.DeleteAsync(inode);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            Assert.Empty(Segments());
        }
    }
}
