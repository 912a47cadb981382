using System.Text;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Postgres;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace DittoFs.Storage.Tests.Postgres;

/// <summary>
/// Two filesystems on one database, as two servers would be: each has its own mutex, so only the
/// preconditions checked inside the database's transaction order their changes. After each race
/// the namespace is whole: every name once, counts that match the listings, no entry whose
/// directory or inode is gone.
/// </summary>
public sealed class PostgresMultiWriterTests : IAsyncLifetime
{
    private string _connectionString = "";
    private FileSystem _a = null!, _b = null!;
    private PostgresMetadataStore _storeA = null!, _storeB = null!;
    private FileId _root;

    public async Task InitializeAsync()
    {
        if (PostgresServer.Unavailable is not null && Environment.GetEnvironmentVariable("CI") != "true") return; // the facts skip
        _connectionString = PostgresServer.Shared.CreateDatabase(maxPoolSize: 16);
        (_a, _storeA) = await OpenAsync();
        (_b, _storeB) = await OpenAsync();
        // Both ask for the volume at once: one creates it, the other finds it.
        FsResult<FileId>[] roots = await Task.WhenAll(_a.GetVolumeRootAsync("vol").AsTask(), _b.GetVolumeRootAsync("vol").AsTask());
        Assert.All(roots, r => Assert.Equal(FsStatus.Ok, r.Status));
        Assert.Equal(roots[0].Value, roots[1].Value);
        _root = roots[0].Value;
    }

    public async Task DisposeAsync()
    {
        if (_a is not null) await _a.DisposeAsync();
        if (_b is not null) await _b.DisposeAsync();
    }

    private async Task<(FileSystem, PostgresMetadataStore)> OpenAsync()
    {
        var store = new PostgresMetadataStore(new PostgresMetadataStoreOptions { ConnectionString = _connectionString });
        FileSystem fs = await FileSystem.OpenAsync(store, new InMemoryPayloadStore(4096), new FileSystemOptions { RootMode = 0x1FF });
        return (fs, store);
    }

    private static ReadOnlyMemory<byte> N(string name) => Encoding.UTF8.GetBytes(name);

    private static CreateRequest File => new() { Type = FileType.Regular, Mode = CreateMode.Guarded };

    private static CreateRequest Dir => new() { Type = FileType.Directory, Mode = CreateMode.Guarded };

    [PostgresFact]
    public async Task ThousandCreatesFromEachServerAtOnce_GiveTwoThousandDistinctEntries()
    {
        CreateResult d = await _a.CreateAsync(Caller.Root, _root, N("d"), Dir);
        Assert.Equal(FsStatus.Ok, d.Status);
        FileId dir = d.File.Id;

        async Task CreateMany(FileSystem fs, string prefix)
        {
            for (int i = 0; i < 1000; i++)
            {
                CreateResult r = await fs.CreateAsync(Caller.Root, dir, N($"{prefix}-{i}"), File);
                Assert.Equal(FsStatus.Ok, r.Status);
            }
        }
        await Task.WhenAll(Task.Run(() => CreateMany(_a, "a")), Task.Run(() => CreateMany(_b, "b")));

        foreach (FileSystem fs in new[] { _a, _b })
        {
            List<DirEntry> listed = await ListAsync(fs, dir);
            Assert.Equal(2000, listed.Count);
            Assert.Equal(2000, listed.Select(e => Encoding.UTF8.GetString(e.Name)).Distinct().Count());
            Assert.Equal(2000, listed.Select(e => e.Cookie).Distinct().Count());
            Assert.Equal(2000, listed.Select(e => e.File.Inode).Distinct().Count());
        }
        Assert.Equal(2000UL, await EntryCountAsync(dir.Inode));
        // Creators of one directory change it by deltas (AddToDirectory): none waits for another's create to retry
        // (with a change-id precondition on the directory, most of the 2,000 did). A rare retry is allowed: on a
        // loaded machine PostgreSQL may still abort one transaction (a deadlock between the two servers' batches).
        Assert.InRange(_storeA.Counters.Conflicts + _storeB.Counters.Conflicts, 0, 20);
        await AssertNamespaceWholeAsync();
    }

