using System.Buffers;
using System.Text;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Postgres;
using DittoFs.Storage.Tests.Cache;
using DittoFs.Storage.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using Npgsql;
using Xunit;

namespace DittoFs.Storage.Tests.Postgres;

/// <summary>
/// Two servers' storage (each its filesystem, block cache and cache directory) on one database and
/// one bucket (moto), with Durability=Bucket: object ids come from the database, so the two never name
/// the same object; and a file COMMITted through one reads back byte for byte through the other,
/// even when the other had cached an older copy of its blocks (close-to-open), asking the block map
/// once per read of many blocks, not once per block.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class PostgresSharedBucketTests(MotoServer moto, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int BlockSize = 16 * 1024;
    private string _connectionString = "";
    private FileSystem _a = null!, _b = null!;
    private PostgresMetadataStore _storeB = null!;
    private FileId _root;

    public async Task InitializeAsync()
    {
        if (PostgresServer.Unavailable is not null && Environment.GetEnvironmentVariable("CI") != "true") return; // the facts skip
        _connectionString = PostgresServer.Shared.CreateDatabase(maxPoolSize: 16);
        string bucket = moto.CreateBucket();
        (_a, _) = await OpenAsync(bucket);
        (_b, _storeB) = await OpenAsync(bucket);
        _root = (await _a.GetVolumeRootAsync("vol")).Value;
    }

    public async Task DisposeAsync()
    {
        if (_a is not null) await _a.DisposeAsync();
        if (_b is not null) await _b.DisposeAsync();
    }

    private async Task<(FileSystem, PostgresMetadataStore)> OpenAsync(string bucket)
    {
        var store = new PostgresMetadataStore(new PostgresMetadataStoreOptions { ConnectionString = _connectionString });
        await store.OpenAsync();
        BlockCacheOptions options = CacheTestSupport.Options(CacheTestSupport.TempDirectory(), BlockSize, blocks: 256, pack: true) with { UploadOnFlush = true };
        CachedPayloadStore payload = await CachedPayloadStore.OpenAsync(options, CacheTestSupport.ObjectStore(moto.Endpoint, bucket), store);
        return (await FileSystem.OpenAsync(store, payload, new FileSystemOptions { RootMode = 0x1FF }), store);
    }

    private static ReadOnlyMemory<byte> N(string name) => Encoding.UTF8.GetBytes(name);

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<FileId> CreateAsync(FileSystem fs, string name)
    {
        CreateResult r = await fs.CreateAsync(Caller.Root, _root, N(name), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Guarded });
        Assert.Equal(FsStatus.Ok, r.Status);
        return r.File.Id;
    }

    private static async Task WriteCommitAsync(FileSystem fs, FileId file, ulong offset, byte[] data)
    {
        Assert.Equal(FsStatus.Ok, (await fs.WriteAsync(Caller.Root, file, offset, new ReadOnlySequence<byte>(data), StableHow.Unstable)).Status);
        Assert.Equal(FsStatus.Ok, (await fs.CommitAsync(file, 0, 0)).Status);
    }

    private static async Task<byte[]> ReadAllAsync(FileSystem fs, FileId file)
    {
        FsResult<FileAttributes> attributes = await fs.GetAttributesAsync(file);
        Assert.Equal(FsStatus.Ok, attributes.Status);
        var buffer = new byte[attributes.Value.Size];
        ReadResult r = await fs.ReadAsync(Caller.Root, file, 0, buffer);
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(buffer.Length, r.Count);
        return buffer;
    }

    [PostgresFact]
    public async Task TwoServersWritingAtOnce_NeverNameTheSameObject_AndTheirIdsComeFromTheDatabase()
    {
        // Small files (packed into segments: ids drawn from the same counter) and whole blocks, from both at once.
        async Task<List<(FileId File, byte[] Data)>> Write(FileSystem fs, string prefix, int seed)
        {
            var written = new List<(FileId, byte[])>();
            for (int i = 0; i < 12; i++)
            {
                FileId file = await CreateAsync(fs, $"{prefix}{i}");
                byte[] data = Bytes(i % 3 == 0 ? 2 * BlockSize : 3000 + i, seed + i);
                await WriteCommitAsync(fs, file, 0, data);
                written.Add((file, data));
            }
            return written;
        }
        List<(FileId File, byte[] Data)>[] both = await Task.WhenAll(Task.Run(() => Write(_a, "a", 100)), Task.Run(() => Write(_b, "b", 200)));

        var keys = new List<string>();
        var segmentsOf = new Dictionary<ulong, HashSet<ulong>>(); // segment -> inodes named in it
        long sequence;
        await using (NpgsqlDataSource db = NpgsqlDataSource.Create(_connectionString))
        {
            await using (NpgsqlCommand last = db.CreateCommand("SELECT last_value FROM block_version_lease"))
            {
                sequence = (long)(await last.ExecuteScalarAsync())!;
            }
            await using NpgsqlCommand list = db.CreateCommand("SELECT inode, block, record FROM blocks");
            await using NpgsqlDataReader reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ulong inode = (ulong)reader.GetInt64(0), block = (ulong)reader.GetInt64(1);
                BlockRecord record = Metadata.Faster.BlockValue.Read((byte[])reader.GetValue(2));
                Assert.False(record.Dirty, $"inode {inode} block {block}: {record}");
                // Every id was handed out by the database sequence (leases of 1,024 up to its last value).
                Assert.InRange(record.Version, 1024UL, (ulong)sequence + PostgresMetadataStoreOptions.VersionLeaseSize - 1);
                if (record.Packed)
                {
                    if (!segmentsOf.TryGetValue(record.Version, out HashSet<ulong>? inodes)) segmentsOf[record.Version] = inodes = [];
                    inodes.Add(inode);
                }
                else
                {
                    keys.Add(ObjectKeys.Format(inode, block, record.Version));
                }
            }
        }
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.NotEmpty(segmentsOf);
        Assert.Equal(2 * (4 * 2 + 8), keys.Count + segmentsOf.Values.Sum(s => s.Count)); // per server: 4 two-block files, 8 small ones
        // A segment is one server's upload: it never names files of both.
        HashSet<ulong> ofA = both[0].Select(w => w.File.Inode).ToHashSet();
        Assert.All(segmentsOf, s => Assert.True(s.Value.All(ofA.Contains) || !s.Value.Any(ofA.Contains), $"segment {s.Key:x} names files of both servers"));

        // Each server reads the other's files back byte for byte (from the bucket: its cache never held them).
        foreach ((FileId file, byte[] data) in both[0]) Assert.Equal(data, await ReadAllAsync(_b, file));
        foreach ((FileId file, byte[] data) in both[1]) Assert.Equal(data, await ReadAllAsync(_a, file));
    }

    [PostgresFact]
    public async Task CommittedThroughA_ReadsBackThroughB_EvenOverBsCachedCopy_AndBack()
    {
        FileId file = await CreateAsync(_a, "f");
        byte[] first = Bytes(3 * BlockSize + 100, 1);
        await WriteCommitAsync(_a, file, 0, first);
        Assert.Equal(first, await ReadAllAsync(_b, file)); // B now holds clean copies of every block

        // Rewritten through A: B must not serve the copies it cached.
        byte[] second = Bytes(first.Length, 2);
        await WriteCommitAsync(_a, file, 0, second);
        Assert.Equal(second, await ReadAllAsync(_b, file));

        // A partial rewrite of one block through B merges with A's bytes (not a stale copy), and A sees it.
        byte[] patch = Bytes(500, 3);
        await WriteCommitAsync(_b, file, BlockSize + 1000, patch);
        byte[] expected = (byte[])second.Clone();
        patch.CopyTo(expected, BlockSize + 1000);
        Assert.Equal(expected, await ReadAllAsync(_a, file));
        Assert.Equal(expected, await ReadAllAsync(_b, file));

        // Cut through A: B reads the shorter file, and zeros (not its old copy) once it is extended again.
        Assert.Equal(FsStatus.Ok, (await _a.SetAttributesAsync(Caller.Root, file, new SetAttributes { Size = (ulong)BlockSize / 2 })).Status);
        Assert.Equal(expected.AsSpan(0, BlockSize / 2).ToArray(), await ReadAllAsync(_b, file));
        Assert.Equal(FsStatus.Ok, (await _a.SetAttributesAsync(Caller.Root, file, new SetAttributes { Size = (ulong)BlockSize * 2 })).Status);
        byte[] extended = new byte[BlockSize * 2];
        expected.AsSpan(0, BlockSize / 2).CopyTo(extended);
        Assert.Equal(extended, await ReadAllAsync(_b, file));
    }

    [PostgresFact]
    public async Task AReadOfManyBlocksThroughB_AsksTheBlockMapOnce_Cold_AfterARewriteThroughA_AndOverHoles()
    {
        const int Blocks = 32;
        FileId file = await CreateAsync(_a, "many");
        byte[] first = Bytes(Blocks * BlockSize, 1);
        await WriteCommitAsync(_a, file, 0, first);

        // What B asks the database for one READ of the whole file (the inode for the access check and the
        // size, then the block map), as a client does after its GETATTR at open.
        async Task<long> RoundTripsOfOneRead(byte[] expected)
        {
            var buffer = new byte[expected.Length];
            long before = _storeB.Counters.RoundTrips;
            ReadResult r = await _b.ReadAsync(Caller.Root, file, 0, buffer);
            long asked = _storeB.Counters.RoundTrips - before;
            Assert.Equal(FsStatus.Ok, r.Status);
            Assert.Equal(expected.Length, r.Count);
            Assert.Equal(expected, buffer);
            return asked;
        }

        // Cold: B holds none of the 32 blocks (one point read each before the range query).
        long cold = await RoundTripsOfOneRead(first);
        Assert.True(cold <= 3, $"{cold} round trips for a cold read of {Blocks} blocks");

        // Rewritten through A: each of B's 32 cached copies is checked against the map, in the same one query.
        byte[] second = Bytes(first.Length, 2);
        await WriteCommitAsync(_a, file, 0, second);
        long changed = await RoundTripsOfOneRead(second);
        Assert.True(changed <= 3, $"{changed} round trips to check {Blocks} cached blocks");

        // Unchanged since: the copies are served as they are, and the map is not asked.
        long warm = await RoundTripsOfOneRead(second);
        Assert.True(warm <= 2, $"{warm} round trips for a warm read");

        // Holes: blocks 4..27 punched through A (truncate, then the tail written again); the read of
        // the whole file takes the range query's answer for them (zeros), not a point read per hole.
        Assert.Equal(FsStatus.Ok, (await _a.SetAttributesAsync(Caller.Root, file, new SetAttributes { Size = 4 * BlockSize })).Status);
        byte[] tail = Bytes(4 * BlockSize, 3);
        await WriteCommitAsync(_a, file, 28 * BlockSize, tail);
        byte[] sparse = new byte[Blocks * BlockSize];
        second.AsSpan(0, 4 * BlockSize).CopyTo(sparse);
        tail.CopyTo(sparse, 28 * BlockSize);
        long holes = await RoundTripsOfOneRead(sparse);
        output.WriteLine($"round trips of one read of {Blocks} blocks: cold {cold}, after a rewrite {changed}, warm {warm}, over holes {holes}");
        Assert.True(holes <= 3, $"{holes} round trips for a read over 24 holes");
    }

    [PostgresFact]
    public async Task AWriteOfManyBlocksThroughB_AsksTheBlockMapOnce_New_AndOverAnotherServersBlocks()
    {
        const int Blocks = 32;
        FileId file = await CreateAsync(_b, "written");
        async Task<long> RoundTripsOfOneWrite(ulong offset, byte[] data)
        {
            long before = _storeB.Counters.RoundTrips;
            Assert.Equal(FsStatus.Ok, (await _b.WriteAsync(Caller.Root, file, offset, new ReadOnlySequence<byte>(data), StableHow.Unstable)).Status);
            return _storeB.Counters.RoundTrips - before;
        }

        // A new file: 32 holes, one range query (and the inode read and its size change).
        byte[] first = Bytes(Blocks * BlockSize, 4);
        long fresh = await RoundTripsOfOneWrite(0, first);
        Assert.Equal(FsStatus.Ok, (await _b.CommitAsync(file, 0, 0)).Status);

        // Rewritten through A, then patched through B across every block (a partial write of each: merged with A's bytes).
        byte[] second = Bytes(first.Length, 5);
        await WriteCommitAsync(_a, file, 0, second);
        byte[] patch = Bytes(first.Length - BlockSize, 6);
        long over = await RoundTripsOfOneWrite((ulong)BlockSize / 2, patch);
        Assert.Equal(FsStatus.Ok, (await _b.CommitAsync(file, 0, 0)).Status);
        output.WriteLine($"round trips of one write of {Blocks} blocks: new {fresh}, over another server's {over}");
        Assert.True(fresh <= 4, $"{fresh} round trips for a write of {Blocks} new blocks");
        Assert.True(over <= 4, $"{over} round trips for a write over {Blocks} blocks written elsewhere");

        byte[] expected = (byte[])second.Clone();
        patch.CopyTo(expected, BlockSize / 2);
        Assert.Equal(expected, await ReadAllAsync(_a, file));
        Assert.Equal(expected, await ReadAllAsync(_b, file));
    }

    [PostgresFact]
    public async Task ClonesThroughAWhileBRemovesTheSources_KeepEverySegmentsCountExact()
    {
        // Files packed together (and whole-block ones) through A; then A clones them (the segments and objects gain
        // names) while B removes them (they lose names), both changing the same counts at once. A count kept by
        // read-modify-write loses some of those changes: an object deleted while a clone names it, or kept forever.
        const int files = 24;
        var sources = new List<(FileId File, byte[] Data)>();
        for (int i = 0; i < files; i++)
        {
            FileId file = await CreateAsync(_a, $"src{i}");
            byte[] data = Bytes(i % 3 == 0 ? 2 * BlockSize : 1000 + 37 * i, 300 + i); // whole blocks (counted objects) and packed ones
            Assert.Equal(FsStatus.Ok, (await _a.WriteAsync(Caller.Root, file, 0, new ReadOnlySequence<byte>(data), StableHow.Unstable)).Status);
            sources.Add((file, data));
        }
        // Committed at once: the flusher packs them into few segments, so every clone and remove below meets the other side's.
        Assert.All(await Task.WhenAll(sources.Select(s => _a.CommitAsync(s.File, 0, 0).AsTask())), c => Assert.Equal(FsStatus.Ok, c.Status));
        var clones = new FileId[files];
        for (int i = 0; i < files; i++) clones[i] = await CreateAsync(_a, $"clone{i}");

        async Task<int> CloneAll()
        {
            int shared = 0;
            for (int i = 0; i < files; i++)
            {
                CloneResult r = await _a.CloneAsync(Caller.Root, sources[i].File, 0, clones[i], 0, 0, aligned: true);
                // The source may be gone already (NoEnt/Stale), or its segment forgotten by B meanwhile (IO): nothing cloned then.
                if (r.Status == FsStatus.Ok) shared += (int)r.Shared;
            }
            return shared;
        }
        async Task RemoveAll()
        {
            for (int i = files - 1; i >= 0; i--)
            {
                Assert.Equal(FsStatus.Ok, (await _b.RemoveAsync(Caller.Root, _root, N($"src{i}"), directoryOnly: false)).Status);
            }
        }
        Task<int> cloning = Task.Run(CloneAll);
        await Task.WhenAll(cloning, Task.Run(RemoveAll));
        output.WriteLine($"{cloning.Result} bytes shared by clones");

        // Every clone that got the bytes reads them back through both servers; the others are empty.
        for (int i = 0; i < files; i++)
        {
            byte[] got = await ReadAllAsync(_b, clones[i]);
            if (got.Length == 0) continue;
            Assert.Equal(sources[i].Data, got);
            Assert.Equal(sources[i].Data, await ReadAllAsync(_a, clones[i]));
        }

        // Each segment's live count is exactly the bytes the records naming it hold, each whole object's count the
        // records naming it (every one counted on a shared store), and no count outlives its names.
        var named = new Dictionary<ulong, long>();
        var rows = new Dictionary<ulong, long>();
        await using NpgsqlDataSource db = NpgsqlDataSource.Create(_connectionString);
        await using (NpgsqlCommand list = db.CreateCommand("SELECT record FROM blocks"))
        await using (NpgsqlDataReader reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                BlockRecord record = Metadata.Faster.BlockValue.Read((byte[])reader.GetValue(0));
                Assert.True(record.Packed || record.Shared, $"an uncounted whole-block record on a shared store: {record}");
                named[record.Version] = named.GetValueOrDefault(record.Version) + (record.Packed ? record.Length : 1);
            }
        }
        await using (NpgsqlCommand list = db.CreateCommand("SELECT segment, live FROM segments"))
        await using (NpgsqlDataReader reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) rows[(ulong)reader.GetInt64(0)] = reader.GetInt64(1);
        }
        output.WriteLine($"{named.Count} segments and objects named after the removes");
        Assert.Equal(named.OrderBy(kv => kv.Key), rows.OrderBy(kv => kv.Key));
    }
}
