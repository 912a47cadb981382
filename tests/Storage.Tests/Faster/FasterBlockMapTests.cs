using DittoFs.Storage.Metadata;
using Xunit;

namespace DittoFs.Storage.Tests.Faster;

/// <summary>The block map in the FASTER store: point records, drops, and what survives a crash and a checkpoint.</summary>
public sealed class FasterBlockMapTests : IDisposable
{
    private readonly FasterTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static MetadataOp Put(ulong inode, ulong block, ulong version, bool dirty = false) =>
        MetadataOp.PutBlock(inode, block, new BlockRecord(version, (uint)(version * 7), (int)(block + 100), dirty));

    [Fact]
    public async Task RecordsDropsAndListingsReadBack()
    {
        await using var store = await _dir.OpenAsync();
        await store.WaitDurableAsync(await store.ApplyAsync([Put(5, 0, 10), Put(5, 1, 11, dirty: true), Put(5, 7, 12), Put(6, 0, 13)]));
        Assert.Equal(new BlockRecord(11, 77, 101, true), await store.GetBlockAsync(5, 1));
        Assert.Null(await store.GetBlockAsync(5, 2)); // a hole
        Assert.Equal([0UL, 1, 7], (await store.ListBlocksAsync(5, 0)).Select(e => e.Block));
        Assert.Equal([7UL], (await store.ListBlocksAsync(5, 2)).Select(e => e.Block));
        Assert.Equal(13UL, store.MaxBlockVersion);

        await store.ApplyAsync([MetadataOp.DropBlocks(5, 1)]);
        Assert.Equal([0UL], (await store.ListBlocksAsync(5, 0)).Select(e => e.Block));
        Assert.Null(await store.GetBlockAsync(5, 7));
        await store.ApplyAsync([MetadataOp.DropBlocks(5, 0)]);
        Assert.Empty(await store.ListBlocksAsync(5, 0));
        Assert.NotNull(await store.GetBlockAsync(6, 0)); // another file's blocks stay
        Assert.Equal(13UL, store.MaxBlockVersion); // versions are never handed out again
    }

    [Fact]
    public async Task DurableRecordsAndTheFilesystemIdSurviveACrashAndACheckpoint()
    {
        Guid id = Guid.NewGuid();
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Null(await store.GetFilesystemIdAsync());
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutFilesystemId(id), Put(1, 0, 100)]));
            await store.CheckpointAsync();
            for (ulong b = 0; b < 50; b++) await store.ApplyAsync([Put(2, b, 200 + b, dirty: b % 2 == 0)]);
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.DropBlocks(2, 40)]));
            await store.AbandonAsync(); // kill -9
        }
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(id, await store.GetFilesystemIdAsync());
            Assert.Equal(new BlockRecord(100, 700, 100, false), await store.GetBlockAsync(1, 0));
            IReadOnlyList<BlockEntry> blocks = await store.ListBlocksAsync(2, 0);
            Assert.Equal(40, blocks.Count);
            Assert.All(blocks, e => Assert.Equal(new BlockRecord(200 + e.Block, (uint)((200 + e.Block) * 7), (int)(e.Block + 100), e.Block % 2 == 0), e.Record));
            Assert.Equal(249UL, store.MaxBlockVersion); // from the replayed WAL (block 49's record, dropped since)
        }
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(249UL, store.MaxBlockVersion); // from the checkpoint the clean close took
            Assert.Equal(40, (await store.ListBlocksAsync(2, 0)).Count);
        }
    }

    [Fact]
    public async Task PackedRecordsAndSegmentRecordsSurviveTheWalAndACheckpointNextToOldOnes()
    {
        // An unpacked record is the 20 bytes it always was (old WALs and checkpoints read as before); a packed one adds its offset.
        var plain = new BlockRecord(7, 0xdeadbeef, 4096, Dirty: true);
        var packed = new BlockRecord(900, 0x12345678, 17, Dirty: false, Packed: true, Offset: 1L << 33);
        await using (var store = await _dir.OpenAsync())
        {
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutBlock(1, 0, plain), MetadataOp.PutBlock(1, 1, packed), MetadataOp.PutSegment(900, new SegmentRecord(17, 40, 80))]));
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutSegment(901, new SegmentRecord(5, 5, 45)), MetadataOp.PutBlock(1, 1, packed with { Dirty = true })]));
            await store.AbandonAsync(); // kill -9: all of it comes from the WAL
        }
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(plain, await store.GetBlockAsync(1, 0));
            Assert.Equal(packed with { Dirty = true }, await store.GetBlockAsync(1, 1));
            Assert.Equal(new SegmentRecord(17, 40, 80), await store.GetSegmentAsync(900));
            Assert.Equal(901UL, store.MaxBlockVersion); // a segment id is never handed out again either
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutSegment(900, default), MetadataOp.PutBlock(1, 1, packed)]));
            Assert.Null(await store.GetSegmentAsync(900));
            await store.CheckpointAsync();
        }
        await using (var store = await _dir.OpenAsync())
        {
            Assert.Null(await store.GetSegmentAsync(900));
            Assert.Equal(new SegmentRecord(5, 5, 45), await store.GetSegmentAsync(901));
            Assert.Equal(packed, await store.GetBlockAsync(1, 1));
            Assert.Equal([0UL, 1], (await store.ListBlocksAsync(1, 0)).Select(e => e.Block));
        }
    }
}
