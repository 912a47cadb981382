using System.Buffers;
using System.Text;
using CsCheck;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;
using DittoFs.Storage.Metadata.Postgres;
using DittoFs.Storage.Tests.Infrastructure;
using DittoFs.Storage.Payload;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Storage.Tests.Properties;

/// <summary>
/// Model-based test: random sequences of namespace and data operations run against FileSystem on the
/// FASTER metadata store with local block files AND against an in-memory reference tree. After every
/// step the statuses and the observable state (names per directory, types, sizes, contents, link counts,
/// which names share a file) agree; after a clean close and reopen on the same directory they still do,
/// through the same file handles.
/// </summary>
public sealed class FileSystemModelProperties(ITestOutputHelper output)
{
    private static readonly string[] Names = ["a", "b", "c", "d"];
    private const int MaxDepth = 2;
    private const int BlockSize = 8192;

    private enum Kind { Create, Mkdir, Write, Truncate, Rename, Link, Remove, Rmdir, ReadDir }

    private sealed record Op(Kind Kind, int DirA, int NameA, int DirB, int NameB, int Offset, int Length, byte Seed, bool Stable)
    {
        public override string ToString() => $"{Kind}({DirA},{Names[NameA]} -> {DirB},{Names[NameB]} @{Offset}+{Length} s{Seed}{(Stable ? " sync" : "")})";
    }

    private static readonly Gen<Kind> GenKind = Gen.Frequency(
        (15, Gen.Const(Kind.Create)), (8, Gen.Const(Kind.Mkdir)), (20, Gen.Const(Kind.Write)), (8, Gen.Const(Kind.Truncate)),
        (12, Gen.Const(Kind.Rename)), (8, Gen.Const(Kind.Link)), (10, Gen.Const(Kind.Remove)), (6, Gen.Const(Kind.Rmdir)),
        (3, Gen.Const(Kind.ReadDir)));

    private static readonly Gen<Op> GenOp = Gen.Select(
        GenKind, Gen.Int[0, 1000], Gen.Int[0, Names.Length - 1], Gen.Int[0, 1000], Gen.Int[0, Names.Length - 1],
        Gen.Select(Gen.Int[0, 3 * BlockSize], Gen.Int[0, 5000], Gen.Byte, Gen.Bool),
        (k, da, na, db, nb, d) => new Op(k, da, na, db, nb, d.Item1, d.Item2, d.Item3, d.Item4));

    // ---- the model ---------------------------------------------------------------------------

    private abstract class MNode;

    private sealed class MDir(MDir? parent) : MNode
    {
        public MDir? Parent { get; set; } = parent;
        public SortedDictionary<string, MNode> Children { get; } = new(StringComparer.Ordinal);
        public int Depth => Parent is null ? 0 : Parent.Depth + 1;
    }

    private sealed class MFile : MNode
    {
        public byte[] Data { get; set; } = [];
        public uint Links { get; set; } = 1;
    }

    private sealed class Run(string store) : IAsyncDisposable
    {
        // Postgres: one database per sequence; a reopen is a new store (a restarted server) on it.
        private readonly string? _connectionString = store == "Postgres" ? PostgresServer.Shared.CreateDatabase() : null;
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "dittofs-model", Guid.NewGuid().ToString("N"));
        private readonly MDir _root = new(null);
        private readonly Dictionary<MNode, FileId> _ids = new(ReferenceEqualityComparer.Instance);
        private readonly List<string> _log = [];
        private FileSystem _fs = null!;

        public int Steps { get; private set; }

        private IMetadataStore NewStore() => _connectionString is { } cs
            ? new PostgresMetadataStore(new PostgresMetadataStoreOptions { ConnectionString = cs })
            : new FasterMetadataStore(new FasterMetadataStoreOptions
        {
            DataDirectory = Path.Combine(_directory, "meta"),
            KvMemorySize = 1L << 20,
            KvPageSize = 1L << 16,
            KvIndexSize = 1L << 16,
            WalPageSize = 1L << 16,
            WalMemorySize = 1L << 20,
            CheckpointInterval = TimeSpan.Zero,
            CommitInterval = TimeSpan.FromMilliseconds(1),
        });

        private LocalPayloadStore NewPayload() => new(new LocalPayloadStoreOptions { Root = Path.Combine(_directory, "payload"), BlockSize = BlockSize });

