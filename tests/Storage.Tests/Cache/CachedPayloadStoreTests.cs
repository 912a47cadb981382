using System.Buffers;
using Amazon.S3.Model;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

[Collection(MotoCollection.Name)]
public sealed class CachedPayloadStoreTests(MotoServer moto) : IDisposable
{
    private const int Bs = 64 * 1024;
    private readonly string _directory = CacheTestSupport.TempDirectory();
    private readonly Metadata.InMemoryMetadataStore _metadata = new();
    private readonly string _bucket = moto.CreateBucket();

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private CachedPayloadStore Open(int blocks = 64, string? endpoint = null, Func<Payload.S3.IObjectStore, Payload.S3.IObjectStore>? wrap = null)
    {
        Payload.S3.IObjectStore objects = CacheTestSupport.ObjectStore(endpoint ?? moto.Endpoint, _bucket);
        return CacheTestSupport.Open(CacheTestSupport.Options(_directory, Bs, blocks), wrap?.Invoke(objects) ?? objects, _metadata);
    }

    private static byte[] Random(int length, int seed)
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

    /// <summary>Current objects of an inode: block → key (the highest version).</summary>
    private List<string> Keys(ulong inode) => moto.ListKeys(_bucket, "fs/" + ObjectKeys.InodePrefix(inode));

