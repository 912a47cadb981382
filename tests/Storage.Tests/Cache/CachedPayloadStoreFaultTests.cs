using System.Buffers;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>
/// The block cache in front of a bucket that answers 500 InternalError, 503 SlowDown, or slowly
/// (<see cref="FaultProxy"/> in front of moto): data written and flushed while S3 misbehaves stays
/// readable, the flusher retries until every block is uploaded once S3 heals, and a cold restart reads
/// every byte back from the bucket.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class CachedPayloadStoreFaultTests(MotoServer moto) : IDisposable
{
    private const int Bs = 64 * 1024;
    private readonly string _directory = CacheTestSupport.TempDirectory();
    private readonly Metadata.InMemoryMetadataStore _metadata = new();
    private readonly string _bucket = moto.CreateBucket();
    private readonly FaultProxy _proxy = new(moto.Port);

    public void Dispose()
    {
        _proxy.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private CachedPayloadStore Open(int blocks = 64, TimeSpan? timeout = null)
    {
        var objects = new Payload.S3.S3ObjectStore(new Payload.S3.S3ObjectStoreOptions
        {
            Endpoint = _proxy.Endpoint,
            Region = MotoServer.Region,
            Bucket = _bucket,
            Prefix = "fs/",
            AccessKey = MotoServer.AccessKey,
            SecretKey = MotoServer.SecretKey,
            MaxErrorRetry = 0, // the flusher's own retries are under test
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        });
        return CacheTestSupport.Open(CacheTestSupport.Options(_directory, Bs, blocks), objects, _metadata);
    }

    private static byte[] Random(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private List<string> Keys(ulong inode) => moto.ListKeys(_bucket, "fs/" + ObjectKeys.InodePrefix(inode));

    /// <summary>Reads the whole range, retrying while the store says busy (NFS: JUKEBOX, the client retries).</summary>
    private static async Task<byte[]> ReadAll(CachedPayloadStore store, ulong inode, int length)
    {
        byte[] got = new byte[length];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await store.ReadAsync(inode, 0, got);
                return got;
            }
            catch (StorageBusyException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task WriteAll(CachedPayloadStore store, ulong inode, byte[] data)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        for (int at = 0; at < data.Length;)
        {
            int n = Math.Min(Bs / 2 + 7, data.Length - at);
            try
            {
                await store.WriteAsync(inode, (ulong)at, new ReadOnlySequence<byte>(data, at, n));
                at += n;
            }
            catch (StorageBusyException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
        await store.FlushAsync(inode); // COMMIT: durable in the local cache, whatever S3 does
    }

    [Theory]
    [InlineData(S3Fault.InternalError)]
    [InlineData(S3Fault.SlowDown)]
    public async Task ErrorsUntilHealedLoseNothingAndEverythingUploads(S3Fault fault)
    {
        _proxy.Inject(fault);
        byte[] data = Random(6 * Bs + 321, 1);
        await using (CachedPayloadStore store = Open())
        {
            await WriteAll(store, 1, data);
            await Task.Delay(1500); // the flusher tries (idle 300 ms) and fails
            Assert.True(_proxy.Faulted > 0, "the flusher never tried");
            Assert.Empty(Keys(1));
            Assert.Equal(7, store.DirtyBlocks);
            Assert.Equal(data, await ReadAll(store, 1, data.Length)); // served from the cache meanwhile

            _proxy.Heal();
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)), $"dirty {store.DirtyBlocks}");
            Assert.Equal(7, Keys(1).Count);
        }
        // Cold restart: the cache has no dirty block, every byte comes from the bucket.
        await using (CachedPayloadStore store = Open())
        {
            Assert.Equal(0, store.RecoveredBlocks);
            Assert.Equal(data, await ReadAll(store, 1, data.Length));
        }
    }

    [Fact]
    public async Task ErrorsOnAFractionOfRequestsOnlySlowThingsDown()
    {
        // One request in two fails, also the reads after the restart: retried until done.
        _proxy.Inject(S3Fault.SlowDown, fraction: 0.5);
        byte[] a = Random(5 * Bs + 1, 2), b = Random(3 * Bs, 3);
        await using (CachedPayloadStore store = Open(blocks: 4))
        {
            // A cache of four blocks: the writer is paced by uploads that keep failing half the time.
            await WriteAll(store, 2, a);
            await WriteAll(store, 3, b);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(60)), $"dirty {store.DirtyBlocks}");
            Assert.Equal(6, Keys(2).Count);
            Assert.Equal(3, Keys(3).Count);
            Assert.Equal(a, await ReadAll(store, 2, a.Length)); // mostly from S3, through the faults
        }
        await using (CachedPayloadStore store = Open())
        {
            Assert.Equal(a, await ReadAll(store, 2, a.Length));
            Assert.Equal(b, await ReadAll(store, 3, b.Length));
        }
        Assert.True(_proxy.Faulted > 5, $"faulted {_proxy.Faulted} of {_proxy.Requests}");
    }

    [Fact]
    public async Task SlowAnswersLongerThanTheTimeoutAreRetriedAfterHealing()
    {
        _proxy.Delay = TimeSpan.FromSeconds(3);
        _proxy.Inject(S3Fault.Slow);
        byte[] data = Random(3 * Bs, 4);
        await using (CachedPayloadStore store = Open(timeout: TimeSpan.FromSeconds(1)))
        {
            await WriteAll(store, 4, data);
            await Task.Delay(2500);
            Assert.Equal(3, store.DirtyBlocks); // every upload timed out (a late one may still reach moto: not counted)
            Assert.Equal(data, await ReadAll(store, 4, data.Length));
            _proxy.Heal();
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)), $"dirty {store.DirtyBlocks}");
        }
        // Attempts abandoned on timeout may still have landed late: extra objects no block map
        // references. The start-up sweep deletes them; the blocks read back from the bucket.
        Assert.True(Keys(4).Count >= 3);
        await using (CachedPayloadStore store = Open())
        {
            Assert.Equal(data, await ReadAll(store, 4, data.Length));
            await Task.Delay(3500); // late answers still in the proxy
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        await using (CachedPayloadStore store = Open())
        {
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(data, await ReadAll(store, 4, data.Length));
        }
        Assert.Equal(3, Keys(4).Count);
    }

    [Fact]
    public async Task SlowAnswersWithinTheTimeoutJustTakeLonger()
    {
        _proxy.Delay = TimeSpan.FromSeconds(1);
        _proxy.Inject(S3Fault.Slow);
        byte[] data = Random(4 * Bs, 5);
        await using (CachedPayloadStore store = Open())
        {
            await WriteAll(store, 5, data);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)), $"dirty {store.DirtyBlocks}");
            Assert.Equal(4, Keys(5).Count);
        }
        await using (CachedPayloadStore store = Open())
        {
            Assert.Equal(data, await ReadAll(store, 5, data.Length)); // each block a second late, all correct
        }
        Assert.True(_proxy.Faulted >= 8);
    }
}
