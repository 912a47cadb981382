using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Postgres;
using DittoFs.Storage.Tests.Faster;
using DittoFs.Storage.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>IMetadataStore.ListBlockRangeAsync, the block cache's question for a read of several blocks, on each store.</summary>
public sealed class BlockRangeQueryTests
{
    private static MetadataOp Put(ulong inode, ulong block, ulong version) =>
        MetadataOp.PutBlock(inode, block, new BlockRecord(version, (uint)version * 7, 100 + (int)block, false));

    /// <summary>Blocks 0, 3, 4 and 9 of inode 5 (one file beside it): ranges see exactly theirs, in block order.</summary>
    private static async Task AssertRanges(IMetadataStore store)
    {
        await store.WaitDurableAsync(await store.ApplyAsync([Put(5, 9, 19), Put(5, 3, 13), Put(5, 0, 10), Put(5, 4, 14), Put(6, 2, 22)]));
        async Task<ulong[]> Range(ulong from, ulong to) => [.. (await store.ListBlockRangeAsync(5, from, to)).Select(e => e.Block)];

        Assert.Equal(new ulong[] { 0UL, 3, 4, 9 }, await Range(0, 100));
        Assert.Equal(new ulong[] { 3UL, 4 }, await Range(1, 9)); // the end is exclusive
        Assert.Equal(new ulong[] { 9UL }, await Range(9, 10));
        Assert.Empty(await Range(5, 9)); // all holes
        Assert.Empty(await Range(4, 4));
        Assert.Equal(new ulong[] { 9UL }, await Range(5, ulong.MaxValue));
        Assert.Equal(new BlockRecord(13, 91, 103, false), (await store.ListBlockRangeAsync(5, 3, 4)).Single().Record);
        Assert.Empty(await store.ListBlockRangeAsync(6, 3, 10));
    }

    [Fact]
    public async Task InMemory() => await AssertRanges(new InMemoryMetadataStore());

    [Fact]
    public async Task Faster()
    {
        using var dir = new FasterTempDir();
        await using var store = await dir.OpenAsync();
        await AssertRanges(store);
    }

    [PostgresFact]
    public async Task Postgres()
    {
        await using var store = new PostgresMetadataStore(new PostgresMetadataStoreOptions { ConnectionString = PostgresServer.Shared.CreateDatabase() });
        await store.OpenAsync();
        await AssertRanges(store);
        long before = store.Counters.RoundTrips;
        Assert.Equal(4, (await store.ListBlockRangeAsync(5, 0, 100)).Count);
        Assert.Equal(1, store.Counters.RoundTrips - before); // one query, not one per block
    }
}