        public async Task OpenAsync()
        {
            _fs = await FileSystem.OpenAsync(NewStore(), NewPayload(), new FileSystemOptions { RootMode = 0x1FF });
            FsResult<FileId> root = await _fs.GetVolumeRootAsync("vol");
            Assert.Equal(FsStatus.Ok, root.Status);
            if (_ids.TryGetValue(_root, out FileId before)) Assert.Equal(before, root.Value);
            _ids[_root] = root.Value;
        }

        public async Task ReopenAsync()
        {
            await _fs.DisposeAsync();
            _log.Add("-- reopen --");
            await OpenAsync();
            await CheckAsync();
        }

        private List<MDir> Dirs()
        {
            var dirs = new List<MDir>();
            void Walk(MDir d)
            {
                dirs.Add(d);
                foreach (MNode c in d.Children.Values) if (c is MDir sub) Walk(sub);
            }
            Walk(_root);
            return dirs;
        }

        private List<MNode> Files() => [.. Dirs().SelectMany(d => d.Children.Values).OfType<MFile>().Distinct(ReferenceEqualityComparer.Instance).Cast<MNode>()];

        /// <summary>Mostly a directory; one time in ten a file, to exercise NotDirectory.</summary>
        private MNode Container(int x)
        {
            if (x % 10 == 0)
            {
                List<MNode> files = Files();
                if (files.Count > 0) return files[x / 10 % files.Count];
            }
            List<MDir> dirs = Dirs();
            return dirs[x % dirs.Count];
        }

        private static ReadOnlyMemory<byte> N(string name) => Encoding.UTF8.GetBytes(name);

        private static MNode? Child(MNode container, string name) => container is MDir d && d.Children.TryGetValue(name, out MNode? c) ? c : null;

        private static byte[] Data(Op op)
        {
            var data = new byte[op.Length];
            for (int i = 0; i < data.Length; i++) data[i] = (byte)(op.Seed + i * 7 + (i >> 8));
            return data;
        }

        public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Outcomes = new();

        private void Expect(FsStatus expected, FsStatus actual, Op op)
        {
            Outcomes.AddOrUpdate($"{op.Kind}:{expected}", 1, (_, n) => n + 1);
            if (expected != actual) throw new Xunit.Sdk.XunitException($"step {Steps} {op}: expected {expected}, got {actual}\n{string.Join('\n', _log)}");
        }

