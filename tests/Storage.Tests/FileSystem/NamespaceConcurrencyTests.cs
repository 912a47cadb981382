using System.Collections.Concurrent;
using System.Text;
using DittoFs.Storage.Metadata;
using Xunit;

namespace DittoFs.Storage.Tests;

/// <summary>
/// Namespace changes running at once, over a store that yields inside every call so they interleave between
/// their reads and their apply: creates, removes, links, renames across directories and of directories into
/// each other. Afterwards the namespace is still a tree: no loop, no directory with two names, no name twice,
/// no entry naming nothing, no inode left unreachable, every link count and entry count what the entries say.
/// </summary>
public abstract class NamespaceConcurrencyTests : FileSystemTestBase
{
    private const int Workers = 8;

    private static readonly FsStatus[] Refusals =
        [FsStatus.Ok, FsStatus.NotFound, FsStatus.Exists, FsStatus.NotEmpty, FsStatus.Invalid, FsStatus.NotDirectory, FsStatus.IsDirectory, FsStatus.Stale];

    private YieldingMetadataStore Yielding => (YieldingMetadataStore)Store;

    /// <summary>Operations per worker in the random run: enough that every kind of change succeeds some time.</summary>
    private const int OperationsPerWorker = 150;

    protected abstract IMetadataStore CreateInnerStore(string directory);

    protected sealed override IMetadataStore CreateStore(string directory) => new YieldingMetadataStore(CreateInnerStore(directory));

