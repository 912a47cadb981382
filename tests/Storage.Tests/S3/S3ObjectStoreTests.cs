using DittoFs.Storage.Cache;
using DittoFs.Storage.Payload.S3;
using Xunit;

namespace DittoFs.Storage.Tests.S3;

[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoServer>
{
    public const string Name = "moto";
}

[Collection(MotoCollection.Name)]
public sealed class S3ObjectStoreTests(MotoServer moto)
{
    private S3ObjectStore NewStore(out string bucket, string prefix = "p/")
    {
        bucket = moto.CreateBucket();
        return new S3ObjectStore(new S3ObjectStoreOptions
        {
            Endpoint = moto.Endpoint,
            Region = MotoServer.Region,
            Bucket = bucket,
            Prefix = prefix,
            AccessKey = MotoServer.AccessKey,
            SecretKey = MotoServer.SecretKey,
        });
    }

    [Fact]
    public async Task PutGetRangeListDelete()
    {
        await using S3ObjectStore store = NewStore(out string bucket);
        byte[] data = new byte[1 << 20];
        new Random(1).NextBytes(data);
        await store.PutAsync("a/1", data, Crc32C.Compute(data));
        await store.PutAsync("a/2", data.AsMemory(0, 10), 0);
        await store.PutAsync("b/1", data.AsMemory(5, 100), 0);

        byte[] got = new byte[4096];
        Assert.Equal(4096, await store.GetAsync("a/1", 1000, got));
        Assert.Equal(data.AsSpan(1000, 4096).ToArray(), got);
        Assert.Equal(10, await store.GetAsync("a/2", 0, got));
        Assert.Equal(data.AsSpan(0, 10).ToArray(), got.AsSpan(0, 10).ToArray());

        var listed = new List<ObjectInfo>();
        await foreach (ObjectInfo o in store.ListAsync("a/")) listed.Add(o);
        Assert.Equal([new ObjectInfo("a/1", 1 << 20), new ObjectInfo("a/2", 10)], listed.OrderBy(o => o.Key));
        Assert.Equal(["p/a/1", "p/a/2", "p/b/1"], moto.ListKeys(bucket).Order());

        await store.DeleteAsync(["a/1", "b/1", "missing"]);
        Assert.Equal(["p/a/2"], moto.ListKeys(bucket));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("a/1", 0, got));
    }

    [Fact]
    public async Task ListPagesPastAThousandKeys()
    {
        await using S3ObjectStore store = NewStore(out _);
        var keys = Enumerable.Range(0, 1050).Select(i => $"k/{i:d5}").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (k, ct) => await store.PutAsync(k, new byte[1], 0, ct));
        int count = 0;
        await foreach (ObjectInfo _ in store.ListAsync("k/")) count++;
        Assert.Equal(1050, count);
        await store.DeleteAsync(keys);
        count = 0;
        await foreach (ObjectInfo _ in store.ListAsync("")) count++;
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task UnreachableServerThrowsQuickly()
    {
        using var proxy = new TcpProxy(moto.Port);
        string bucket = moto.CreateBucket();
        await using var store = new S3ObjectStore(new S3ObjectStoreOptions
        {
            Endpoint = proxy.Endpoint,
            Region = MotoServer.Region,
            Bucket = bucket,
            AccessKey = MotoServer.AccessKey,
            SecretKey = MotoServer.SecretKey,
            MaxErrorRetry = 0,
        });
        await store.PutAsync("x", new byte[10], 0);
        proxy.Cut();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<Exception>(() => store.PutAsync("y", new byte[10], 0));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        proxy.Restore();
        await store.PutAsync("y", new byte[10], 0);
        Assert.Equal(["x", "y"], moto.ListKeys(bucket).Order());
    }
}