        public async Task StepAsync(Op op)
        {
            Steps++;
            _log.Add($"{Steps}: {op}");
            Caller root = Caller.Root;
            MNode a = Container(op.DirA);
            string nameA = Names[op.NameA];
            MNode b = Container(op.DirB);
            string nameB = Names[op.NameB];
            MNode? target = Child(a, nameA);
            switch (op.Kind)
            {
                case Kind.Create:
                case Kind.Mkdir:
                {
                    bool dir = op.Kind == Kind.Mkdir;
                    if (dir && a is MDir { Depth: >= MaxDepth }) return;
                    CreateResult r = await _fs.CreateAsync(root, _ids[a], N(nameA), new CreateRequest
                    {
                        Type = dir ? FileType.Directory : FileType.Regular,
                        Mode = CreateMode.Guarded,
                        Attributes = new SetAttributes { Mode = dir ? 0x1FFu : 0x1B6u },
                    });
                    FsStatus expected = a is not MDir ? FsStatus.NotDirectory : target is not null ? FsStatus.Exists : FsStatus.Ok;
                    Expect(expected, r.Status, op);
                    if (expected == FsStatus.Ok)
                    {
                        MNode created = dir ? new MDir((MDir)a) : new MFile();
                        ((MDir)a).Children[nameA] = created;
                        _ids[created] = r.File.Id;
                    }
                    break;
                }
                case Kind.Write:
                {
                    if (target is null) return;
                    byte[] data = Data(op);
                    WriteResult r = await _fs.WriteAsync(root, _ids[target], (ulong)op.Offset, new ReadOnlySequence<byte>(data),
                        op.Stable ? StableHow.FileSync : StableHow.Unstable);
                    Expect(target is MDir ? FsStatus.IsDirectory : FsStatus.Ok, r.Status, op);
                    if (target is MFile f && data.Length > 0)
                    {
                        Assert.Equal(data.Length, r.Count);
                        if (f.Data.Length < op.Offset + data.Length)
                        {
                            byte[] grown = new byte[op.Offset + data.Length];
                            f.Data.CopyTo(grown, 0);
                            f.Data = grown;
                        }
                        data.CopyTo(f.Data, op.Offset);
                    }
                    break;
                }
                case Kind.Truncate:
                {
                    if (target is null) return;
                    int size = op.Offset * op.Length % (3 * BlockSize + 1);
                    SetAttrResult r = await _fs.SetAttributesAsync(root, _ids[target], new SetAttributes { Size = (ulong)size });
                    Expect(target is MDir ? FsStatus.IsDirectory : FsStatus.Ok, r.Status, op);
                    if (target is MFile f)
                    {
                        byte[] resized = new byte[size];
                        f.Data.AsSpan(0, Math.Min(size, f.Data.Length)).CopyTo(resized);
                        f.Data = resized;
                    }
                    break;
                }
                case Kind.Remove:
                case Kind.Rmdir:
                {
                    bool rmdir = op.Kind == Kind.Rmdir;
                    RemoveResult r = await _fs.RemoveAsync(root, _ids[a], N(nameA), rmdir);
                    FsStatus expected =
                        a is not MDir ? FsStatus.NotDirectory
                        : target is null ? FsStatus.NotFound
                        : rmdir && target is not MDir ? FsStatus.NotDirectory
                        : rmdir && target is MDir { Children.Count: > 0 } ? FsStatus.NotEmpty
                        : !rmdir && target is MDir ? FsStatus.IsDirectory
                        : FsStatus.Ok;
                    Expect(expected, r.Status, op);
                    if (expected == FsStatus.Ok) Unlink((MDir)a, nameA);
                    break;
                }
                case Kind.Link:
                {
                    if (target is null) return;
                    LinkResult r = await _fs.LinkAsync(root, _ids[target], _ids[b], N(nameB));
                    FsStatus expected =
                        b is not MDir ? FsStatus.NotDirectory
                        : target is MDir ? FsStatus.IsDirectory
                        : Child(b, nameB) is not null ? FsStatus.Exists
                        : FsStatus.Ok;
                    Expect(expected, r.Status, op);
                    if (expected == FsStatus.Ok)
                    {
                        ((MDir)b).Children[nameB] = target;
                        ((MFile)target).Links++;
                    }
                    break;
                }
                case Kind.Rename:
                {
                    if (b is MDir { Depth: > MaxDepth - 1 } && target is MDir) return; // keep the tree shallow
                    RenameResult r = await _fs.RenameAsync(root, _ids[a], N(nameA), _ids[b], N(nameB));
                    FsStatus expected = ExpectedRename(a, nameA, b, nameB, target);
                    Expect(expected, r.Status, op);
                    if (expected == FsStatus.Ok && target is not null && !(a == b && nameA == nameB) && Child(b, nameB) != target)
                    {
                        var from = (MDir)a;
                        var to = (MDir)b;
                        if (to.Children.ContainsKey(nameB)) Unlink(to, nameB);
                        from.Children.Remove(nameA);
                        to.Children[nameB] = target;
                        if (target is MDir moved) moved.Parent = to;
                    }
                    break;
                }
                case Kind.ReadDir:
                {
                    ReadDirResult r = await _fs.ReadDirectoryAsync(root, _ids[a], 0, 0, 100);
                    Expect(a is MDir ? FsStatus.Ok : FsStatus.NotDirectory, r.Status, op);
                    break;
                }
            }
            await CheckAsync();
        }

        private static FsStatus ExpectedRename(MNode a, string nameA, MNode b, string nameB, MNode? moved)
        {
            if (a is not MDir || b is not MDir to) return FsStatus.NotDirectory;
            if (moved is null) return FsStatus.NotFound;
            if (a == b && nameA == nameB) return FsStatus.Ok;
            MNode? victim = Child(b, nameB);
            if (victim is not null)
            {
                if (victim == moved) return FsStatus.Ok;
                if (moved is MDir)
                {
                    if (victim is not MDir) return FsStatus.NotDirectory;
                    if (((MDir)victim).Children.Count > 0) return FsStatus.NotEmpty;
                }
                else if (victim is MDir)
                {
                    return FsStatus.IsDirectory;
                }
            }
            if (moved is MDir && a != b)
            {
                for (MDir? d = to; d is not null; d = d.Parent) if (d == moved) return FsStatus.Invalid;
            }
            return FsStatus.Ok;
        }