    [Fact]
    public async Task RandomChanges_LeaveATree()
    {
        var dirs = new List<FileId> { Root };
        var created = new ConcurrentBag<ulong>();
        for (int i = 0; i < 4; i++) dirs.Add((await MkdirAsync(Root, "d" + i)).Id);
        foreach (FileId dir in dirs.Skip(1)) created.Add(dir.Inode);
        var outcomes = new ConcurrentDictionary<(string Op, FsStatus Status), int>();

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkAsync(w))));

        foreach (((string op, FsStatus status), int count) in outcomes)
        {
            Assert.True(Refusals.Contains(status), $"{op} answered {status} ({count} times)");
        }
        // The run did what it is for: each kind of change succeeded, directories moved. RMDIR only ran: the
        // directory it picks is seldom empty, and in one interleaving of 8 x 150 changes none was (NOTEMPTY each time).
        foreach (string op in new[] { "create", "mkdir", "remove", "rename", "rename-dir", "link", "write", "hold" })
        {
            Assert.True(outcomes.GetValueOrDefault((op, FsStatus.Ok)) > 0, $"no {op} succeeded");
        }
        Assert.Contains(outcomes.Keys, k => k.Op == "rmdir");
        await CheckTreeAsync(created);
        // Every open file was closed: the files that lost their names while open are gone, and so is the list.
        Assert.Empty(await Store.ListEntriesAsync(OrphanDirectory.Inode, 0, 10));
        Assert.Null(await Store.GetInodeAsync(OrphanDirectory.Inode));

        async Task WorkAsync(int seed)
        {
            var random = new Random(seed);
            var held = new HashSet<FileId>();
            for (int i = 0; i < OperationsPerWorker; i++)
            {
                FileId a, b;
                lock (dirs)
                {
                    a = dirs[random.Next(dirs.Count)];
                    b = dirs[random.Next(dirs.Count)];
                }
                ReadOnlyMemory<byte> x = N("n" + random.Next(6)), y = N("n" + random.Next(6));
                string op;
                FsStatus status;
                switch (random.Next(11))
                {
                    case 0 or 1 or 2:
                        bool directory = random.Next(3) == 0;
                        op = directory ? "mkdir" : "create";
                        CreateResult made = await Fs.CreateAsync(RootCaller, a, x,
                            new CreateRequest { Type = directory ? FileType.Directory : FileType.Regular, Mode = CreateMode.Guarded });
                        status = made.Status;
                        if (status == FsStatus.Ok)
                        {
                            created.Add(made.File.Id.Inode);
                            if (directory) lock (dirs) dirs.Add(made.File.Id);
                        }
                        break;
                    case 3:
                        op = "remove";
                        status = (await Fs.RemoveAsync(RootCaller, a, x, directoryOnly: false)).Status;
                        break;
                    case 4:
                        op = "rmdir";
                        status = (await Fs.RemoveAsync(RootCaller, a, x, directoryOnly: true)).Status;
                        break;
                    case 5 or 6 or 7:
                        LookupResult moving = await Fs.LookupAsync(RootCaller, a, x);
                        op = moving.Status == FsStatus.Ok && moving.File.Type == FileType.Directory ? "rename-dir" : "rename";
                        status = (await Fs.RenameAsync(RootCaller, a, x, b, y)).Status;
                        break;
                    case 8:
                        (op, status) = await WithFileAsync(a, x, "link", async file => (await Fs.LinkAsync(RootCaller, file, b, y)).Status);
                        break;
                    case 9:
                        (op, status) = await WithFileAsync(a, x, "write", async file =>
                            (await Fs.WriteAsync(RootCaller, file, (ulong)random.Next(90), new(Pattern(10, seed)), StableHow.Unstable)).Status);
                        break;
                    default:
                        // Open files (NFSv4 OPEN) that lose their last name meanwhile go to the orphan list until closed.
                        (op, status) = await WithFileAsync(a, x, "hold", async file =>
                        {
                            if (held.Remove(file)) await Fs.ReleaseAsync(file);
                            else if (held.Add(file)) Fs.Hold(file);
                            return FsStatus.Ok;
                        });
                        break;
                }
                outcomes.AddOrUpdate((op, status), 1, (_, n) => n + 1);
            }
            foreach (FileId file in held) await Fs.ReleaseAsync(file);
        }
    }

    [Fact]
    public async Task ChangesInOneHotDirectory_LoseAndDuplicateNothing()
    {
        FileId hot = (await MkdirAsync(Root, "hot")).Id;
        FileId other = (await MkdirAsync(Root, "other")).Id;
        int perWorker = Math.Max(10, OperationsPerWorker / 5);
        var expectedHot = new ConcurrentDictionary<string, ulong>(); // name -> its READDIR cookie when made
        var expectedOther = new ConcurrentBag<string>();
        var created = new ConcurrentBag<ulong>();

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (int j = 0; j < perWorker; j++)
            {
                string name = $"f{w}_{j}";
                CreateResult made = await Fs.CreateAsync(RootCaller, hot, N(name), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Guarded });
                Assert.Equal(FsStatus.Ok, made.Status);
                created.Add(made.File.Id.Inode);
                if (j % 2 == 1)
                {
                    Assert.Equal(FsStatus.Ok, (await Fs.RenameAsync(RootCaller, hot, N(name), other, N($"g{w}_{j}"))).Status);
                    expectedOther.Add($"g{w}_{j}");
                }
                else if (j % 3 == 0)
                {
                    Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, hot, N(name), directoryOnly: false)).Status);
                }
                else
                {
                    expectedHot[name] = (await Store.GetEntryAsync(hot.Inode, N(name)))!.Value.Cookie;
                    if (j % 4 == 2)
                    {
                        Assert.Equal(FsStatus.Ok, (await Fs.LinkAsync(RootCaller, made.File.Id, other, N($"l{w}_{j}"))).Status);
                        expectedOther.Add($"l{w}_{j}");
                    }
                }
            }
        })));

        // Each name that stayed kept its cookie through the changes around it (a READDIR in progress goes on where it was).
        Assert.Equal(expectedHot.OrderBy(p => p.Key), (await ListAllAsync(hot.Inode)).Select(e => KeyValuePair.Create(Encoding.UTF8.GetString(e.Name), e.Cookie)).OrderBy(p => p.Key));
        Assert.Equal(expectedOther.Order(), (await ListAllAsync(other.Inode)).Select(e => Encoding.UTF8.GetString(e.Name)).Order());
        await CheckTreeAsync(created);
    }

    [Fact]
    public async Task TwoDirectoriesMovedBelowEachOther_OneMoveWins()
    {
        var created = new List<ulong>();
        for (int i = 0; i < 20; i++)
        {
            // p/a/a1 and q/b/b1: moving a below b1 and b below a1 touch disjoint inodes, and together would
            // close the loop a -> a1 -> b -> b1 -> a (cut off from the root). Only the rename lock orders them.
            FileAttributes p = await MkdirAsync(Root, $"p{i}"), q = await MkdirAsync(Root, $"q{i}");
            FileAttributes a = await MkdirAsync(p.Id, "a"), b = await MkdirAsync(q.Id, "b");
            FileAttributes a1 = await MkdirAsync(a.Id, "a1"), b1 = await MkdirAsync(b.Id, "b1");
            created.AddRange([p.Id.Inode, q.Id.Inode, a.Id.Inode, b.Id.Inode, a1.Id.Inode, b1.Id.Inode]);
            RenameResult[] moves = await Task.WhenAll(
                Task.Run(async () => await Fs.RenameAsync(RootCaller, p.Id, N("a"), b1.Id, N("x"))),
                Task.Run(async () => await Fs.RenameAsync(RootCaller, q.Id, N("b"), a1.Id, N("x"))));
            // The second finds its target below the directory it moves.
            Assert.Single(moves, m => m.Status == FsStatus.Ok);
            Assert.Single(moves, m => m.Status == FsStatus.Invalid);
        }
        await CheckTreeAsync(created);
    }

    [Fact]
    public async Task ChangeHeldInOneDirectory_DoesNotHoldUpAnother()
    {
        FileId busy = (await MkdirAsync(Root, "busy")).Id;
        FileId free = (await MkdirAsync(Root, "free")).Id;
        FileAttributes moved = await CreateAsync(free, "moved");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        byte[] heldName = Encoding.UTF8.GetBytes("held");
        Yielding.BeforeApply = ops =>
        {
            if (!ops.Any(o => o.Kind == MetadataOpKind.PutEntry && o.Name.AsSpan().SequenceEqual(heldName))) return Task.CompletedTask;
            held.TrySetResult();
            return gate.Task;
        };

        ValueTask<CreateResult> blocked = Fs.CreateAsync(RootCaller, busy, N("held"), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Guarded });
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Each of these completes while the create above is stuck inside its apply (one global lock would hold them all).
        var timeout = TimeSpan.FromSeconds(30);
        Assert.Equal(FsStatus.Ok, (await Fs.CreateAsync(RootCaller, free, N("new"), new CreateRequest { Type = FileType.Directory, Mode = CreateMode.Guarded }).AsTask().WaitAsync(timeout)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RenameAsync(RootCaller, free, N("moved"), free, N("renamed")).AsTask().WaitAsync(timeout)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.LinkAsync(RootCaller, moved.Id, free, N("linked")).AsTask().WaitAsync(timeout)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, free, N("renamed"), directoryOnly: false).AsTask().WaitAsync(timeout)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RenameAsync(RootCaller, free, N("new"), Root, N("new")).AsTask().WaitAsync(timeout)).Status);
        Assert.False(blocked.IsCompleted);

        gate.SetResult();
        Assert.Equal(FsStatus.Ok, (await blocked).Status);
        await CheckTreeAsync([moved.Id.Inode]);
    }

    /// <summary>Runs <paramref name="change"/> on the regular file <paramref name="name"/> names, if it does.</summary>
    private async Task<(string, FsStatus)> WithFileAsync(FileId dir, ReadOnlyMemory<byte> name, string op, Func<FileId, Task<FsStatus>> change)
    {
        LookupResult found = await Fs.LookupAsync(RootCaller, dir, name);
        if (found.Status != FsStatus.Ok) return ("lookup", found.Status);
        if (found.File.Type != FileType.Regular) return ("lookup", FsStatus.Ok);
        return (op, await change(found.File.Id));
    }

    /// <summary>Every entry of a directory, page by page in cookie order (READDIR's walk).</summary>
    private async Task<List<DirEntryRecord>> ListAllAsync(ulong dir)
    {
        var all = new List<DirEntryRecord>();
        ulong after = 0;
        while (true)
        {
            IReadOnlyList<DirEntryRecord> page = await Store.ListEntriesAsync(dir, after, 7);
            if (page.Count == 0) return all;
            foreach (DirEntryRecord e in page)
            {
                Assert.True(e.Cookie > after, "cookies ascend");
                after = e.Cookie;
                all.Add(e);
            }
        }
    }

    /// <summary>The namespace under the root is a tree whose counts agree with its entries; nothing of <paramref name="created"/> is left unreachable.</summary>
    private async Task CheckTreeAsync(IEnumerable<ulong> created)
    {
        var names = new Dictionary<ulong, uint>(); // entries naming each non-directory
        var dirs = new HashSet<ulong> { Root.Inode };
        var queue = new Queue<ulong>([Root.Inode]);
        while (queue.TryDequeue(out ulong dirInode))
        {
            InodeRecord dir = (await Store.GetInodeAsync(dirInode)) ?? throw new InvalidOperationException($"directory {dirInode} is gone");
            List<DirEntryRecord> entries = await ListAllAsync(dirInode);
            Assert.Equal((ulong)entries.Count, dir.EntryCount);
            Assert.Equal(entries.Count, entries.Select(e => Convert.ToHexString(e.Name)).Distinct().Count());
            uint subdirs = 0;
            foreach (DirEntryRecord e in entries)
            {
                Assert.Equal(e.Inode, (await Store.GetEntryAsync(dirInode, e.Name))?.Inode);
                InodeRecord child = (await Store.GetInodeAsync(e.Inode)) ?? throw new InvalidOperationException($"entry {Encoding.UTF8.GetString(e.Name)} of {dirInode} names nothing");
                if (child.Type == FileType.Directory)
                {
                    subdirs++;
                    Assert.True(dirs.Add(e.Inode), $"directory {e.Inode} reached twice (a loop, or two names)");
                    Assert.Equal(dirInode, child.Parent);
                    queue.Enqueue(e.Inode);
                }
                else
                {
                    names[e.Inode] = names.GetValueOrDefault(e.Inode) + 1;
                    Assert.True(child.Size <= 100, "sizes come from the writes");
                }
            }
            Assert.Equal(2 + subdirs, dir.LinkCount);
        }
        foreach ((ulong inode, uint count) in names)
        {
            Assert.Equal(count, (await Store.GetInodeAsync(inode))!.Value.LinkCount);
        }
        foreach (ulong inode in created)
        {
            if (!dirs.Contains(inode) && !names.ContainsKey(inode)) Assert.Null(await Store.GetInodeAsync(inode));
        }
        Assert.Equal(0, Fs.LockedInodeCount);
    }
}
