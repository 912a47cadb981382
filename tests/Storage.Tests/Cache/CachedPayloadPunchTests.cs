using System.Buffers;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>NFSv4.2 DEALLOCATE on the S3 payload: punched blocks leave the block map in one batch and their objects become garbage; SEEK's data blocks.</summary>
[Collection(MotoCollection.Name)]
public sealed class CachedPayloadPunchTests(MotoServer moto) : IDisposable
{
    private const int Bs = 64 * 1024;
    private readonly string _directory = CacheTestSupport.TempDirectory();
    private readonly Metadata.InMemoryMetadataStore _metadata = new();
    private readonly string _bucket = moto.CreateBucket();

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private List<string> Keys(ulong inode) => moto.ListKeys(_bucket, "fs/" + ObjectKeys.InodePrefix(inode));

    [Fact]
    public async Task PunchDropsTheRangeFromTheMapAndItsObjects_KeepingTheBlocksAround()
    {
        byte[] data = new byte[4 * Bs];
        new Random(7).NextBytes(data);
        await using CachedPayloadStore store = CacheTestSupport.Open(CacheTestSupport.Options(_directory, Bs, 16), CacheTestSupport.ObjectStore(moto.Endpoint, _bucket), _metadata);
        await store.WriteAsync(3, 0, new ReadOnlySequence<byte>(data));
        // Dirty blocks in the cache count as data before any upload.
        Assert.Equal([0UL, 1, 2, 3], await store.ListDataBlocksAsync(3, 0, 10));
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(4, Keys(3).Count);

        await store.PunchAsync(3, 1, 3);
        Assert.Equal([0UL, 3], (await _metadata.ListBlocksAsync(3, 0)).Select(e => e.Block));
        Assert.Equal([0UL, 3], await store.ListDataBlocksAsync(3, 0, 10));
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, Keys(3).Count); // the punched blocks' objects were collected, the others stay

        byte[] got = new byte[4 * Bs];
        await store.ReadAsync(3, 0, got);
        byte[] expected = (byte[])data.Clone();
        Array.Clear(expected, Bs, 2 * Bs);
        Assert.Equal(expected, got);
    }
}
