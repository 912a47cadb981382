using DittoFs.Storage.Cache;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Tests.Faster;

using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>
/// CLONE against a model: random writes, clones (aligned, sharing objects), copies (unaligned), truncates,
/// deletes and uploads/GC over a few files. After every step each file reads as the model says; once
/// uploads and deletes settle, every object a block record names is in the bucket (nothing named is ever
/// deleted) and every data object in the bucket is named (nothing leaks).
/// </summary>
public abstract class CloneModelTests : FileSystemTestBase
{
    private const int Bs = 4096;
    private const int Files = 4;
    private const int MaxBlocks = 12;
    private readonly MemoryObjectStore _objects = new();
    private CachedPayloadStore _cache = null!;

    protected abstract bool Pack { get; }

    protected override IPayloadStore CreatePayload(string directory) =>
        _cache = CacheTestSupport.Open(CacheTestSupport.Options(directory, Bs, blocks: 96, pack: Pack) with
        {
            FlushIdle = TimeSpan.FromMilliseconds(5),
            SegmentWait = TimeSpan.FromMilliseconds(5),
            CompleteSettle = TimeSpan.FromMilliseconds(1),
            CompactBelow = 0.5,
        }, _objects, Store);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ClonesWritesAndGcNeverLoseANamedObjectAndAlwaysReadTheModel(int seed)
    {
        var random = new Random(seed);
        var ids = new FileId[Files];
        var model = new List<byte>[Files];
        for (int f = 0; f < Files; f++)
        {
            ids[f] = (await CreateAsync(Root, "f" + f)).Id;
            model[f] = [];
        }
        var history = new List<string>();
        ulong shared = 0;
        for (int step = 0; step < 160; step++)
        {
            int op = random.Next(100);
            int a = random.Next(Files), b = random.Next(Files);
            string what;
            if (op < 30)
            {
                int offset = random.Next(MaxBlocks * Bs - 1);
                byte[] data = new byte[random.Next(1, Math.Min(3 * Bs, MaxBlocks * Bs - offset))];
                random.NextBytes(data);
                what = $"write f{a} @{offset} +{data.Length}";
                await Retry(async () => (await WriteAsync(ids[a], (ulong)offset, data)).Status);
                Put(model[a], offset, data);
            }
            else if (op < 60)
            {
                // CLONE: aligned, to the source's end or whole blocks; the same file only without overlap.
                int srcBlocks = (model[a].Count + Bs - 1) / Bs;
                if (srcBlocks == 0) continue;
                int sb = random.Next(srcBlocks);
                int db = random.Next(MaxBlocks);
                int count = random.Next(2) == 0 ? 0 : random.Next(1, srcBlocks - sb + 1) * Bs;
                int length = count == 0 ? model[a].Count - sb * Bs : Math.Min(count, model[a].Count - sb * Bs);
                if (count != 0 && sb * Bs + count > model[a].Count) count = 0; // to the end, unaligned
                if (a == b && sb * Bs < db * Bs + length && db * Bs < sb * Bs + length) continue;
                what = $"clone f{a} block {sb} -> f{b} block {db} count {count}";
                CloneResult r = await Fs.CloneAsync(RootCaller, ids[a], (ulong)(sb * Bs), ids[b], (ulong)(db * Bs), (ulong)count, aligned: true);
                Assert.True(r.Status == FsStatus.Ok, $"{what}: {r.Status}");
                Assert.Equal((ulong)length, r.Count);
                shared += r.Shared;
                Put(model[b], db * Bs, model[a].GetRange(sb * Bs, length).ToArray());
            }
            else if (op < 70)
            {
                // COPY: any offsets; whole blocks shared only where both sit at the same place in a block.
                if (model[a].Count == 0) continue;
                int so = random.Next(model[a].Count);
                int length = random.Next(1, model[a].Count - so + 1);
                int d = random.Next(Math.Max(1, MaxBlocks * Bs - length));
                if (a == b && so < d + length && d < so + length) continue;
                what = $"copy f{a} @{so} +{length} -> f{b} @{d}";
                CloneResult r = await Fs.CloneAsync(RootCaller, ids[a], (ulong)so, ids[b], (ulong)d, (ulong)length, aligned: false);
                Assert.True(r.Status == FsStatus.Ok, $"{what}: {r.Status}");
                Put(model[b], d, model[a].GetRange(so, length).ToArray());
            }
            else if (op < 80)
            {
                int size = random.Next(model[a].Count + 1);
                what = $"truncate f{a} to {size}";
                await Retry(() => SetAttrAsync(ids[a], new SetAttributes { Size = (ulong)size }));
                if (size < model[a].Count) model[a].RemoveRange(size, model[a].Count - size);
            }
            else if (op < 88)
            {
                what = $"delete f{a}";
                Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("f" + a), directoryOnly: false)).Status);
                string name = "f" + a;
                ids[a] = (await CreateAsync(Root, name)).Id;
                model[a] = [];
            }
            else
            {
                what = "settle";
                await SettleAndCheckBucketAsync(ids, history);
            }
            history.Add($"{step}: {what}");
            for (int f = 0; f < Files; f++)
            {
                byte[] got = await ReadAllAsync(ids[f]);
                Assert.True(model[f].Count == got.Length, $"step {step} ({what}): f{f} size {got.Length}, model {model[f].Count}");
                int diff = model[f].Zip(got).Select((p, i) => p.First == p.Second ? -1 : i).FirstOrDefault(i => i >= 0, -1);
                Assert.True(diff < 0, $"step {step} ({what}): f{f} differs at byte {diff}");
            }
        }
        await SettleAndCheckBucketAsync(ids, history);
        Assert.True(shared > 0, "no clone shared a block: the model exercised only copies");
    }

    private async Task SettleAndCheckBucketAsync(FileId[] ids, List<string> history)
    {
        string files = string.Join(", ", ids.Select((id, f) => $"f{f}=inode {id.Inode}"));
        // An upload's old object is queued for deletion only once the map naming the new one is durable,
        // a moment after the block is clean: a leak is one still there after a generous bound.
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            Assert.True(await _cache.WaitIdleAsync(TimeSpan.FromSeconds(60)), $"not idle: {_cache.DirtyBlocks} dirty, {_cache.PendingGarbage} garbage");
            var named = new HashSet<string>(StringComparer.Ordinal);
            foreach (FileId id in ids)
            {
                foreach (BlockEntry e in await Store.ListBlocksAsync(id.Inode, 0))
                {
                    BlockRecord r = e.Record;
                    if (r.Version == 0) continue;
                    named.Add(r.Packed ? ObjectKeys.Segment(r.Version)
                        : r.Shared ? ObjectKeys.Format(r.OriginInode, r.OriginBlock, r.Version)
                        : ObjectKeys.Format(id.Inode, e.Block, r.Version));
                }
            }
            var present = _objects.Keys.Where(k => ObjectKeys.TryParse(k, out _, out _, out _) || ObjectKeys.TryParseSegment(k, out _)).ToHashSet(StringComparer.Ordinal);
            string[] lost = [.. named.Except(present)], leaked = [.. present.Except(named)];
            Assert.True(lost.Length == 0, $"named objects deleted: {string.Join(" ", lost)}; {files}; after {string.Join("; ", history)}");
            if (leaked.Length == 0) return;
            Assert.True(DateTime.UtcNow < deadline, $"objects nothing names: {string.Join(" ", leaked)}; {files}; after {string.Join("; ", history)}");
            await Task.Delay(20);
        }
    }

    /// <summary>The cache may be full of dirty blocks (Delay): let uploads free room and try again.</summary>
    private async Task Retry(Func<Task<FsStatus>> step)
    {
        for (int attempt = 0; ; attempt++)
        {
            FsStatus status = await step();
            if (status == FsStatus.Ok) return;
            Assert.True(status == FsStatus.Delay && attempt < 100, $"status {status}");
            await _cache.WaitIdleAsync(TimeSpan.FromSeconds(10));
        }
    }

    private static void Put(List<byte> file, int offset, byte[] data)
    {
        while (file.Count < offset + data.Length) file.Add(0);
        for (int i = 0; i < data.Length; i++) file[offset + i] = data[i];
    }
}

public sealed class CloneModelInMemoryTests : CloneModelTests
{
    protected override bool Pack => false;
    protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore();
}

public sealed class CloneModelInMemoryPackedTests : CloneModelTests
{
    protected override bool Pack => true;
    protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore();
}

public sealed class CloneModelFasterTests : CloneModelTests, IDisposable
{
    private readonly FasterTempDir _dir = new();
    protected override bool Pack => true;
    protected override IMetadataStore CreateStore(string directory) => new DittoFs.Storage.Metadata.Faster.FasterMetadataStore(_dir.Options());
    public void Dispose() => _dir.Dispose();
}
