using CsCheck;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Tests.Cache;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Storage.Tests.Properties;

/// <summary>
/// Model test of packing and segment GC: random writes, overwrites, truncates and deletes of a few
/// files on a cache with tiny blocks and tiny segments (so packing, compaction and dead-segment
/// deletion all run in the background meanwhile), and settles that wait for all of it, and cold
/// restarts that delete the cache directory. After every step each file reads back the model's
/// bytes; after a cold restart they come from the bucket alone, so a live block whose object
/// (or segment) had been deleted fails the test.
/// </summary>
public sealed class SegmentModelProperties(ITestOutputHelper output)
{
    private const int Files = 6;

    private static readonly Gen<SegmentOp> GenOp = SegmentModelRun.Ops(Files, 4, 600,
        (30, SegmentStep.Write), (8, SegmentStep.Truncate), (10, SegmentStep.Delete), (6, SegmentStep.Settle), (3, SegmentStep.ColdRestart));

    private sealed class Run : SegmentModelRun
    {
        private readonly InMemoryMetadataStore _metadata = new();
        private readonly string _directory;
        private CachedPayloadStore _store;

        public Run() : base(Files)
        {
            _directory = NewDirectory();
            _store = Open();
        }

        protected override CachedPayloadStore Store => _store;

        protected override IMetadataStore Metadata => _metadata;

        private CachedPayloadStore Open() => CacheTestSupport.Open(TinyOptions(_directory, 256) with
        {
            SegmentWait = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        }, Bucket, _metadata);

        protected override bool Commits(SegmentOp op) => op.Seed % 3 == 0;

        protected override async Task OnEvent(SegmentOp op)
        {
            if (op.Kind != SegmentStep.ColdRestart) return;
            await WaitIdle();
            await _store.DisposeAsync();
            Directory.Delete(_directory, recursive: true); // from here on, bytes come from the bucket only
            _store = Open();
        }

        /// <summary>Settled: every segment the bucket holds is named by a segment record (dead ones were deleted).</summary>
        public async Task CheckNoDeadSegments()
        {
            await WaitIdle();
            foreach (string key in Bucket.Keys)
            {
                if (ObjectKeys.TryParseSegment(key, out ulong segment) && await _metadata.GetSegmentAsync(segment) is null)
                {
                    throw new InvalidOperationException($"segment {key} is in the bucket with no record");
                }
            }
        }
    }

    [Fact]
    public async Task GcOfSegmentsNeverLosesALiveBlock()
    {
        int runs = 0, puts = 0;
        await GenOp.Array[40].SampleAsync(async ops =>
        {
            await using var run = new Run();
            await run.Steps(ops);
            await run.CheckNoDeadSegments();
            await run.Apply(new SegmentOp(SegmentStep.ColdRestart, 0, 0, 0, 0));
            await run.CheckAll("after the final cold restart");
            Interlocked.Increment(ref runs);
            Interlocked.Add(ref puts, run.Puts);
        }, iter: 8, threads: 1);
        output.WriteLine($"{runs} runs, {puts} PUTs");
    }
}
