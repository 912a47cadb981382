using System.Diagnostics;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;
using DittoFs.Storage.Metadata.Shipping;
using DittoFs.Storage.Payload.S3;
using DittoFs.Storage.Tests.Faster;
using DittoFs.Storage.Tests.S3;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Storage.Tests.Shipping;

/// <summary>Metadata shipped to a real S3 (moto), the data directory lost, and rebuilt from the bucket alone.</summary>
[Collection(MotoCollection.Name)]
public sealed class MetadataShippingTests(MotoServer moto, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(90);
    private readonly FasterTempDir _dir = new();
    private readonly FasterTempDir _restored = new();

    public void Dispose()
    {
        _dir.Dispose();
        _restored.Dispose();
    }

    private S3ObjectStore Bucket(string bucket, string? endpoint = null) => new(new S3ObjectStoreOptions
    {
        Endpoint = endpoint ?? moto.Endpoint,
        Region = MotoServer.Region,
        Bucket = bucket,
        Prefix = "fs/",
        AccessKey = MotoServer.AccessKey,
        SecretKey = MotoServer.SecretKey,
        MaxErrorRetry = 0,
        Timeout = TimeSpan.FromSeconds(10),
    });

    private static ShippingOptions Ship(IObjectStore store, long snapshotWalBytes = 64L << 20) => new()
    {
        Store = store,
        Interval = TimeSpan.FromMilliseconds(200),
        SnapshotWalBytes = snapshotWalBytes,
        MaxSegmentBytes = 64 << 10,
        MaxBackoff = TimeSpan.FromMilliseconds(500),
    };

    private static List<(byte[] Key, byte[] Value)> Records(FasterMetadataStore store) =>
        // The superblock holds the inode counter as of the last checkpoint: it differs by design.
        [.. store.LiveRecords().Where(r => r.Key is not [6]).OrderBy(r => Convert.ToHexString(r.Key), StringComparer.Ordinal)];

    private static void AssertSameRecords(List<(byte[] Key, byte[] Value)> expected, List<(byte[] Key, byte[] Value)> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(Convert.ToHexString(expected[i].Key), Convert.ToHexString(actual[i].Key));
            Assert.Equal(expected[i].Value, actual[i].Value);
        }
    }

    private async Task<RestoreResult> RestoreAndCheckAsync(IObjectStore bucket, MetadataWorkload model, List<(byte[] Key, byte[] Value)> expected)
    {
        var result = await MetadataRestore.RestoreAsync(bucket, _restored.Options(), force: false);
        output.WriteLine($"restored: {result}");
        await using var store = await _restored.OpenAsync();
        Assert.Equal(0, store.ReplayedBatches); // the restore's checkpoint covers everything
        AssertSameRecords(expected, Records(store));
        await model.AssertMatchesAsync(store);
        return result;
    }

    [Fact]
    public async Task ShipAbandonRestore_EveryRecordReadsBackTheSame()
    {
        string name = moto.CreateBucket();
        await using var bucket = Bucket(name);
        var model = new MetadataWorkload(seed: 42);
        List<(byte[], byte[])> expected;
        var store = await _dir.OpenAsync(b =>
        {
            b.Shipping = Ship(bucket, snapshotWalBytes: 128 << 10);
            b.CompactMinLogBytes = 256 << 10; // compactions between snapshots too
        });
        try
        {
            await model.InitAsync(store);
            for (int i = 0; i < 4_000; i++)
            {
                await model.StepAsync(store);
                if (i % 1_000 == 999) await store.CheckpointAsync(); // truncates the local WAL: only what was shipped may go
                if (i % 700 == 0) await store.WaitShippedAsync(model.LastPosition).AsTask().WaitAsync(Generous);
            }
            await store.WaitShippedAsync(model.LastPosition).AsTask().WaitAsync(Generous);
            expected = Records(store);
            Assert.True(store.Compactions > 0);
            output.WriteLine($"{model.Inodes} inodes, {expected.Count} records, {store.Compactions} compactions; shipped {store.Shipper!.BytesShipped} bytes, {store.Shipper.Failures} failures");
        }
        finally
        {
            await store.AbandonAsync(); // kill -9: no final commit, checkpoint or shipping round
        }
        _dir.Dispose(); // the instance and its disk are gone

        var keys = moto.ListKeys(name, "fs/meta/");
        output.WriteLine(string.Join("\n", keys));
        // Newer snapshots replaced older ones: one snapshot left, and no segment it covers.
        Assert.Single(keys.Where(k => k.StartsWith("fs/meta/snapshots/", StringComparison.Ordinal)).Select(k => k[..k.LastIndexOf('/')]).Distinct());

        var result = await RestoreAndCheckAsync(bucket, model, expected);
        Assert.True(result.SnapshotRecords > 0);
        Assert.True(result.Covered > 0, "a later snapshot than the first, empty one was published");
    }

    [Fact]
    public async Task WaitShipped_CompletesOnlyOnceTheBucketHoldsTheChange()
    {
        string name = moto.CreateBucket();
        await using var bucket = Bucket(name);
        var model = new MetadataWorkload(seed: 7);
        List<(byte[], byte[])> expected;
        // A long interval: only WaitShippedAsync makes the shipper go now.
        var store = await _dir.OpenAsync(b => b.Shipping = new ShippingOptions { Store = bucket, Interval = TimeSpan.FromMinutes(10), MaxBackoff = TimeSpan.FromMilliseconds(200) });
        try
        {
            await model.InitAsync(store);
            for (int i = 0; i < 300; i++) await model.StepAsync(store);
            await store.WaitShippedAsync(model.LastPosition).AsTask().WaitAsync(Generous);
            Assert.True(store.Shipper!.ShippedAddress >= model.LastPosition);
            expected = Records(store);
        }
        finally
        {
            await store.AbandonAsync();
        }
        _dir.Dispose();
        await RestoreAndCheckAsync(bucket, model, expected);
    }

    [Fact]
    public async Task LagStaysBoundedWhileWriting()
    {
        string name = moto.CreateBucket();
        await using var bucket = Bucket(name);
        var model = new MetadataWorkload(seed: 3);
        await using var store = await _dir.OpenAsync(b => b.Shipping = Ship(bucket));
        await model.InitAsync(store);
        await store.WaitShippedAsync(model.LastPosition).AsTask().WaitAsync(Generous);

        double maxLag = 0;
        long maxLagBytes = 0;
        int batches = 0;
        var watch = Stopwatch.StartNew();
        long nextSample = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await model.StepAsync(store);
            await store.WaitDurableAsync(model.LastPosition); // as NFS does: durable locally, shipped in the background
            batches++;
            if (watch.ElapsedMilliseconds >= nextSample)
            {
                maxLag = Math.Max(maxLag, store.Shipper!.LagSeconds);
                maxLagBytes = Math.Max(maxLagBytes, store.Shipper.LagBytes);
                nextSample = watch.ElapsedMilliseconds + 50;
            }
        }
        output.WriteLine($"{batches} batches in {watch.Elapsed.TotalSeconds:F1} s; max lag {maxLag:F3} s, {maxLagBytes} bytes; shipped {store.Shipper!.BytesShipped} bytes");
        // Interval 200 ms plus a PUT to a local moto: far below this unless shipping stalls.
        Assert.True(maxLag < 5, $"ship lag reached {maxLag:F1} s");
        Assert.True(maxLagBytes > 0, "the lag was sampled while changes were in flight");
        await store.WaitShippedAsync(model.LastPosition).AsTask().WaitAsync(Generous);
        Assert.Equal(0, store.Shipper.LagBytes);
    }

    [Fact]
    public async Task FailingBucket_GrowsTheLagOnly_ThenCatchesUpWithoutAGap()
    {
        string name = moto.CreateBucket();
        using var proxy = new FaultProxy(moto.Port);
        await using var viaProxy = Bucket(name, proxy.Endpoint);
        await using var direct = Bucket(name);
        var model = new MetadataWorkload(seed: 99);
        List<(byte[], byte[])> expected;
        var store = await _dir.OpenAsync(b => b.Shipping = Ship(viaProxy, snapshotWalBytes: 64 << 10));
        try
        {
            await model.InitAsync(store);
            for (int i = 0; i < 500; i++) await model.StepAsync(store);
            await store.WaitShippedAsync(model.LastPosition).AsTask().WaitAsync(Generous);
            long shippedBefore = store.Shipper!.ShippedAddress;

            proxy.Inject(S3Fault.InternalError);
            var writing = Stopwatch.StartNew();
            for (int i = 0; i < 1_500; i++)
            {
                await model.StepAsync(store);
                if (i % 100 == 0) await store.WaitDurableAsync(model.LastPosition).AsTask().WaitAsync(Generous); // never waits for the bucket
                if (i == 700) await store.CheckpointAsync(); // must keep the unshipped WAL
            }
            await store.WaitDurableAsync(model.LastPosition);
            var waiting = store.WaitShippedAsync(model.LastPosition).AsTask();
            await Task.Delay(1_500);
            output.WriteLine($"while failing: {writing.Elapsed.TotalSeconds:F1} s of writes, lag {store.Shipper.LagSeconds:F1} s / {store.Shipper.LagBytes} bytes, {store.Shipper.Failures} failed rounds, {proxy.Faulted} faulted requests");
            Assert.False(waiting.IsCompleted);
            Assert.True(store.Shipper.Failures > 0);
            Assert.Equal(shippedBefore, store.Shipper.ShippedAddress);
            Assert.True(store.Shipper.LagBytes > 0);
            Assert.True(store.WalBeginAddress <= store.Shipper.ShippedAddress, "the checkpoint truncated WAL that was never shipped");

            proxy.Heal();
            await waiting.WaitAsync(Generous);
            expected = Records(store);
        }
        finally
        {
            await store.AbandonAsync();
        }
        _dir.Dispose();

        // The chain is contiguous from the published snapshot on (RestoreAsync also refuses a gap).
        var result = await RestoreAndCheckAsync(direct, model, expected);
        var segments = moto.ListKeys(name, $"fs/meta/wal/{result.Chain}/").Select(k => k[(k.LastIndexOf('/') + 1)..].Split('-'))
            .Select(p => (From: Convert.ToInt64(p[0], 16), To: Convert.ToInt64(p[1], 16))).OrderBy(s => s.From).ToList();
        Assert.NotEmpty(segments);
        for (int i = 1; i < segments.Count; i++) Assert.Equal(segments[i - 1].To, segments[i].From);
        Assert.True(segments[0].From <= result.Covered);
    }

    [Fact]
    public async Task Restore_RefusesANonEmptyDirectory_UnlessForced_AndAnEmptyBucket()
    {
        string name = moto.CreateBucket();
        await using var bucket = Bucket(name);
        await Assert.ThrowsAsync<InvalidOperationException>(() => MetadataRestore.RestoreAsync(bucket, _restored.Options(), force: false));
        Assert.False(await MetadataRestore.ExistsAsync(bucket));

        var model = new MetadataWorkload(seed: 5);
        await using (var store = await _dir.OpenAsync(b => b.Shipping = Ship(bucket)))
        {
            await model.InitAsync(store);
            for (int i = 0; i < 50; i++) await model.StepAsync(store);
            await store.WaitShippedAsync(model.LastPosition).AsTask().WaitAsync(Generous);
        }
        Assert.True(await MetadataRestore.ExistsAsync(bucket));
        // The original directory still has its store: refused, untouched.
        await Assert.ThrowsAsync<InvalidOperationException>(() => MetadataRestore.RestoreAsync(bucket, _dir.Options(), force: false));
        await using (var store = await _dir.OpenAsync()) await model.AssertMatchesAsync(store);
        var result = await MetadataRestore.RestoreAsync(bucket, _dir.Options(), force: true);
        Assert.True(result.SnapshotRecords + result.Batches > 0);
        await using (var store = await _dir.OpenAsync()) await model.AssertMatchesAsync(store);
    }
}
