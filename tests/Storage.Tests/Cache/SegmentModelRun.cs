using System.Buffers;
using CsCheck;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Metadata;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>The steps of a segment model test: the file operations, and the events a test adds to them.</summary>
internal enum SegmentStep { Write, Truncate, Delete, Settle, Crash, CacheLoss, ColdRestart }

/// <summary>One step: a write of <see cref="Length"/> bytes of seed <see cref="Seed"/>, a truncate to <see cref="Offset"/>, a delete, or an event.</summary>
internal sealed record SegmentOp(SegmentStep Kind, int File, int Offset, int Length, byte Seed)
{
    public override string ToString() => $"{Kind}(f{File} @{Offset}+{Length} s{Seed})";
}

/// <summary>
/// What the segment model tests share: a few files on a cache with tiny blocks and tiny segments over an in-memory
/// bucket (so packing, compaction and dead-segment deletion all run in the background meanwhile), the bytes each
/// file should read, and the check that every file reads them. A test's run opens the cache with its own options
/// and adds its own events (crashes, restarts, checks of the bucket).
/// </summary>
internal abstract class SegmentModelRun : IAsyncDisposable
{
    public const int Bs = 4096;

    private readonly byte[]?[] _model;
    private readonly List<string> _directories = [];

    protected SegmentModelRun(int files) => _model = new byte[files][];

    /// <summary>Writes (a short one, <paramref name="smallWeight"/> to 1, or up to two blocks), truncates, deletes and the events <paramref name="kinds"/> weighs.</summary>
    public static Gen<SegmentOp> Ops(int files, int smallWeight, int smallMax, params (int Weight, SegmentStep Kind)[] kinds) => Gen.Select(
        Gen.Frequency(kinds.Select(k => (k.Weight, (IGen<SegmentStep>)Gen.Const(k.Kind))).ToArray()),
        Gen.Int[0, files - 1], Gen.Int[0, 3 * Bs], Gen.Frequency((smallWeight, Gen.Int[1, smallMax]), (1, Gen.Int[1, 2 * Bs])), Gen.Byte,
        (k, f, o, l, s) => new SegmentOp(k, f, o, l, s));

    /// <summary>The tiny cache: blocks of <see cref="Bs"/>, segments of 3 KiB compacted below 60% live, uploads soon after a write.</summary>
    protected static BlockCacheOptions TinyOptions(string directory, int blocks) => CacheTestSupport.Options(directory, Bs, blocks, pack: true) with
    {
        FlushIdle = TimeSpan.FromMilliseconds(5),
        CompleteSettle = TimeSpan.FromMilliseconds(2),
        SegmentBytes = 3 * 1024,
        CompactBelow = 0.6,
    };

    protected static ulong Inode(int file) => 100 + (ulong)file;

    protected MemoryObjectStore Bucket { get; } = new();

    protected abstract CachedPayloadStore Store { get; }

    protected abstract IMetadataStore Metadata { get; }

    public int Puts => Bucket.Puts;

    /// <summary>A new cache directory, deleted with the run.</summary>
    protected string NewDirectory()
    {
        string directory = CacheTestSupport.TempDirectory();
        _directories.Add(directory);
        return directory;
    }

    /// <summary>Whether the write is COMMITted at once.</summary>
    protected abstract bool Commits(SegmentOp op);

    /// <summary>One call of the store (a run whose disk tier may fill retries when it is busy).</summary>
    protected virtual Task Call(Func<Task> action) => action();

    /// <summary>The test's own steps: <see cref="SegmentStep.Settle"/> once the cache is idle, and the other events.</summary>
    protected abstract Task OnEvent(SegmentOp op);

    public async Task Apply(SegmentOp op)
    {
        byte[] current = _model[op.File] ?? [];
        ulong inode = Inode(op.File);
        switch (op.Kind)
        {
            case SegmentStep.Write:
            {
                byte[] data = new byte[op.Length];
                new Random(op.Seed).NextBytes(data);
                await Call(async () => await Store.WriteAsync(inode, (ulong)op.Offset, new ReadOnlySequence<byte>(data)));
                if (Commits(op)) await Call(async () => await Store.FlushAsync(inode));
                byte[] next = new byte[Math.Max(current.Length, op.Offset + op.Length)];
                current.CopyTo(next, 0);
                data.CopyTo(next, op.Offset);
                _model[op.File] = next;
                break;
            }
            case SegmentStep.Truncate:
            {
                int size = Math.Min(op.Offset, current.Length); // shrink only: the filesystem, not the payload store, extends
                await Call(async () => await Store.TruncateAsync(inode, (ulong)size));
                _model[op.File] = current[..size];
                break;
            }
            case SegmentStep.Delete:
                await Call(async () => await Store.DeleteAsync(inode));
                _model[op.File] = null;
                break;
            case SegmentStep.Settle:
                await WaitIdle();
                await OnEvent(op);
                break;
            default:
                await OnEvent(op);
                break;
        }
    }

    protected async Task WaitIdle() => Assert.True(await Store.WaitIdleAsync(TimeSpan.FromSeconds(60)), "not idle");

    /// <summary>Each step, then every file read back.</summary>
    public async Task Steps(SegmentOp[] ops)
    {
        for (int i = 0; i < ops.Length; i++)
        {
            await Apply(ops[i]);
            await CheckAll($"after step {i} {ops[i]} of [{string.Join(", ", ops.Take(i + 1))}]");
        }
    }

    /// <summary>Every file reads the model's bytes; else the block map, each entry with whether the bucket has its object.</summary>
    public async Task CheckAll(string when)
    {
        for (int f = 0; f < _model.Length; f++)
        {
            byte[] want = _model[f] ?? [];
            byte[] got = new byte[want.Length];
            try
            {
                await Store.ReadAsync(Inode(f), 0, got);
            }
            catch (IOException e)
            {
                throw new InvalidOperationException($"file {f} unreadable {when}: {e.Message}", e);
            }
            int at = want.AsSpan().CommonPrefixLength(got);
            if (at < want.Length)
            {
                var records = await Metadata.ListBlocksAsync(Inode(f), 0);
                var keys = Bucket.Keys.ToHashSet(StringComparer.Ordinal);
                string map = string.Join("; ", records.Select(e => $"{e.Block}: {e.Record} in bucket {keys.Contains(ObjectKeys.Of(Inode(f), e.Block, e.Record.Version, e.Record.Packed))}"));
                throw new InvalidOperationException($"file {f} differs at byte {at} of {want.Length} {when}; map {map}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await Metadata.DisposeAsync();
        foreach (string directory in _directories)
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }
}
