using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Amazon.S3;
using Amazon.S3.Model;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Diagnostics;
using DittoFs.Storage.Payload.S3;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>The operator hooks of the S3 payload store (flush, gc, readiness, inventory) and its metrics, on moto.</summary>
[Collection(MotoCollection.Name)]
public sealed class CachedPayloadStoreAdminTests(MotoServer moto) : IDisposable
{
    private const int Bs = 64 * 1024;
    private readonly string _directory = CacheTestSupport.TempDirectory();
    private readonly Metadata.InMemoryMetadataStore _metadata = new();
    private readonly string _bucket = moto.CreateBucket();
    private readonly TestMeterFactory _meters = new();

    public void Dispose()
    {
        _meters.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>Nothing uploads on its own (idle and settle times of an hour): only a drain does.</summary>
    private CachedPayloadStore Open(StorageMetrics? metrics, string? endpoint = null) => CacheTestSupport.Open(
        CacheTestSupport.Options(_directory, Bs) with { FlushIdle = TimeSpan.FromHours(1), CompleteSettle = TimeSpan.FromHours(1), Metrics = metrics },
        new S3ObjectStore(new S3ObjectStoreOptions
        {
            Endpoint = endpoint ?? moto.Endpoint,
            Region = MotoServer.Region,
            Bucket = _bucket,
            Prefix = "fs/",
            AccessKey = MotoServer.AccessKey,
            SecretKey = MotoServer.SecretKey,
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(10),
            Metrics = metrics,
        }), _metadata);

    private HashSet<ulong> UploadedBlocks(ulong inode)
    {
        var blocks = new HashSet<ulong>();
        foreach (string key in moto.ListKeys(_bucket, "fs/" + ObjectKeys.InodePrefix(inode)))
        {
            Assert.True(ObjectKeys.TryParse(key["fs/".Length..], out _, out ulong block, out _), key);
            blocks.Add(block);
        }
        return blocks;
    }

    [Fact]
    public async Task FlushUploadsEveryBlockOfUnstableDataAndTheMetricsMove()
    {
        var metrics = new StorageMetrics(_meters);
        using var recorded = new RecordedMetrics(_meters);
        byte[] data = new byte[5 * Bs + 100];
        new Random(3).NextBytes(data);

        await using (CachedPayloadStore store = Open(metrics))
        {
            await store.Sweep;
            await store.WriteAsync(9, 0, new ReadOnlySequence<byte>(data)); // unstable: no COMMIT
            var flush = (IFlushControl)store;
            Assert.Equal(new FlushBacklog(6, 6L * Bs), flush.Backlog);
            Assert.Empty(UploadedBlocks(9));
            Assert.Equal(6 * Bs, recorded.Sum("dittofs.cache.dirty"));
            Assert.Equal(6, recorded.Sum("dittofs.flush.queue.blocks"));

            var reports = new ConcurrentQueue<FlushBacklog>();
            await flush.DrainAsync(new InlineProgress<FlushBacklog>(reports.Enqueue), new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

            Assert.Equal(new ulong[] { 0, 1, 2, 3, 4, 5 }, UploadedBlocks(9).Order());
            Assert.True(flush.Backlog.IsEmpty);
            Assert.Equal(6, reports.First().Blocks);
            Assert.True(reports.Last().IsEmpty);

            Assert.Equal(6, recorded.Sum("dittofs.flush.uploads"));
            Assert.Equal(data.Length, recorded.Sum("dittofs.flush.uploaded"));
            Assert.Equal(0, recorded.Sum("dittofs.cache.dirty"));
            Assert.Equal(0, recorded.Sum("dittofs.flush.queue.blocks"));
            Assert.Equal(0, recorded.Sum("dittofs.flush.queue"));
            Assert.Equal(6 * Bs, recorded.Sum("dittofs.cache.size"));
            Assert.True(recorded.Count("dittofs.s3.request.duration", "put") >= 6);
            Assert.True(recorded.Count("dittofs.s3.request.duration", "list") >= 1); // the start-up sweep

            byte[] got = new byte[Bs];
            await store.ReadAsync(9, 0, got);
            Assert.Equal(1, recorded.Sum("dittofs.cache.requests", "hit"));
            Assert.Equal(0, recorded.Sum("dittofs.cache.requests", "miss"));

            // The inventory `dittofs check` uses: the map's objects, listed in the bucket.
            Assert.Equal(new ulong[] { 0, 1, 2, 3, 4, 5 }, (await store.ListBlocksAsync(9, default)).Order());
            Assert.StartsWith("object ", store.DescribeBlock(9, 0));
        }
        Assert.Equal(0, recorded.Sum("dittofs.cache.size")); // a closed store gives its share back

        // Cold cache: every block is a miss, fetched by a GET.
        double getErrors = recorded.Sum("dittofs.s3.errors", "get"); // the first open's look for a filesystem id found none
        await using (CachedPayloadStore store = Open(metrics))
        {
            byte[] got = new byte[data.Length];
            await store.ReadAsync(9, 0, got);
            Assert.Equal(data, got);
            Assert.Equal(6, recorded.Sum("dittofs.cache.requests", "miss"));
            Assert.True(recorded.Count("dittofs.s3.request.duration", "get") >= 6);
            Assert.Equal(getErrors, recorded.Sum("dittofs.s3.errors", "get"));
        }
    }

    [Fact]
    public async Task GcDeletesUnreferencedObjectsNowAndKeepsTheMap()
    {
        await using CachedPayloadStore store = Open(metrics: null);
        await store.Sweep;
        byte[] data = new byte[2 * Bs];
        new Random(4).NextBytes(data);
        await store.WriteAsync(5, 0, new ReadOnlySequence<byte>(data));
        await store.DrainAsync(null, CancellationToken.None);
        List<string> live = moto.ListKeys(_bucket, "fs/");
        Assert.Equal(3, live.Count); // two blocks and the filesystem id

        // Leftovers no map references: an old version of block 0, a block of a deleted file.
        using (AmazonS3Client client = moto.Client())
        {
            foreach (string key in new[] { ObjectKeys.Format(5, 0, 1), ObjectKeys.Format(77, 3, 2) })
            {
                await client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "fs/" + key, ContentBody = "stale" });
            }
        }

        GcResult result = await store.CollectAsync(CancellationToken.None);
        Assert.Equal(5, result.Scanned);
        Assert.Equal(2, result.Removed);
        Assert.Equal(10, result.RemovedBytes);
        Assert.Equal(live.Order(), moto.ListKeys(_bucket, "fs/").Order());

        byte[] got = new byte[data.Length];
        await store.ReadAsync(5, 0, got);
        Assert.Equal(data, got);
    }