    [PostgresFact]
    public async Task SameNamesCreatedFromBothServers_EachNameIsCreatedOnce()
    {
        async Task<int> CreateAll(FileSystem fs)
        {
            int created = 0;
            for (int i = 0; i < 200; i++)
            {
                CreateResult r = await fs.CreateAsync(Caller.Root, _root, N($"x-{i}"), File);
                Assert.True(r.Status is FsStatus.Ok or FsStatus.Exists, $"x-{i}: {r.Status}");
                if (r.Status == FsStatus.Ok) created++;
            }
            return created;
        }
        int[] created = await Task.WhenAll(Task.Run(() => CreateAll(_a)), Task.Run(() => CreateAll(_b)));
        Assert.Equal(200, created.Sum());
        Assert.Equal(200, (await ListAsync(_b, _root)).Count);
        await AssertNamespaceWholeAsync();
    }

    [PostgresFact]
    public async Task ConcurrentRenamesOfTheSameNames_NeverLoseOrDuplicateAFile()
    {
        // File k only ever moves between its own four slots (x/f-k, x/g-k, y/f-k, y/g-k): a rename never
        // replaces another file, so afterwards each file must sit in exactly one slot.
        const int files = 12;
        FileId x = (await _a.CreateAsync(Caller.Root, _root, N("x"), Dir)).File.Id;
        FileId y = (await _a.CreateAsync(Caller.Root, _root, N("y"), Dir)).File.Id;
        var inodes = new ulong[files];
        for (int k = 0; k < files; k++) inodes[k] = (await _a.CreateAsync(Caller.Root, x, N($"f-{k}"), File)).File.Id.Inode;
        (FileId Dir, string Name) Slot(int k, int s) => (s < 2 ? x : y, (s % 2 == 0 ? "f-" : "g-") + k);

        async Task<int> Shuffle(FileSystem fs, int seed)
        {
            var random = new Random(seed);
            int moved = 0;
            for (int i = 0; i < 300; i++)
            {
                int k = random.Next(files);
                var (fromDir, fromName) = Slot(k, random.Next(4));
                var (toDir, toName) = Slot(k, random.Next(4));
                RenameResult r = await fs.RenameAsync(Caller.Root, fromDir, N(fromName), toDir, N(toName));
                Assert.True(r.Status is FsStatus.Ok or FsStatus.NotFound, $"{fromName} -> {toName}: {r.Status}");
                if (r.Status == FsStatus.Ok) moved++;
            }
            return moved;
        }
        int[] moved = await Task.WhenAll(Task.Run(() => Shuffle(_a, 1)), Task.Run(() => Shuffle(_b, 2)));
        Assert.True(moved.Sum() > files, "too few renames succeeded to race");

        var listed = (await ListAsync(_a, x)).Concat(await ListAsync(_a, y)).ToList();
        Assert.Equal(files, listed.Count);
        for (int k = 0; k < files; k++)
        {
            DirEntry only = Assert.Single(listed, e => Encoding.UTF8.GetString(e.Name).EndsWith($"-{k}", StringComparison.Ordinal));
            Assert.Equal(inodes[k], only.File.Inode);
            FsResult<FileAttributes> attributes = await _b.GetAttributesAsync(only.File);
            Assert.Equal(FsStatus.Ok, attributes.Status);
            Assert.Equal(1U, attributes.Value.LinkCount);
        }
        await AssertNamespaceWholeAsync();
    }

    [PostgresFact]
    public async Task RmdirRacingCreate_NeverLeavesAnEntryInARemovedDirectory()
    {
        int removed = 0, createdInside = 0;
        for (int i = 0; i < 60; i++)
        {
            CreateResult d = await _a.CreateAsync(Caller.Root, _root, N($"d-{i}"), Dir);
            Assert.Equal(FsStatus.Ok, d.Status);
            Task<RemoveResult> rmdir = Task.Run(async () => await _a.RemoveAsync(Caller.Root, _root, N($"d-{i}"), directoryOnly: true));
            Task<CreateResult> create = Task.Run(async () => await _b.CreateAsync(Caller.Root, d.File.Id, N("late"), File));
            await Task.WhenAll(rmdir, create);

            if (rmdir.Result.Status == FsStatus.Ok)
            {
                removed++;
                Assert.Equal(FsStatus.Stale, create.Result.Status);
                Assert.Empty(await _storeB.ListEntriesAsync(d.File.Id.Inode, 0, 10));
                Assert.Null(await _storeB.GetInodeAsync(d.File.Id.Inode));
            }
            else
            {
                Assert.Equal(FsStatus.NotEmpty, rmdir.Result.Status);
                Assert.Equal(FsStatus.Ok, create.Result.Status);
                createdInside++;
            }
        }
        Assert.Equal(60, removed + createdInside);
        await AssertNamespaceWholeAsync();
    }