        private void Unlink(MDir dir, string name)
        {
            MNode victim = dir.Children[name];
            dir.Children.Remove(name);
            if (victim is MFile f && --f.Links > 0) return;
            _ids.Remove(victim);
        }

        /// <summary>The whole observable tree agrees with the model.</summary>
        public async Task CheckAsync()
        {
            Caller root = Caller.Root;
            foreach (MDir dir in Dirs())
            {
                FileId dirId = _ids[dir];
                FsResult<FileAttributes> dattr = await _fs.GetAttributesAsync(dirId);
                Assert.Equal(FsStatus.Ok, dattr.Status);
                Assert.Equal(FileType.Directory, dattr.Value.Type);
                Assert.Equal(2u + (uint)dir.Children.Values.Count(c => c is MDir), dattr.Value.LinkCount);

                var names = new List<string>();
                ulong cookie = 0, verifier = 0;
                for (int pages = 0; ; pages++)
                {
                    Assert.True(pages < 100, "readdir does not end");
                    ReadDirResult page = await _fs.ReadDirectoryAsync(root, dirId, cookie, verifier, 3);
                    Assert.Equal(FsStatus.Ok, page.Status);
                    foreach (DirEntry e in page.Entries)
                    {
                        names.Add(Encoding.UTF8.GetString(e.Name));
                        Assert.Equal(_ids[dir.Children[Encoding.UTF8.GetString(e.Name)]], e.File);
                        cookie = e.Cookie;
                    }
                    verifier = page.Verifier;
                    if (page.Eof) break;
                    Assert.NotEmpty(page.Entries);
                }
                Assert.Equal(dir.Children.Keys.ToList(), names.Order(StringComparer.Ordinal).ToList());

                foreach (var (name, child) in dir.Children)
                {
                    LookupResult l = await _fs.LookupAsync(root, dirId, N(name));
                    Assert.Equal(FsStatus.Ok, l.Status);
                    Assert.Equal(_ids[child], l.File.Id);
                    if (child is MFile f)
                    {
                        Assert.Equal(FileType.Regular, l.File.Type);
                        Assert.Equal((ulong)f.Data.Length, l.File.Size);
                        Assert.Equal(f.Links, l.File.LinkCount);
                        byte[] buffer = new byte[f.Data.Length + 16];
                        ReadResult rr = await _fs.ReadAsync(root, l.File.Id, 0, buffer);
                        Assert.Equal(FsStatus.Ok, rr.Status);
                        Assert.Equal(f.Data.Length, rr.Count);
                        Assert.True(rr.Eof);
                        if (!buffer.AsSpan(0, rr.Count).SequenceEqual(f.Data))
                        {
                            int at = 0;
                            while (buffer[at] == f.Data[at]) at++;
                            throw new Xunit.Sdk.XunitException($"{name}: content differs at byte {at} of {f.Data.Length}\n{string.Join('\n', _log)}");
                        }
                    }
                    else
                    {
                        Assert.Equal(FileType.Directory, l.File.Type);
                    }
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _fs.DisposeAsync();
            try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [Fact]
    public Task RandomOperationSequencesAgreeWithTheModelAndSurviveReopen() => RandomSequencesAsync("Faster", 50);

    /// <summary>The same model on the PostgreSQL store (fewer sequences: each op is a few round trips).</summary>
    [PostgresFact]
    public Task RandomOperationSequencesAgreeWithTheModelAndSurviveReopenOnPostgres() => RandomSequencesAsync("Postgres", 8);

    private async Task RandomSequencesAsync(string store, int iterations)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int sequences = 0, steps = 0;
        await GenOp.Array[200].SampleAsync(async ops =>
        {
            await using var run = new Run(store);
            await run.OpenAsync();
            int half = ops.Length / 2;
            for (int i = 0; i < ops.Length; i++)
            {
                await run.StepAsync(ops[i]);
                if (i == half) await run.ReopenAsync(); // a reopen in the middle too: later ops run on recovered state
            }
            await run.ReopenAsync();
            Interlocked.Increment(ref sequences);
            Interlocked.Add(ref steps, run.Steps);
        }, iter: iterations, threads: 2);
        output.WriteLine($"{sequences} sequences, {steps} steps, {watch.Elapsed.TotalSeconds:F1} s");
        foreach (var (outcome, count) in Run.Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal)) output.WriteLine($"  {outcome}: {count}");
        Assert.Equal(sequences * 200, steps);
    }
}