    [Fact]
    public async Task ProbeIsHealthyOnTheBucketAndNotOnADeadEndpoint()
    {
        await using (CachedPayloadStore store = Open(metrics: null))
        {
            Assert.Null(await store.ProbeAsync(CancellationToken.None));
        }
        var metrics = new StorageMetrics(_meters);
        using var recorded = new RecordedMetrics(_meters);
        await using (CachedPayloadStore dead = Open(metrics, endpoint: $"http://127.0.0.1:{MotoServer.FreePort()}"))
        {
            string? problem = await dead.ProbeAsync(CancellationToken.None);
            Assert.NotNull(problem);
            Assert.StartsWith("bucket unreachable", problem);
            Assert.True(recorded.Sum("dittofs.s3.errors", "list") >= 1);
        }
    }

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>Meters of this test only (its own factory), so parallel tests do not mix in.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
            lock (_meters) _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            lock (_meters) foreach (Meter m in _meters) m.Dispose();
        }
    }

    /// <summary>Sums and counts of every measurement, by instrument and (first) tag value.</summary>
    private sealed class RecordedMetrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string, string?), (double Sum, long Count)> _values = new();

        public RecordedMetrics(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == factory) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? tag = tags.Length > 0 ? tags[0].Value as string : null;
            _values.AddOrUpdate((instrument.Name, tag), (value, 1), (_, old) => (old.Sum + value, old.Count + 1));
        }

        public double Sum(string name, string? tag = null) => _values.TryGetValue((name, tag), out var v) ? v.Sum : 0;

        public long Count(string name, string? tag = null) => _values.TryGetValue((name, tag), out var v) ? v.Count : 0;

        public void Dispose() => _listener.Dispose();
    }
}