    [PostgresFact]
    public async Task CrossedDirectoryRenames_NeverMakeACycle()
    {
        // A moves p/a under q/b/c while B moves q/b under p/a/x: each walk alone sees no cycle, both
        // together would make a and b each other's ancestors. One of them must see the other's move.
        int bothMoved = 0, oneMoved = 0;
        for (int i = 0; i < 25; i++)
        {
            async Task<FileId> Mkdir(FileId parent, string name)
            {
                CreateResult r = await _a.CreateAsync(Caller.Root, parent, N(name), Dir);
                Assert.Equal(FsStatus.Ok, r.Status);
                return r.File.Id;
            }
            FileId p = await Mkdir(_root, $"p{i}"), q = await Mkdir(_root, $"q{i}");
            FileId a = await Mkdir(p, "a"), b = await Mkdir(q, "b");
            FileId c = await Mkdir(b, "c"), x = await Mkdir(a, "x");
            Task<RenameResult> moveA = Task.Run(async () => await _a.RenameAsync(Caller.Root, p, N("a"), c, N("a2")));
            Task<RenameResult> moveB = Task.Run(async () => await _b.RenameAsync(Caller.Root, q, N("b"), x, N("b2")));
            await Task.WhenAll(moveA, moveB);
            var statuses = new[] { moveA.Result.Status, moveB.Result.Status };
            Assert.All(statuses, s => Assert.True(s is FsStatus.Ok or FsStatus.Invalid, $"{s}"));
            if (statuses.All(s => s == FsStatus.Ok)) bothMoved++;
            else oneMoved++;
            foreach (FileId d in new[] { a, b, c, x }) await AssertReachesRootAsync(d);
        }
        Assert.Equal(0, bothMoved);
        Assert.Equal(25, oneMoved);
        await AssertNamespaceWholeAsync();
    }

    private async Task AssertReachesRootAsync(FileId dir)
    {
        ulong current = dir.Inode;
        for (int depth = 0; depth < 64; depth++)
        {
            InodeRecord? record = await _storeA.GetInodeAsync(current);
            Assert.NotNull(record);
            if (record.Value.Parent == current) return;
            current = record.Value.Parent;
        }
        Assert.Fail($"directory {dir.Inode} does not reach the root: a cycle");
    }

    private static async Task<List<DirEntry>> ListAsync(FileSystem fs, FileId dir)
    {
        var all = new List<DirEntry>();
        ulong cookie = 0, verifier = 0;
        while (true)
        {
            ReadDirResult r = await fs.ReadDirectoryAsync(Caller.Root, dir, cookie, verifier, 500);
            Assert.Equal(FsStatus.Ok, r.Status);
            all.AddRange(r.Entries.Where(e => e.Name is not [(byte)'.'] and not [(byte)'.', (byte)'.']));
            if (r.Eof || r.Entries.Count == 0) return all;
            cookie = r.Entries[^1].Cookie;
            verifier = r.Verifier;
        }
    }

    private async Task<ulong> EntryCountAsync(ulong dir) => (await _storeA.GetInodeAsync(dir))!.Value.EntryCount;

    /// <summary>Every entry's directory and inode exist; every directory's EntryCount is its number of entries.</summary>
    private async Task AssertNamespaceWholeAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        async Task<long> Count(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        Assert.Equal(0, await Count("SELECT count(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM inodes i WHERE i.inode = e.dir)"));
        Assert.Equal(0, await Count("SELECT count(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM inodes i WHERE i.inode = e.inode)"));

        var dirs = new List<ulong>();
        await using (var command = new NpgsqlCommand("SELECT DISTINCT dir FROM entries", connection))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) dirs.Add((ulong)reader.GetInt64(0));
        }
        foreach (ulong dir in dirs)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM entries WHERE dir = $1", connection) { Parameters = { new() { Value = (long)dir } } };
            Assert.Equal((long)await EntryCountAsync(dir), (long)(await command.ExecuteScalarAsync())!);
        }
    }
}
