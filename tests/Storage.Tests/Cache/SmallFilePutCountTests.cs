using System.Buffers;
using System.Diagnostics;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Tests.S3;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>
/// Issue 17's cost target on the real moto server: 10,000 COMMITted 4 KiB files, written by 16
/// clients at once with the production defaults of the cache, cost at least 50x fewer PUTs than
/// one per file, and reach the bucket soon after their COMMIT (the batch waits milliseconds, not
/// the idle time of a single block).
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class SmallFilePutCountTests(MotoServer moto, ITestOutputHelper output) : IDisposable
{
    private const int Files = 10_000;
    private const int FileBytes = 4096;
    private const int Writers = 16;
    private readonly string _directory = CacheTestSupport.TempDirectory();

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private static byte[] Content(ulong inode)
    {
        byte[] data = new byte[FileBytes];
        new Random((int)inode).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task TenThousandSmallFilesCostAtLeastFiftyTimesFewerPutsThanFiles()
    {
        string bucket = moto.CreateBucket();
        var metadata = new InMemoryMetadataStore();
        // Production defaults but for the accounting limit: each small file is charged 64 KiB.
        var options = new BlockCacheOptions { Directory = _directory, SizeBytes = 2L << 30 };
        var objects = new CountingObjectStore(CacheTestSupport.ObjectStore(moto.Endpoint, bucket));
        var clock = Stopwatch.StartNew();
        TimeSpan written, inBucket;
        await using (CachedPayloadStore store = CacheTestSupport.Open(options, objects, metadata))
        {
            int next = 0;
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
            {
                for (int i; (i = Interlocked.Increment(ref next)) <= Files;)
                {
                    ulong inode = 1000 + (ulong)i;
                    await store.WriteAsync(inode, 0, new ReadOnlySequence<byte>(Content(inode)));
                    await store.FlushAsync(inode); // the client's COMMIT: local durability only
                }
            })));
            written = clock.Elapsed;
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(120)), $"dirty {store.DirtyBlocks}");
            inBucket = clock.Elapsed;
        }
        int puts = objects.DataPuts;
        output.WriteLine($"{Files} files of {FileBytes} B: {puts} data PUTs ({(double)Files / Math.Max(1, puts):F0}x fewer than one per file); " +
            $"written+committed in {written.TotalSeconds:F1} s, all in the bucket {inBucket.TotalSeconds:F1} s after the start");
        Assert.InRange(puts, 1, Files / 50);

        // A sample read back from an empty cache: the bytes are the bucket's, by ranged GETs.
        Directory.Delete(_directory, recursive: true);
        await using (CachedPayloadStore cold = CacheTestSupport.Open(options, CacheTestSupport.ObjectStore(moto.Endpoint, bucket), metadata))
        {
            for (ulong inode = 1001; inode <= 1000 + Files; inode += 97)
            {
                byte[] got = new byte[FileBytes];
                await cold.ReadAsync(inode, 0, got);
                Assert.Equal(Content(inode), got);
            }
        }
    }
}
