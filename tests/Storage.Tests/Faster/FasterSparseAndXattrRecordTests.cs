using DittoFs.Storage.Metadata;
using Xunit;

namespace DittoFs.Storage.Tests.Faster;

/// <summary>The NFSv4.2 records in the FASTER store: a punched range of the block map and an inode's xattrs, through the WAL and a crash.</summary>
public sealed class FasterSparseAndXattrRecordTests : IDisposable
{
    private readonly FasterTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static MetadataOp Put(ulong inode, ulong block) => MetadataOp.PutBlock(inode, block, new BlockRecord(100 + block, 1, 10, false));

    [Fact]
    public async Task PunchedRangesAndXattrsSurviveACrash_AndXattrsGoWithTheInode()
    {
        await using (var store = await _dir.OpenAsync())
        {
            await store.ApplyAsync([Put(5, 0), Put(5, 1), Put(5, 2), Put(5, 3), Put(5, 9)]);
            await store.ApplyAsync([MetadataOp.DropBlockRange(5, 1, 3)]);
            Assert.Equal([0UL, 3, 9], (await store.ListBlocksAsync(5, 0)).Select(e => e.Block));
            await store.ApplyAsync([MetadataOp.PutXattrs(5, [1, 2, 3]), MetadataOp.PutXattrs(6, [4])]);
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutXattrs(6, [])]));
            await store.AbandonAsync(); // kill -9: everything comes back from the WAL
        }
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal([0UL, 3, 9], (await store.ListBlocksAsync(5, 0)).Select(e => e.Block));
            Assert.Equal([1, 2, 3], await store.GetXattrsAsync(5));
            Assert.Null(await store.GetXattrsAsync(6)); // an empty set is no record
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.DeleteInode(5)]));
            Assert.Null(await store.GetXattrsAsync(5));
            await store.CheckpointAsync();
        }
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Null(await store.GetXattrsAsync(5));
            Assert.Equal([0UL, 3, 9], (await store.ListBlocksAsync(5, 0)).Select(e => e.Block)); // the block map is the payload's to drop
        }
    }
}
