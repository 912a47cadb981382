using System.Diagnostics;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;
using Xunit;
using Xunit.Abstractions;
using static DittoFs.Storage.Tests.Faster.Ops;

namespace DittoFs.Storage.Tests.Faster;

/// <summary>Restart, crash (abandoned instance, no commit/checkpoint) and group commit.</summary>
public sealed class FasterDurabilityTests(ITestOutputHelper output) : IDisposable
{
    private readonly FasterTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task CleanRestart_KeepsEverything()
    {
        ulong dir, file, maxAllocated;
        SortedDictionary<ulong, (string Name, ulong Inode)> expected;
        await using (var store = await _dir.OpenAsync())
        {
            dir = store.AllocateInode();
            file = store.AllocateInode();
            long pos = await store.ApplyAsync([
                MetadataOp.PutInode(File(file, 77)),
                MetadataOp.PutSymlink(file, N("target")),
                MetadataOp.PutVolume(N("v"), 3, dir),
            ]);
            expected = await FasterMetadataStoreTests.FillDirectoryAsync(store, dir, 2_000, batch: 1, deleteEvery: 5);
            maxAllocated = store.AllocateInode();
            await store.WaitDurableAsync(pos);
        }

        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(77ul, (await store.GetInodeAsync(file))!.Value.Size);
            Assert.Equal(N("target"), await store.GetSymlinkAsync(file));
            Assert.Equal(new VolumeRecord(3, dir), await store.GetVolumeAsync(N("v")));
            FasterMetadataStoreTests.AssertListing(expected, await FasterMetadataStoreTests.ListAllAsync(store, dir, 333));
            Assert.True(store.AllocateInode() > maxAllocated);
            Assert.Equal(0, store.ReplayedBatches); // the dispose checkpoint covered everything
        }
    }

    [Fact]
    public async Task Crash_AfterWaitDurable_RecoversEveryDurableBatch()
    {
        var durable = new List<ulong>();
        ulong dir;
        await using (var store = await _dir.OpenAsync())
        {
            dir = store.AllocateInode();
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutInode(Dir(dir, InodeRecord.FirstCookie))]));
            for (int i = 0; i < 300; i++)
            {
                ulong inode = store.AllocateInode();
                ulong cookie = InodeRecord.FirstCookie + (ulong)i;
                long pos = await store.ApplyAsync([
                    MetadataOp.PutInode(File(inode, (ulong)i)),
                    MetadataOp.PutEntry(dir, N($"f{i}"), inode, cookie),
                    MetadataOp.PutInode(Dir(dir, cookie + 1, (ulong)i + 1)),
                ]);
                await store.WaitDurableAsync(pos);
                durable.Add(inode);
            }
            await store.AbandonAsync(); // kill -9: no commit, no checkpoint, nothing closed
        }

        await using (var store = await _dir.OpenAsync())
        {
            Assert.True(store.ReplayedBatches >= 300, $"replayed {store.ReplayedBatches}");
            for (int i = 0; i < durable.Count; i++)
            {
                Assert.Equal((ulong)i, (await store.GetInodeAsync(durable[i]))!.Value.Size);
                Assert.Equal(durable[i], (await store.GetEntryAsync(dir, N($"f{i}")))!.Value.Inode);
            }
            Assert.Equal(300, (await store.ListEntriesAsync(dir, 0, 1000)).Count);
            Assert.True(store.AllocateInode() > durable.Max());
        }
    }

    [Fact]
    public async Task Crash_WithUnwaitedBatches_EachBatchAllOrNothing()
    {
        ulong dir;
        var durable = new List<ulong>();
        var unwaited = new List<ulong>();
        await using (var store = await _dir.OpenAsync())
        {
            dir = store.AllocateInode();
            long last = 0;
            for (int i = 0; i < 400; i++)
            {
                ulong inode = store.AllocateInode();
                last = await store.ApplyAsync([
                    MetadataOp.PutInode(File(inode)),
                    MetadataOp.PutSymlink(inode, N($"t{i}")),
                    MetadataOp.PutEntry(dir, N($"f{i}"), inode, InodeRecord.FirstCookie + (ulong)i),
                    MetadataOp.PutInode(Dir(dir, InodeRecord.FirstCookie + (ulong)i + 1)),
                ]);
                if (i < 200) { await store.WaitDurableAsync(last); durable.Add(inode); }
                else unwaited.Add(inode);
            }
            await store.AbandonAsync();
        }

        await using (var store = await _dir.OpenAsync())
        {
            int present = 0;
            foreach (var (inode, i) in durable.Concat(unwaited).Select((x, i) => (x, i)))
            {
                bool hasInode = await store.GetInodeAsync(inode) is not null;
                bool hasLink = await store.GetSymlinkAsync(inode) is not null;
                bool hasEntry = await store.GetEntryAsync(dir, N($"f{i}")) is not null;
                Assert.True(hasInode == hasLink && hasLink == hasEntry, $"batch {i} is partial");
                if (i < durable.Count) Assert.True(hasInode, $"durable batch {i} lost");
                if (hasInode) present++;
            }
            // The listing agrees with the per-batch checks (no orphan page entries).
            var listed = await store.ListEntriesAsync(dir, 0, 1000);
            Assert.Equal(present, listed.Count);
            Assert.True(store.AllocateInode() > durable.Max());
            output.WriteLine($"{present - durable.Count} of {unwaited.Count} unwaited batches survived");
        }
    }

    [Fact]
    public async Task Checkpoint_ThenMoreWal_ThenCrash_RecoversBoth_AndTruncatesWal()
    {
        ulong a, b;
        long walBeginBefore, walBeginAfter;
        await using (var store = await _dir.OpenAsync())
        {
            a = store.AllocateInode();
            // Enough WAL to span several 64 KiB WAL pages before the checkpoint.
            for (int i = 0; i < 2_000; i++)
                await store.ApplyAsync([MetadataOp.PutInode(File(a, (ulong)i)), MetadataOp.PutSymlink(a, new byte[64])]);
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutVolume(N("first"), 1, a)]));
            walBeginBefore = store.WalBeginAddress;
            int hooks = store.WalCommitsBeforePersist;
            await store.CheckpointAsync();
            walBeginAfter = store.WalBeginAddress;
            Assert.True(store.WalCommitsBeforePersist > hooks, "WAL was not committed before the checkpoint persisted");

            b = store.AllocateInode();
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutInode(File(b, 5)), MetadataOp.PutVolume(N("second"), 2, b)]));
            await store.AbandonAsync();
        }
        Assert.True(walBeginAfter > walBeginBefore, $"WAL begin {walBeginBefore} -> {walBeginAfter}");

        await using (var store = await _dir.OpenAsync())
        {
            Assert.Equal(1, store.ReplayedBatches); // only the batch after the checkpoint
            Assert.Equal(1999ul, (await store.GetInodeAsync(a))!.Value.Size);
            Assert.Equal(new VolumeRecord(1, a), await store.GetVolumeAsync(N("first")));
            Assert.Equal(5ul, (await store.GetInodeAsync(b))!.Value.Size);
            Assert.Equal(new VolumeRecord(2, b), await store.GetVolumeAsync(N("second")));
            Assert.True(store.AllocateInode() > b);
        }
    }

    [Fact]
    public async Task Checkpoint_NearTheEndOfAWalPage_ThenCrash_ReplaysWhatFollows()
    {
        // Checkpoint cookies that land close to a WAL page boundary (where FASTER pads the page):
        // replay must start exactly there and find the batch that went to the next page.
        const long walPage = 1L << 16; // FasterTempDir's WAL page size
        var written = new List<ulong>();
        await using (var store = await _dir.OpenAsync())
        {
            foreach (int left in new[] { 400, 200, 120, 80, 40 })
            {
                // Filler: deleting an inode that never exists (inode numbers start low).
                while (walPage - store.WalTailAddress % walPage is var room && (room >= left || room == 0))
                    await store.ApplyAsync([MetadataOp.DeleteInode(ulong.MaxValue - 1)]);
                await store.CheckpointAsync();
                ulong big = store.AllocateInode();
                long pos = await store.ApplyAsync([MetadataOp.PutInode(File(big, 9)), MetadataOp.PutSymlink(big, new byte[1000])]);
                await store.WaitDurableAsync(pos);
                written.Add(big);
            }
            await store.AbandonAsync();
        }
        await using (var store = await _dir.OpenAsync())
        {
            var missing = new List<int>();
            for (int i = 0; i < written.Count; i++)
                if (await store.GetInodeAsync(written[i]) is null) missing.Add(i);
            Assert.True(missing.Count == 0, $"missing after recovery: [{string.Join(",", missing)}] replayed={store.ReplayedBatches}");
            Assert.Equal(1, store.ReplayedBatches);
            foreach (ulong big in written)
            {
                Assert.Equal(9ul, (await store.GetInodeAsync(big))!.Value.Size);
                Assert.Equal(1000, (await store.GetSymlinkAsync(big))!.Length);
            }
        }
    }

    [Fact]
    public async Task Crash_BeforeAnyCheckpointOfTheData_ThenReopenTwice()
    {
        // Recovery itself must leave a recoverable store (replayed state checkpointed or replayable again).
        ulong x;
        await using (var store = await _dir.OpenAsync())
        {
            x = store.AllocateInode();
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutInode(File(x, 1))]));
            await store.AbandonAsync();
        }
        await using (var store = await _dir.OpenAsync())
        {
            Assert.NotNull(await store.GetInodeAsync(x));
            await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutInode(File(x, 2))]));
            await store.AbandonAsync();
        }
        await using (var store = await _dir.OpenAsync())
            Assert.Equal(2ul, (await store.GetInodeAsync(x))!.Value.Size);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task GroupCommit_ConcurrentDurableWriters_ShareCommits(int commitIntervalMs)
    {
        await using var store = await _dir.OpenAsync(o => o.CommitInterval = TimeSpan.FromMilliseconds(commitIntervalMs));

        // Deterministic part: 1,008 batches applied, then all their waiters at once: a few commits cover them all.
        var positions = new List<long>();
        for (int i = 0; i < 1008; i++) positions.Add(await store.ApplyAsync([MetadataOp.PutInode(File(store.AllocateInode()))]));
        long before = store.CommitCount;
        await Task.WhenAll(positions.Select(p => store.WaitDurableAsync(p).AsTask()));
        long shared = store.CommitCount - before;

        // Informational: 16 writers each waiting for their own batch (depends on scheduling, so not asserted).
        const int writers = 16, perWriter = 63;
        long concurrentBefore = store.CommitCount;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < perWriter; i++)
            {
                ulong inode = store.AllocateInode();
                await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutInode(File(inode))]));
            }
        })));
        output.WriteLine($"commit interval {commitIntervalMs} ms");
        output.WriteLine($"1008 batches, waiters together: {shared} commits");
        output.WriteLine($"{writers}x{perWriter} concurrent durable batches: {store.CommitCount - concurrentBefore} commits, {sw.Elapsed.TotalMilliseconds:F0} ms");
        Assert.InRange(shared, 1, 3);
        Assert.True(store.CommitCount - concurrentBefore < writers * perWriter, "concurrent writers never shared a commit");
    }

    [Fact]
    public async Task Crash_WhileBatchesCommitAndFill_KeepsEveryWaitedBatch()
    {
        // 16 writers keep one batch in flight and the next filling; the crash comes in the middle of that
        // pipeline: every batch a writer saw durable is recovered, whichever commit carried it.
        var durable = new System.Collections.Concurrent.ConcurrentBag<ulong>();
        long commits;
        await using (var store = await _dir.OpenAsync(o => o.CommitInterval = TimeSpan.Zero))
        {
            using var enough = new SemaphoreSlim(0);
            var writers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        ulong inode = store.AllocateInode();
                        await store.WaitDurableAsync(await store.ApplyAsync([MetadataOp.PutInode(File(inode, inode))]));
                        durable.Add(inode);
                        if (durable.Count == 2_000) enough.Release();
                    }
                }
                catch (Exception e) when (e is ObjectDisposedException or IOException or InvalidOperationException)
                {
                    // The crash: this writer's batch may or may not be in the WAL, and it was never told durable.
                }
            })).ToArray();
            Assert.True(await enough.WaitAsync(TimeSpan.FromSeconds(120)), "writers made 2,000 batches durable");
            commits = store.CommitCount;
            await store.AbandonAsync(); // kill -9 with writers still going
            await Task.WhenAll(writers);
        }

        await using (var store = await _dir.OpenAsync())
        {
            foreach (ulong inode in durable)
            {
                Assert.True((await store.GetInodeAsync(inode))?.Size == inode, $"durable batch of inode {inode} lost");
            }
        }
        output.WriteLine($"{durable.Count} durable batches in {commits} commits");
        Assert.True(commits < durable.Count, "writers shared commits");
    }

    [Fact]
    public async Task WaitDurable_AfterDispose_Throws_AndDisposeDoesNotHang()
    {
        var store = await _dir.OpenAsync();
        long pos = await store.ApplyAsync([MetadataOp.PutInode(File(store.AllocateInode()))]);
        var dispose = store.DisposeAsync().AsTask();
        Assert.Same(dispose, await Task.WhenAny(dispose, Task.Delay(TimeSpan.FromSeconds(20))));
        await Assert.ThrowsAnyAsync<ObjectDisposedException>(async () => await store.ApplyAsync([]));
        await Assert.ThrowsAnyAsync<ObjectDisposedException>(async () => await store.WaitDurableAsync(pos + 1_000_000));
    }
}
