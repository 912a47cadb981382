using System.Buffers;
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
    private const int Bs = 4096;
    private const int Files = 5;

    private enum Kind { Write, Truncate, Delete, Settle, Crash, CacheLoss }

    private sealed record Op(Kind Kind, int File, int Offset, int Length, byte Seed)
    {
        public override string ToString() => $"{Kind}(f{File} @{Offset}+{Length} s{Seed})";
    }

    private static readonly Gen<Op> GenOp = Gen.Select(
        Gen.Frequency((30, Gen.Const(Kind.Write)), (6, Gen.Const(Kind.Truncate)), (8, Gen.Const(Kind.Delete)), (3, Gen.Const(Kind.Settle)),
            (5, Gen.Const(Kind.Crash)), (4, Gen.Const(Kind.CacheLoss))),
        Gen.Int[0, Files - 1], Gen.Int[0, 3 * Bs], Gen.Frequency((5, Gen.Int[1, 700]), (1, Gen.Int[1, 2 * Bs])), Gen.Byte,
        (k, f, o, l, s) => new Op(k, f, o, l, s));

    private sealed class Run : IAsyncDisposable
    {
        private readonly bool _bucketDurability;
        private readonly MemoryObjectStore _bucket = new();
        private readonly byte[]?[] _model = new byte[Files][];
        private readonly List<string> _directories = [];
        private CrashableMetadataStore _metadata = new(TimeSpan.FromMilliseconds(4));
        private FencedObjectStore _objects;
        private CachedPayloadStore _store;
        private string _directory;

        public Run(bool bucketDurability)
        {
            _bucketDurability = bucketDurability;
            _directory = NewDirectory();
            _objects = new FencedObjectStore(_bucket);
            _store = Open();
        }

        public int Crashes { get; private set; }

        private string NewDirectory()
        {
            string directory = CacheTestSupport.TempDirectory();
            _directories.Add(directory);
            return directory;
        }

        private CachedPayloadStore Open() => CacheTestSupport.Open(CacheTestSupport.Options(_directory, Bs, 10, pack: true) with
        {
            FlushIdle = TimeSpan.FromMilliseconds(5),
            CompleteSettle = TimeSpan.FromMilliseconds(2),
            SegmentWait = TimeSpan.FromMilliseconds(2),
            SegmentInterval = TimeSpan.FromMilliseconds(3),
            SegmentBytes = 3 * 1024,
            CompactBelow = 0.6,
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
            DataJournalBytes = 1 << 20,
            UploadOnFlush = _bucketDurability,
        }, _objects, _metadata);

        private static ulong Inode(int file) => 100 + (ulong)file;

        /// <summary>A disk tier full of data not yet uploaded answers busy (NFS: JUKEBOX): the client retries.</summary>
        private static async Task Retry(Func<Task> action)
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

        public async Task Apply(Op op)
        {
            byte[] current = _model[op.File] ?? [];
            ulong inode = Inode(op.File);
            switch (op.Kind)
            {
                case Kind.Write:
                {
                    byte[] data = new byte[op.Length];
                    new Random(op.Seed).NextBytes(data);
                    await Retry(async () => await _store.WriteAsync(inode, (ulong)op.Offset, new ReadOnlySequence<byte>(data)));
                    await Retry(async () => await _store.FlushAsync(inode)); // COMMIT: from here on it must survive
                    byte[] next = new byte[Math.Max(current.Length, op.Offset + op.Length)];
                    current.CopyTo(next, 0);
                    data.CopyTo(next, op.Offset);
                    _model[op.File] = next;
                    break;
                }
                case Kind.Truncate:
                {
                    int size = Math.Min(op.Offset, current.Length); // shrink only: the filesystem, not the payload store, extends
                    await Retry(async () => await _store.TruncateAsync(inode, (ulong)size));
                    _model[op.File] = current[..size];
                    break;
                }
                case Kind.Delete:
                    await Retry(async () => await _store.DeleteAsync(inode));
                    _model[op.File] = null;
                    break;
                case Kind.Settle:
                    Assert.True(await _store.WaitIdleAsync(TimeSpan.FromSeconds(60)), "not idle");
                    await CheckBucketHoldsTheMap(_metadata, "settled");
                    break;
                case Kind.Crash:
                    await Task.Delay(op.Seed % 8); // mid-upload, mid-compaction, mid-delete
                    await CrashAsync(keepCache: true);
                    break;
                case Kind.CacheLoss:
                    // Durability=Local: a COMMIT is on this disk only, so the cache is lost after the uploads.
                    if (!_bucketDurability) Assert.True(await _store.WaitIdleAsync(TimeSpan.FromSeconds(60)), "not idle");
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
            _objects = new FencedObjectStore(_bucket);
            _store = Open();
        }

        /// <summary>Every object the block map names is in the bucket, and every segment record's object too.</summary>
        private async Task CheckBucketHoldsTheMap(IMetadataStore metadata, string when)
        {
            var keys = _bucket.Keys.ToHashSet(StringComparer.Ordinal);
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

        public async Task CheckAll(string when)
        {
            for (int f = 0; f < Files; f++)
            {
                byte[] want = _model[f] ?? [];
                byte[] got = new byte[want.Length];
                try
                {
                    await _store.ReadAsync(Inode(f), 0, got);
                }
                catch (IOException e)
                {
                    throw new InvalidOperationException($"file {f} unreadable {when}: {e.Message}", e);
                }
                int at = want.AsSpan().CommonPrefixLength(got);
                if (at < want.Length)
                {
                    var records = await _metadata.ListBlocksAsync(Inode(f), 0);
                    string map = string.Join("; ", records.Select(e => $"{e.Block}: {e.Record}"));
                    throw new InvalidOperationException($"file {f} differs at byte {at} of {want.Length} {when}; map {map}");
                }
            }
        }

        public int Puts => _bucket.Puts;

        public async ValueTask DisposeAsync()
        {
            await _store.DisposeAsync();
            await _metadata.DisposeAsync();
            foreach (string directory in _directories)
            {
                try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
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
            for (int i = 0; i < ops.Length; i++)
            {
                await run.Apply(ops[i]);
                await run.CheckAll($"after step {i} {ops[i]} of [{string.Join(", ", ops.Take(i + 1))}]");
            }
            await run.Apply(new Op(Kind.CacheLoss, 0, 0, 0, 0));
            await run.CheckAll($"after the final loss of the cache of [{string.Join(", ", ops)}]");
            Interlocked.Increment(ref runs);
            Interlocked.Add(ref puts, run.Puts);
            Interlocked.Add(ref crashes, run.Crashes);
        }, iter: 8, threads: 1);
        output.WriteLine($"{runs} runs, {crashes} crashes, {puts} PUTs");
    }
}
