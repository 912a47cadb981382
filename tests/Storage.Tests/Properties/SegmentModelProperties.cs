using System.Buffers;
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
    private const int Bs = 4096;
    private const int Files = 6;

    private enum Kind { Write, Truncate, Delete, Settle, ColdRestart }

    private sealed record Op(Kind Kind, int File, int Offset, int Length, byte Seed)
    {
        public override string ToString() => $"{Kind}(f{File} @{Offset}+{Length} s{Seed})";
    }

    private static readonly Gen<Op> GenOp = Gen.Select(
        Gen.Frequency((30, Gen.Const(Kind.Write)), (8, Gen.Const(Kind.Truncate)), (10, Gen.Const(Kind.Delete)), (6, Gen.Const(Kind.Settle)), (3, Gen.Const(Kind.ColdRestart))),
        Gen.Int[0, Files - 1], Gen.Int[0, 3 * Bs], Gen.Frequency((4, Gen.Int[1, 600]), (1, Gen.Int[1, 2 * Bs])), Gen.Byte,
        (k, f, o, l, s) => new Op(k, f, o, l, s));

    private sealed class Run : IAsyncDisposable
    {
        private readonly string _directory = CacheTestSupport.TempDirectory();
        private readonly InMemoryMetadataStore _metadata = new();
        private readonly MemoryObjectStore _objects = new();
        private readonly byte[]?[] _model = new byte[Files][];
        private CachedPayloadStore _store;

        public Run() => _store = Open();

        private CachedPayloadStore Open() => CacheTestSupport.Open(CacheTestSupport.Options(_directory, Bs, 256, pack: true) with
        {
            FlushIdle = TimeSpan.FromMilliseconds(5),
            CompleteSettle = TimeSpan.FromMilliseconds(2),
            SegmentWait = TimeSpan.FromMilliseconds(5),
            SegmentBytes = 3 * 1024,
            CompactBelow = 0.6,
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        }, _objects, _metadata);

        private static ulong Inode(int file) => 100 + (ulong)file;

        public async Task Apply(Op op)
        {
            byte[] current = _model[op.File] ?? [];
            switch (op.Kind)
            {
                case Kind.Write:
                {
                    byte[] data = new byte[op.Length];
                    new Random(op.Seed).NextBytes(data);
                    await _store.WriteAsync(Inode(op.File), (ulong)op.Offset, new ReadOnlySequence<byte>(data));
                    if (op.Seed % 3 == 0) await _store.FlushAsync(Inode(op.File));
                    byte[] next = new byte[Math.Max(current.Length, op.Offset + op.Length)];
                    current.CopyTo(next, 0);
                    data.CopyTo(next, op.Offset);
                    _model[op.File] = next;
                    break;
                }
                case Kind.Truncate:
                {
                    int size = Math.Min(op.Offset, current.Length); // shrink only: the filesystem, not the payload store, extends
                    await _store.TruncateAsync(Inode(op.File), (ulong)size);
                    _model[op.File] = current[..size];
                    break;
                }
                case Kind.Delete:
                    await _store.DeleteAsync(Inode(op.File));
                    _model[op.File] = null;
                    break;
                case Kind.Settle:
                    Assert.True(await _store.WaitIdleAsync(TimeSpan.FromSeconds(60)), "not idle");
                    break;
                case Kind.ColdRestart:
                    Assert.True(await _store.WaitIdleAsync(TimeSpan.FromSeconds(60)), "not idle");
                    await _store.DisposeAsync();
                    Directory.Delete(_directory, recursive: true); // from here on, bytes come from the bucket only
                    _store = Open();
                    break;
            }
        }

        public async Task CheckAll(string when)
        {
            for (int f = 0; f < Files; f++)
            {
                byte[] want = _model[f] ?? [];
                byte[] got = new byte[want.Length];
                await _store.ReadAsync(Inode(f), 0, got);
                int at = want.AsSpan().CommonPrefixLength(got);
                if (at < want.Length)
                {
                    var records = await _metadata.ListBlocksAsync(Inode(f), 0);
                    string map = string.Join("; ", records.Select(e => $"{e.Block}: {e.Record} in bucket {_objects.Keys.Contains(ObjectKeys.Of(Inode(f), e.Block, e.Record.Version, e.Record.Packed))}"));
                    throw new InvalidOperationException($"file {f} differs at byte {at} of {want.Length} {when}; map {map}");
                }
            }
        }

        /// <summary>Settled: every segment the bucket holds is named by a segment record (dead ones were deleted).</summary>
        public async Task CheckNoDeadSegments()
        {
            Assert.True(await _store.WaitIdleAsync(TimeSpan.FromSeconds(60)), "not idle");
            foreach (string key in _objects.Keys)
            {
                if (ObjectKeys.TryParseSegment(key, out ulong segment) && await _metadata.GetSegmentAsync(segment) is null)
                {
                    throw new InvalidOperationException($"segment {key} is in the bucket with no record");
                }
            }
        }

        public int Puts => _objects.Puts;

        public async ValueTask DisposeAsync()
        {
            await _store.DisposeAsync();
            try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task GcOfSegmentsNeverLosesALiveBlock()
    {
        int runs = 0, puts = 0;
        await GenOp.Array[40].SampleAsync(async ops =>
        {
            await using var run = new Run();
            for (int i = 0; i < ops.Length; i++)
            {
                await run.Apply(ops[i]);
                await run.CheckAll($"after step {i} {ops[i]} of [{string.Join(", ", ops.Take(i + 1))}]");
            }
            await run.CheckNoDeadSegments();
            await run.Apply(new Op(Kind.ColdRestart, 0, 0, 0, 0));
            await run.CheckAll("after the final cold restart");
            Interlocked.Increment(ref runs);
            Interlocked.Add(ref puts, run.Puts);
        }, iter: 8, threads: 1);
        output.WriteLine($"{runs} runs, {puts} PUTs");
    }
}
