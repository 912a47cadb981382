using CsCheck;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>
/// Random model test of packing, compaction, deletes and overwrites against crashes: a few files
/// on a cache with tiny blocks, tiny segments and a disk tier smaller than the data (so packing,
/// compaction, dead-segment deletion and eviction all run in the background meanwhile), and a
/// metadata store whose changes become durable a few milliseconds after they are visible. Every
/// write is COMMITted, so after each step — including kill -9 (the cache directory as it was, the
/// metadata as far as it was durable) and the loss of the whole cache directory — each file reads
/// back the model's bytes. At each crash the durable block map is checked against the bucket:
/// every object or segment it names is there (GC never deleted a live block).
/// </summary>
public sealed class SegmentCrashModelTests(ITestOutputHelper output)
{
    private const int Files = 5;

    private static readonly Gen<SegmentOp> GenOp = SegmentModelRun.Ops(Files, 5, 700,
        (30, SegmentStep.Write), (6, SegmentStep.Truncate), (8, SegmentStep.Delete), (3, SegmentStep.Settle),
        (5, SegmentStep.Crash), (4, SegmentStep.CacheLoss));

    private sealed class Run : SegmentModelRun
    {
        private readonly bool _bucketDurability;
        private CrashableMetadataStore _metadata = new(TimeSpan.FromMilliseconds(4));
        private FencedObjectStore _objects;
        private CachedPayloadStore _store;
        private string _directory;

        public Run(bool bucketDurability) : base(Files)
        {
            _bucketDurability = bucketDurability;
            _directory = NewDirectory();
            _objects = new FencedObjectStore(Bucket);
            _store = Open();
        }

        public int Crashes { get; private set; }

        protected override CachedPayloadStore Store => _store;

        protected override IMetadataStore Metadata => _metadata;

        private CachedPayloadStore Open() => CacheTestSupport.Open(TinyOptions(_directory, 10) with
        {
            SegmentWait = TimeSpan.FromMilliseconds(2),
            SegmentInterval = TimeSpan.FromMilliseconds(3),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
            DataJournalBytes = 1 << 20,
            UploadOnFlush = _bucketDurability,
        }, _objects, _metadata);

        /// <summary>Every write is COMMITted: from there on it must survive.</summary>
        protected override bool Commits(SegmentOp op) => true;

        /// <summary>A disk tier full of data not yet uploaded answers busy (NFS: JUKEBOX): the client retries.</summary>
        protected override async Task Call(Func<Task> action)
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    await action();
                    return;
                }
                catch (StorageBusyException) when (attempt < 1000)
                {
                    await Task.Delay(5);
                }
            }
        }

        protected override async Task OnEvent(SegmentOp op)
        {
            switch (op.Kind)
            {
                case SegmentStep.Settle:
                    await CheckBucketHoldsTheMap(_metadata, "settled");
                    break;
                case SegmentStep.Crash:
                    await Task.Delay(op.Seed % 8); // mid-upload, mid-compaction, mid-delete
                    await CrashAsync(keepCache: true);
                    break;
                case SegmentStep.CacheLoss:
                    // Durability=Local: a COMMIT is on this disk only, so the cache is lost after the uploads.
                    if (!_bucketDurability) await WaitIdle();
                    await Task.Delay(op.Seed % 8);
                    await CrashAsync(keepCache: false);
                    break;
            }
        }

        /// <summary>kill -9: the process stops between two instructions; its cache directory stays (or is lost), its metadata is what was durable.</summary>
        private async Task CrashAsync(bool keepCache)
        {
            Crashes++;
            _objects.Fence();
            CrashableMetadataStore durable = _metadata.Crash();
            await CheckBucketHoldsTheMap(durable, keepCache ? "at a crash" : "at the loss of the cache");
            string next = NewDirectory();
            if (keepCache) CacheTestSupport.CopyDirectory(_directory, next);
            CachedPayloadStore dead = _store;
            try
            {
                await dead.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)); // it can no longer change anything
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
            }
            _directory = next;
            _metadata = durable;
            _objects = new FencedObjectStore(Bucket);
            _store = Open();
        }

        /// <summary>Every object the block map names is in the bucket, and every segment record's object too.</summary>
        private async Task CheckBucketHoldsTheMap(IMetadataStore metadata, string when)
        {
            var keys = Bucket.Keys.ToHashSet(StringComparer.Ordinal);
            for (int f = 0; f < Files; f++)
            {
                foreach (BlockEntry e in await metadata.ListBlocksAsync(Inode(f), 0))
                {
                    if (e.Record.Version == 0) continue;
                    string key = ObjectKeys.Of(Inode(f), e.Block, e.Record.Version, e.Record.Packed);
                    if (keys.Contains(key)) continue;
                    throw new InvalidOperationException($"{when}: block {e.Block} of file {f} names {key}, which is not in the bucket ({e.Record})");
                }
            }
        }
    }

    [Theory]
    [InlineData(false)] // Durability=Local: COMMIT durable on this disk, the bucket catches up
    [InlineData(true)] // Durability=Bucket: COMMIT returns once the bucket and the map naming it are durable
    public async Task CommittedBytesSurviveCrashesAndCacheLossAndGcNeverDeletesALiveBlock(bool bucketDurability)
    {
        int runs = 0, puts = 0, crashes = 0;
        await GenOp.Array[40].SampleAsync(async ops =>
        {
            await using var run = new Run(bucketDurability);
            await run.Steps(ops);
            await run.Apply(new SegmentOp(SegmentStep.CacheLoss, 0, 0, 0, 0));
            await run.CheckAll($"after the final loss of the cache of [{string.Join(", ", ops)}]");
            Interlocked.Increment(ref runs);
            Interlocked.Add(ref puts, run.Puts);
            Interlocked.Add(ref crashes, run.Crashes);
        }, iter: 8, threads: 1);
        output.WriteLine($"{runs} runs, {crashes} crashes, {puts} PUTs");
    }
}
