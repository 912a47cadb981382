using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;
using static DittoFs.Storage.Tests.Faster.Ops;

namespace DittoFs.Storage.Tests.Faster;

/// <summary>What the FASTER metadata store logs: the recovery summary, checkpoints, a full disk (once, not per change), the close.</summary>
public sealed class MetadataLogTests : IDisposable
{
    private readonly FasterTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IReadOnlyList<FakeLogRecord> With(FakeLogger logger, int id) =>
        logger.Collector.GetSnapshot().Where(r => r.Id.Id == id).ToList();

    [Fact]
    public async Task Recovery_SaysWhatItReplayed_AndCloseSaysWhereTheWalIs()
    {
        var first = new FakeLogger();
        await using (var store = await _dir.OpenAsync(b => b.Logger = first))
        {
            // After the opening checkpoint: three batches only the WAL holds.
            for (int i = 0; i < 3; i++)
            {
                ulong inode = store.AllocateInode();
                await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutInode(File(inode))]));
            }
            await store.AbandonAsync(); // kill -9: no closing checkpoint
        }
        FakeLogRecord fresh = Assert.Single(With(first, 3201));
        Assert.Equal(LogLevel.Information, fresh.Level);
        Assert.Contains("checkpoint none", fresh.Message);
        Assert.Contains(" 0 WAL batches replayed", fresh.Message);
        FakeLogRecord opening = Assert.Single(With(first, 3202)); // the checkpoint taken at open
        Assert.Contains("(full)", opening.Message);

        var second = new FakeLogger();
        await using (var store = await _dir.OpenAsync(b => b.Logger = second))
        {
            Assert.Equal(3, store.ReplayedBatches);
        }
        FakeLogRecord recovered = Assert.Single(With(second, 3201));
        Assert.Contains("checkpoint found", recovered.Message);
        Assert.Contains(" 3 WAL batches replayed", recovered.Message);
        Assert.Equal(3L, recovered.StructuredState!.Single(kv => kv.Key == "Replayed").Value is string s ? long.Parse(s) : -1);
        FakeLogRecord closed = Assert.Single(With(second, 3207));
        Assert.Contains("clean, checkpointed", closed.Message);
    }

    [Fact]
    public async Task FullDisk_IsLoggedOnce_NotPerRefusedChange()
    {
        var logger = new FakeLogger();
        // A reserve larger than any disk: every change is refused as if the disk were full.
        await using var store = await _dir.OpenAsync(b => { b.Logger = logger; b.ReserveBytes = 1L << 50; });
        for (int i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<StorageFullException>(async () => await store.ApplyAsync([MetadataOp.PutInode(File(store.AllocateInode()))]));
        }
        FakeLogRecord full = Assert.Single(With(logger, 3204));
        Assert.Equal(LogLevel.Error, full.Level);
        Assert.StartsWith("NOSPC: metadata disk full at " + Path.Combine(_dir.Path, "metadata", "wal"), full.Message);
        Assert.Contains("1125899906842624 kept in reserve", full.Message);
    }
}