    [Fact]
    public async Task WritesUploadEveryBlockAndReadBackAfterEviction()
    {
        byte[] data = Random(10 * Bs + 123, 1);
        await using (CachedPayloadStore store = Open(blocks: 4))
        {
            // Four blocks of room: the writer is paced by the uploads (back-pressure), never fails.
            for (int at = 0; at < data.Length;)
            {
                int n = Math.Min(Bs / 2, data.Length - at);
                try
                {
                    await store.WriteAsync(7, (ulong)at, new ReadOnlySequence<byte>(data, at, n));
                    at += n;
                }
                catch (StorageBusyException)
                {
                    await Task.Delay(20);
                }
            }
            await store.FlushAsync(7);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)), $"dirty {store.DirtyBlocks}");
            Assert.Equal(11, Keys(7).Count);
            Assert.True(store.CachedBlocks <= 4);
            Assert.Equal(data, await ReadAll(store, 7, data.Length)); // most blocks come back from S3
        }
        // A new start: the cache is cold (clean copies dropped), everything comes from S3 and verifies.
        await using (CachedPayloadStore store = Open())
        {
            Assert.Equal(0, store.RecoveredBlocks);
            Assert.Equal(data, await ReadAll(store, 7, data.Length));
        }
    }

    [Fact]
    public async Task OverwriteMakesANewObjectAndCollectsTheOld()
    {
        await using CachedPayloadStore store = Open();
        await store.WriteAsync(9, 0, new ReadOnlySequence<byte>(Random(3 * Bs, 2)));
        await store.FlushAsync(9);
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        List<string> first = Keys(9);
        Assert.Equal(3, first.Count);

        byte[] patch = Random(100, 3);
        await store.WriteAsync(9, Bs + 10, new ReadOnlySequence<byte>(patch));
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        List<string> second = Keys(9);
        Assert.Equal(3, second.Count);
        Assert.Single(second.Except(first)); // block 1 has a new object ...
        Assert.Single(first.Except(second)); // ... and its old one is gone
        byte[] got = new byte[100];
        await store.ReadAsync(9, Bs + 10, got);
        Assert.Equal(patch, got);

        await store.DeleteAsync(9);
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(Keys(9));
        Assert.Equal(new byte[10], (await ReadAll(store, 9, 10)));
    }

    [Fact]
    public async Task TruncateDropsObjectsPastTheSizeAndCutsTheLastBlock()
    {
        byte[] data = Random(3 * Bs, 4);
        await using CachedPayloadStore store = Open(blocks: 4);
        await store.WriteAsync(5, 0, new ReadOnlySequence<byte>(data));
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        await store.TruncateAsync(5, Bs + Bs / 2);
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, Keys(5).Count);
        byte[] got = await ReadAll(store, 5, 3 * Bs);
        Assert.Equal(data.AsSpan(0, Bs + Bs / 2).ToArray(), got.AsSpan(0, Bs + Bs / 2).ToArray());
        Assert.True(got.AsSpan(Bs + Bs / 2).IndexOfAnyExcept((byte)0) < 0, "bytes past the cut must read as zeros");
    }

    [Fact]
    public async Task ConcurrentReadersOfAMissingBlockShareOneGet()
    {
        byte[] data = Random(Bs, 5);
        await using (CachedPayloadStore store = Open())
        {
            await store.WriteAsync(3, 0, new ReadOnlySequence<byte>(data));
            await store.FlushAsync(3);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        CountingObjectStore? counting = null;
        await using (CachedPayloadStore store = Open(wrap: o => counting = new CountingObjectStore(o)))
        {
            byte[][] results = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
            {
                byte[] got = new byte[1000];
                await store.ReadAsync(3, (ulong)(i * 1000), got);
                return got;
            }));
            for (int i = 0; i < 16; i++) Assert.Equal(data.AsSpan(i * 1000, 1000).ToArray(), results[i]);
            Assert.Equal(2, counting!.Gets); // one for the block, one for the filesystem id checked at open
        }
    }

    [Fact]
    public async Task SequentialReaderGetsBlocksFetchedAhead()
    {
        byte[] data = Random(12 * Bs, 6);
        await using (CachedPayloadStore store = Open())
        {
            await store.WriteAsync(4, 0, new ReadOnlySequence<byte>(data));
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        await using (CachedPayloadStore store = Open())
        {
            byte[] got = new byte[Bs];
            await store.ReadAsync(4, 0, got);
            await store.ReadAsync(4, Bs, got); // sequential: blocks 2..9 (ReadAheadBlocks 8) are fetched ahead, not 10..11
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (store.CachedBlocks < 10 && DateTime.UtcNow < deadline) await Task.Delay(20);
            await Task.Delay(200);
            Assert.Equal(10, store.CachedBlocks);
        }
    }

    [Fact]
    public async Task CorruptObjectIsAnErrorNotData()
    {
        await using (CachedPayloadStore store = Open())
        {
            await store.WriteAsync(2, 0, new ReadOnlySequence<byte>(Random(Bs, 7)));
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        string key = Assert.Single(Keys(2));
        using (var client = moto.Client())
        {
            byte[] bad = Random(Bs, 7);
            bad[0] ^= 1;
            await client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, InputStream = new MemoryStream(bad) });
        }
        await using (CachedPayloadStore store = Open())
        {
            var e = await Assert.ThrowsAsync<IOException>(async () => await store.ReadAsync(2, 0, new byte[10]));
            Assert.Contains("corrupt", e.Message);
        }
    }

    [Fact]
    public async Task UnreachableStoreDelaysWritesWhenFullThenDrains()
    {
        using var proxy = new TcpProxy(moto.Port);
        proxy.Cut();
        byte[] data = Random(6 * Bs, 8);
        await using (CachedPayloadStore store = Open(blocks: 4, endpoint: proxy.Endpoint))
        {
            await store.WriteAsync(11, 0, new ReadOnlySequence<byte>(data, 0, 4 * Bs));
            await store.FlushAsync(11); // durable locally with the store down
            await Assert.ThrowsAsync<StorageBusyException>(async () => await store.WriteAsync(11, 4 * Bs, new ReadOnlySequence<byte>(data, 4 * Bs, Bs)));
            Assert.Equal(4, store.DirtyBlocks);
            Assert.Empty(Keys(11));
            proxy.Restore();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    await store.WriteAsync(11, 4 * Bs, new ReadOnlySequence<byte>(data, 4 * Bs, 2 * Bs));
                    break;
                }
                catch (StorageBusyException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }
            }
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(6, Keys(11).Count);
            Assert.Equal(data, await ReadAll(store, 11, data.Length));
        }
    }

    [Fact]
    public async Task CommittedBlocksSurviveARestartAndAreUploadedThen()
    {
        using var proxy = new TcpProxy(moto.Port);
        proxy.Cut();
        byte[] data = Random(3 * Bs + 5, 9);
        await using (CachedPayloadStore store = Open(endpoint: proxy.Endpoint))
        {
            await store.WriteAsync(12, 0, new ReadOnlySequence<byte>(data));
            await store.FlushAsync(12);
            await store.WriteAsync(13, 0, new ReadOnlySequence<byte>(data, 0, 100)); // never committed
        }
        Assert.Empty(Keys(12));
        proxy.Restore();
        await using (CachedPayloadStore store = Open(endpoint: proxy.Endpoint))
        {
            Assert.Equal(4 + 1, store.RecoveredBlocks); // a clean stop kept 13's uncommitted block too
            Assert.Equal(data, await ReadAll(store, 12, data.Length));
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(4, Keys(12).Count);
        }
        await using (CachedPayloadStore store = Open())
        {
            Assert.Equal(0, store.RecoveredBlocks);
            Assert.Equal(data, await ReadAll(store, 12, data.Length));
        }
    }

    [Fact]
    public async Task SmallFilesAreChargedByTheirSizeNotAsWholeBlocks()
    {
        using var proxy = new TcpProxy(moto.Port);
        proxy.Cut(); // nothing uploads: everything stays dirty
        const int Mib = 1 << 20;
        Payload.S3.IObjectStore objects = CacheTestSupport.ObjectStore(proxy.Endpoint, _bucket);
        await using CachedPayloadStore store = CacheTestSupport.Open(CacheTestSupport.Options(_directory, Mib, blocks: 4), objects, _metadata);
        for (ulong inode = 100; inode < 140; inode++)
        {
            await store.WriteAsync(inode, 0, new ReadOnlySequence<byte>(Random(20_000, (int)inode)));
            await store.FlushAsync(inode);
        }
        Assert.Equal(40, store.DirtyBlocks); // 40 × 64 KiB charged = 2.5 MiB of the 4 MiB
        await Assert.ThrowsAsync<StorageBusyException>(async () => await store.WriteAsync(200, 0, new ReadOnlySequence<byte>(Random(2 * Mib, 1))));
        for (ulong inode = 100; inode < 140; inode++) Assert.Equal(Random(20_000, (int)inode), await ReadAll(store, inode, 20_000));
    }

    [Fact]
    public async Task CommittedSmallBlocksLostInACrashComeBackFromTheDataJournal()
    {
        using var proxy = new TcpProxy(moto.Port);
        proxy.Cut();
        string crash = _directory + "-crash";
        await using (CachedPayloadStore store = Open(endpoint: proxy.Endpoint))
        {
            for (ulong inode = 30; inode < 33; inode++)
            {
                await store.WriteAsync(inode, 0, new ReadOnlySequence<byte>(Random(5000 + (int)inode, (int)inode)));
                await store.FlushAsync(inode);
            }
            await store.WriteAsync(33, 0, new ReadOnlySequence<byte>(Random(100, 1))); // never committed
            CacheTestSupport.CopyDirectory(_directory, crash);
        }
        try
        {
            // The block files were never fsynced (only journaled): a crash may lose them.
            foreach (string file in Directory.GetFiles(Path.Combine(crash, "blocks"), "*", SearchOption.AllDirectories)) File.Delete(file);
            proxy.Restore();
            Payload.S3.IObjectStore objects = CacheTestSupport.ObjectStore(proxy.Endpoint, _bucket);
            await using CachedPayloadStore recovered = CacheTestSupport.Open(CacheTestSupport.Options(crash, Bs), objects, _metadata);
            Assert.Equal(3, recovered.RecoveredBlocks);
            for (ulong inode = 30; inode < 33; inode++) Assert.Equal(Random(5000 + (int)inode, (int)inode), await ReadAll(recovered, inode, 5000 + (int)inode));
            Assert.True(await recovered.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            Assert.Single(Keys(30));
            Assert.Empty(Keys(33));
        }
        finally
        {
            try { Directory.Delete(crash, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task DeletingTheCacheDirectoryLosesNothingUploaded()
    {
        // The reproduction: a 10-block file and a 17-byte file uploaded, the cache directory removed, a restart.
        byte[] big = Random(10 * Bs + 123, 7);
        byte[] small = Random(17, 8);
        await using (CachedPayloadStore store = Open())
        {
            await store.WriteAsync(21, 0, new ReadOnlySequence<byte>(big));
            await store.WriteAsync(22, 0, new ReadOnlySequence<byte>(small));
            await store.FlushAsync(21);
            await store.FlushAsync(22);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        List<string> before = moto.ListKeys(_bucket);
        Directory.Delete(_directory, recursive: true);
        await using (CachedPayloadStore store = Open())
        {
            Assert.Equal(big, await ReadAll(store, 21, big.Length));
            Assert.Equal(small, await ReadAll(store, 22, small.Length));
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30))); // the start-up sweep ran
        }
        Assert.Equal(before, moto.ListKeys(_bucket));
        Assert.Equal(11, Keys(21).Count);
        Assert.Single(Keys(22));
    }

    [Fact]
    public async Task ALostCommittedBlockReadsAsAnIoErrorNeverAsZerosOrOlderBytes()
    {
        using var proxy = new TcpProxy(moto.Port);
        byte[] first = Random(Bs, 1);
        byte[] second = Random(Bs, 2);
        await using (CachedPayloadStore store = Open(endpoint: proxy.Endpoint))
        {
            await store.WriteAsync(40, 0, new ReadOnlySequence<byte>(first));
            await store.FlushAsync(40);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            proxy.Cut(); // the newer copy is committed locally and never uploaded
            await store.WriteAsync(40, 0, new ReadOnlySequence<byte>(second));
            await store.WriteAsync(41, 0, new ReadOnlySequence<byte>(second));
            await store.FlushAsync(40);
            await store.FlushAsync(41);
        }
        Directory.Delete(_directory, recursive: true);
        proxy.Restore();
        await using (CachedPayloadStore store = Open(endpoint: proxy.Endpoint))
        {
            byte[] got = new byte[Bs];
            await Assert.ThrowsAsync<IOException>(async () => await store.ReadAsync(40, 0, got));
            await Assert.ThrowsAsync<IOException>(async () => await store.ReadAsync(41, 100, got.AsMemory(0, 10)));
            // A partial write cannot build on what was lost; a whole-block overwrite replaces it.
            await Assert.ThrowsAsync<IOException>(async () => await store.WriteAsync(40, 10, new ReadOnlySequence<byte>(new byte[5])));
            await store.WriteAsync(41, 0, new ReadOnlySequence<byte>(first));
            Assert.Equal(first, await ReadAll(store, 41, Bs));
            Assert.Contains("lost", store.DescribeBlock(40, 0));
            Assert.DoesNotContain(0UL, await store.ListBlocksAsync(40, CancellationToken.None));
        }
    }

    [Fact]
    public async Task WithDurabilityBucketALostUnansweredCopyReadsAsItsLastUpload()
    {
        using var proxy = new TcpProxy(moto.Port);
        byte[] first = Random(Bs, 1);
        var options = CacheTestSupport.Options(_directory, Bs) with { UploadOnFlush = true };
        Payload.S3.IObjectStore Objects() => CacheTestSupport.ObjectStore(proxy.Endpoint, _bucket);
        await using (CachedPayloadStore store = CacheTestSupport.Open(options, Objects(), _metadata))
        {
            await store.WriteAsync(42, 0, new ReadOnlySequence<byte>(first));
            await store.FlushAsync(42); // answered: in the bucket
            proxy.Cut();
            await store.WriteAsync(42, 10, new ReadOnlySequence<byte>(Random(100, 2)));
            await store.WriteAsync(43, 0, new ReadOnlySequence<byte>(Random(100, 3)));
            // Durable on the instance, never uploaded: these COMMITs are never answered.
            using var cut = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.FlushAsync(42, cut.Token));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.FlushAsync(43, cut.Token));
        }
        Directory.Delete(_directory, recursive: true); // the instance is gone
        proxy.Restore();
        await using (CachedPayloadStore store = CacheTestSupport.Open(options, Objects(), _metadata))
        {
            // What the last answered COMMIT left, as after any crash: the uploaded bytes, a hole where nothing was.
            Assert.Equal(first, await ReadAll(store, 42, Bs));
            Assert.Equal(new byte[100], await ReadAll(store, 43, 100));
            await store.WriteAsync(42, 5, new ReadOnlySequence<byte>(new byte[5])); // a client's resend builds on it
        }
    }

    [Fact]
    public async Task ACleanStopKeepsUncommittedWrites()
    {
        using var proxy = new TcpProxy(moto.Port);
        byte[] data = Random(Bs + 500, 6);
        await using (CachedPayloadStore store = Open(endpoint: proxy.Endpoint))
        {
            proxy.Cut(); // nothing can be uploaded before the stop
            await store.WriteAsync(45, 0, new ReadOnlySequence<byte>(data)); // UNSTABLE: no COMMIT
        }
        proxy.Restore();
        await using (CachedPayloadStore store = Open(endpoint: proxy.Endpoint))
        {
            Assert.Equal(2, store.RecoveredBlocks);
            Assert.Equal(data, await ReadAll(store, 45, data.Length));
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public async Task ASupersededObjectGoesOnlyOnceTheShippedMetadataStopsNamingIt()
    {
        bool shipped = true;
        var release = new TaskCompletionSource();
        var options = CacheTestSupport.Options(_directory, Bs) with
        {
            WaitMetadataShipped = (_, ct) => Volatile.Read(ref shipped) ? ValueTask.CompletedTask : new ValueTask(release.Task.WaitAsync(ct)),
        };
        await using CachedPayloadStore store = CacheTestSupport.Open(options, CacheTestSupport.ObjectStore(moto.Endpoint, _bucket), _metadata);
        await store.WriteAsync(44, 0, new ReadOnlySequence<byte>(Random(Bs, 4)));
        await store.FlushAsync(44);
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        string old = Assert.Single(Keys(44));

        Volatile.Write(ref shipped, false); // the bucket's copy of the metadata lags
        await store.WriteAsync(44, 0, new ReadOnlySequence<byte>(Random(Bs, 5)));
        await store.FlushAsync(44);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Keys(44).Count < 2) // the new object is uploaded...
        {
            Assert.True(DateTime.UtcNow < deadline, "the overwrite was never uploaded");
            await Task.Delay(50);
        }
        await Task.Delay(1000);
        Assert.Contains(old, Keys(44)); // ...and the old one stays: a restore would still read it
        Assert.Equal(1, store.PendingGarbage);

        Volatile.Write(ref shipped, true);
        release.SetResult();
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(old, Keys(44));
        Assert.Single(Keys(44));
    }

    [Fact]
    public async Task AnObjectMissingFromTheBucketReadsAsAnIoError()
    {
        await using (CachedPayloadStore store = Open())
        {
            await store.WriteAsync(50, 0, new ReadOnlySequence<byte>(Random(5000, 3)));
            await store.FlushAsync(50);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        using (var client = moto.Client())
        {
            foreach (string key in Keys(50)) await client.DeleteObjectAsync(_bucket, key);
        }
        Directory.Delete(_directory, recursive: true);
        await using (CachedPayloadStore store = Open())
        {
            IOException e = await Assert.ThrowsAnyAsync<IOException>(async () => await store.ReadAsync(50, 0, new byte[100]));
            Assert.Contains("is missing", e.Message);
            Assert.IsType<Payload.S3.ObjectNotFoundException>(e.InnerException);
        }
    }

    [Fact]
    public async Task NewMetadataOverABucketWithObjectsIsRefusedAndNothingIsDeleted()
    {
        await using (CachedPayloadStore store = Open())
        {
            await store.WriteAsync(60, 0, new ReadOnlySequence<byte>(Random(5000, 4)));
            await store.FlushAsync(60);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        List<string> before = moto.ListKeys(_bucket);
        Assert.Contains("fs/" + "meta/filesystem-id", before);

        // A wiped data directory: empty metadata over the populated bucket.
        var empty = new Metadata.InMemoryMetadataStore();
        var refused = await Assert.ThrowsAsync<StorageRefusedException>(() =>
            CachedPayloadStore.OpenAsync(CacheTestSupport.Options(_directory, Bs), CacheTestSupport.ObjectStore(moto.Endpoint, _bucket), empty));
        Assert.Contains("restore", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);

        // Metadata of another filesystem over this bucket.
        var other = new Metadata.InMemoryMetadataStore();
        await other.ApplyAsync([Metadata.MetadataOp.PutFilesystemId(Guid.NewGuid())]);
        refused = await Assert.ThrowsAsync<StorageRefusedException>(() =>
            CachedPayloadStore.OpenAsync(CacheTestSupport.Options(_directory, Bs), CacheTestSupport.ObjectStore(moto.Endpoint, _bucket), other));
        Assert.Contains("belongs to filesystem", refused.Message);

        // Objects but no id (a bucket of an unknown filesystem): refused too.
        using (var client = moto.Client()) await client.DeleteObjectAsync(_bucket, "fs/meta/filesystem-id");
        await Assert.ThrowsAsync<StorageRefusedException>(() =>
            CachedPayloadStore.OpenAsync(CacheTestSupport.Options(_directory, Bs), CacheTestSupport.ObjectStore(moto.Endpoint, _bucket), new Metadata.InMemoryMetadataStore()));
        Assert.Equal(before.Where(k => !k.EndsWith("filesystem-id", StringComparison.Ordinal)), moto.ListKeys(_bucket));
    }

    [Fact]
    public async Task GcRefusesWhenTheBucketChangedHands()
    {
        await using CachedPayloadStore store = Open();
        await store.WriteAsync(70, 0, new ReadOnlySequence<byte>(Random(5000, 5)));
        await store.FlushAsync(70);
        Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        using (var client = moto.Client())
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "fs/meta/filesystem-id", ContentBody = Guid.NewGuid().ToString("D") });
        }
        List<string> before = moto.ListKeys(_bucket);
        await Assert.ThrowsAsync<StorageRefusedException>(() => store.CollectAsync(CancellationToken.None));
        Assert.NotNull(await store.ProbeAsync(CancellationToken.None)); // /readyz says why
        Assert.Equal(before, moto.ListKeys(_bucket));
    }

    [Fact]
    public async Task ABlockMapJournalFromBeforeTheMoveIsMigratedIntoTheMetadata()
    {
        byte[] data = Random(3000, 9);
        await using (CachedPayloadStore store = Open())
        {
            await store.WriteAsync(80, 0, new ReadOnlySequence<byte>(data));
            await store.FlushAsync(80);
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        Assert.True(ObjectKeys.TryParse(Keys(80).Single()["fs/".Length..], out _, out _, out ulong version));
        // What an older server left: its own journal in the cache directory, no filesystem id anywhere.
        using (var client = moto.Client()) await client.DeleteObjectAsync(_bucket, "fs/meta/filesystem-id");
        Directory.Delete(_directory, recursive: true);
        Directory.CreateDirectory(_directory);
        byte[] record = new byte[LegacyBlockJournal.RecordSize];
        LegacyBlockJournal.Encode(new LegacyBlockJournal.Record(LegacyBlockJournal.Kind.State, 80, 0, version, Crc32C.Compute(data), data.Length), record);
        File.WriteAllBytes(Path.Combine(_directory, "blockmap.journal"), record);

        var fresh = new Metadata.InMemoryMetadataStore();
        await using (CachedPayloadStore store = CacheTestSupport.Open(CacheTestSupport.Options(_directory, Bs), CacheTestSupport.ObjectStore(moto.Endpoint, _bucket), fresh))
        {
            Assert.Equal(data, await ReadAll(store, 80, data.Length));
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            Assert.NotNull(store.FilesystemId);
        }
        Assert.Equal(new Metadata.BlockRecord(version, Crc32C.Compute(data), data.Length, false), await fresh.GetBlockAsync(80, 0));
        Assert.False(File.Exists(Path.Combine(_directory, "blockmap.journal")));
        Assert.Single(Keys(80)); // the sweep kept the migrated object
    }

    [Fact]
    public async Task StartUpSweepDeletesObjectsTheMapDoesNotReference()
    {
        await using (CachedPayloadStore store = Open())
        {
            await store.WriteAsync(14, 0, new ReadOnlySequence<byte>(Random(Bs, 10)));
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        string orphan = "fs/" + ObjectKeys.Format(99, 0, 1);
        using (var client = moto.Client())
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = orphan, InputStream = new MemoryStream(new byte[3]) });
            await client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "fs/not-ours", InputStream = new MemoryStream(new byte[3]) });
        }
        await using (CachedPayloadStore store = Open())
        {
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
        }
        List<string> keys = moto.ListKeys(_bucket);
        Assert.DoesNotContain(orphan, keys);
        Assert.Contains("fs/not-ours", keys);
        Assert.Single(Keys(14));
    }
}
