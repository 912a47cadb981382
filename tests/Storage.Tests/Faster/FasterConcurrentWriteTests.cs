using System.Buffers;
using System.Text;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;
using DittoFs.Storage.Payload;
using Xunit;

namespace DittoFs.Storage.Tests.Faster;

/// <summary>
/// WRITE and SETATTR take their file's stripe, not the filesystem mutex: many writers extending one file
/// and their own files while RENAME, REMOVE, CREATE and chmod run leave exact sizes and bytes, before
/// and after a kill -9 (for COMMITted data); and a WRITE never waits for a namespace change in progress.
/// </summary>
public sealed class FasterConcurrentWriteTests : IDisposable
{
    private const int Writers = 6, ChunksPerWriter = 40, Chunk = 4096;
    private readonly FasterTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private LocalPayloadStore NewPayload() => new(new LocalPayloadStoreOptions { Root = Path.Combine(_dir.Path, "payload") });

    private static ReadOnlyMemory<byte> N(string name) => Encoding.UTF8.GetBytes(name);

    // Writer w's chunk j: a byte pattern no other (w, j) has, so a misplaced or lost chunk shows.
    private static byte[] ChunkOf(int w, int j)
    {
        var data = new byte[Chunk];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(1 + (w * 53 + j * 7 + i) % 251);
        return data;
    }

    private static async Task<FileId> CreateAsync(FileSystem fs, FileId dir, string name)
    {
        CreateResult r = await fs.CreateAsync(Caller.Root, dir, N(name), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Guarded });
        Assert.Equal(FsStatus.Ok, r.Status);
        return r.File.Id;
    }

    private static async Task AssertContentAsync(FileSystem fs, FileId shared, FileId[] own)
    {
        // The shared file: chunk (j * Writers + w) is writer w's chunk j; each own file: writer w's chunks in order.
        var attrs = await fs.GetAttributesAsync(shared);
        Assert.Equal(FsStatus.Ok, attrs.Status);
        Assert.Equal((ulong)(Writers * ChunksPerWriter * Chunk), attrs.Value.Size);
        var buffer = new byte[Chunk];
        for (int j = 0; j < ChunksPerWriter; j++)
        {
            for (int w = 0; w < Writers; w++)
            {
                ReadResult read = await fs.ReadAsync(Caller.Root, shared, (ulong)((j * Writers + w) * Chunk), buffer);
                Assert.Equal(FsStatus.Ok, read.Status);
                Assert.Equal(Chunk, read.Count);
                Assert.True(ChunkOf(w, j).AsSpan().SequenceEqual(buffer), $"shared chunk {j * Writers + w} (writer {w}, chunk {j})");
            }
        }
        for (int w = 0; w < Writers; w++)
        {
            Assert.Equal((ulong)(ChunksPerWriter * Chunk), (await fs.GetAttributesAsync(own[w])).Value.Size);
            for (int j = 0; j < ChunksPerWriter; j++)
            {
                ReadResult read = await fs.ReadAsync(Caller.Root, own[w], (ulong)(j * Chunk), buffer);
                Assert.Equal(Chunk, read.Count);
                Assert.True(ChunkOf(w, j).AsSpan().SequenceEqual(buffer), $"own file {w} chunk {j}");
            }
        }
    }

    [Fact]
    public async Task WritersExtendingFiles_WhileRenameRemoveAndChmodRun_LeaveExactSizesAndBytes_AlsoAfterKill9()
    {
        var store = new FasterMetadataStore(_dir.Options());
        var payload = NewPayload();
        FileSystem fs = await FileSystem.OpenAsync(store, payload);
        FileId root = (await fs.GetVolumeRootAsync("vol")).Value;
        FileId shared = await CreateAsync(fs, root, "shared");
        var own = new FileId[Writers];
        for (int w = 0; w < Writers; w++) own[w] = await CreateAsync(fs, root, $"own-{w}");

        using var stop = new CancellationTokenSource();
        int churned = 0;
        // Namespace changes of the very inodes being written (rename back and forth, a link added and
        // removed, chmod) and of their directory (create + remove): every one bumps change ids under the
        // writers, whose batches then conflict and are applied again on a fresh read.
        Task churn = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string from = $"own-{i % Writers}", to = $"own-{i % Writers}.moved";
                Assert.Equal(FsStatus.Ok, (await fs.RenameAsync(Caller.Root, root, N(from), root, N(to))).Status);
                Assert.Equal(FsStatus.Ok, (await fs.RenameAsync(Caller.Root, root, N(to), root, N(from))).Status);
                Assert.Equal(FsStatus.Ok, (await fs.LinkAsync(Caller.Root, shared, root, N("shared.link"))).Status);
                Assert.Equal(FsStatus.Ok, (await fs.RemoveAsync(Caller.Root, root, N("shared.link"), directoryOnly: false)).Status);
                Assert.Equal(FsStatus.Ok, (await fs.SetAttributesAsync(Caller.Root, shared, new SetAttributes { Mode = (uint)(0x1A4 | (i & 1) << 3) })).Status);
                await CreateAsync(fs, root, $"tmp-{i}");
                Assert.Equal(FsStatus.Ok, (await fs.RemoveAsync(Caller.Root, root, N($"tmp-{i}"), directoryOnly: false)).Status);
                Interlocked.Increment(ref churned);
            }
        });

        // Each writer: its chunks of the shared file (interleaved with the others, so the size grows from
        // every writer) and its own file, appended; unstable, as a client writes before COMMIT.
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int j = 0; j < ChunksPerWriter; j++)
            {
                // Half way, until a round of namespace changes (each durable, so slow on a loaded machine) went
                // through: the second half of the writes always overlaps them.
                while (j == ChunksPerWriter / 2 && Volatile.Read(ref churned) == 0 && !churn.IsCompleted) await Task.Delay(1);
                var data = new ReadOnlySequence<byte>(ChunkOf(w, j));
                WriteResult a = await fs.WriteAsync(Caller.Root, shared, (ulong)((j * Writers + w) * Chunk), data, StableHow.Unstable);
                Assert.Equal(FsStatus.Ok, a.Status);
                WriteResult b = await fs.WriteAsync(Caller.Root, own[w], (ulong)(j * Chunk), data, StableHow.Unstable);
                Assert.Equal(FsStatus.Ok, b.Status);
                Assert.Equal((ulong)((j + 1) * Chunk), b.File.After!.Value.Size);
            }
        })));
        stop.Cancel();
        await churn;
        Assert.True(churned > 0, "the namespace changes ran");

        await AssertContentAsync(fs, shared, own);
        Assert.Equal(FsStatus.Ok, (await fs.CommitAsync(shared, 0, 0)).Status);
        foreach (FileId f in own) Assert.Equal(FsStatus.Ok, (await fs.CommitAsync(f, 0, 0)).Status);

        // kill -9 after the COMMITs: no final WAL commit, no checkpoint.
        await store.AbandonAsync();
        await payload.DisposeAsync();

        var store2 = new FasterMetadataStore(_dir.Options());
        await using FileSystem fs2 = await FileSystem.OpenAsync(store2, NewPayload());
        await AssertContentAsync(fs2, shared, own);
        for (int w = 0; w < Writers; w++)
        {
            LookupResult found = await fs2.LookupAsync(Caller.Root, root, N($"own-{w}"));
            Assert.Equal(FsStatus.Ok, found.Status);
            Assert.Equal(own[w], found.File.Id);
        }
        Assert.Equal(1u, (await fs2.GetAttributesAsync(shared)).Value.LinkCount);
    }

    [Fact]
    public async Task WriteAndSetAttr_DoNotWaitForANamespaceChangeInProgress()
    {
        var gated = new GatedMetadataStore(new InMemoryMetadataStore());
        await using FileSystem fs = await FileSystem.OpenAsync(gated, new InMemoryPayloadStore(4096));
        FileId root = (await fs.GetVolumeRootAsync("vol")).Value;
        FileId file = await CreateAsync(fs, root, "file");

        // A CREATE whose batch the store holds: it is inside the filesystem's mutex until the gate opens.
        gated.HoldBatchesNaming("blocked");
        Task<CreateResult> blocked = fs.CreateAsync(Caller.Root, root, N("blocked"), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Guarded }).AsTask();
        await gated.Held.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(blocked.IsCompleted);

        Task<WriteResult> write = fs.WriteAsync(Caller.Root, file, 0, new ReadOnlySequence<byte>(new byte[100]), StableHow.Unstable).AsTask();
        Assert.Same(write, await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.Equal(FsStatus.Ok, (await write).Status);
        Task<SetAttrResult> truncate = fs.SetAttributesAsync(Caller.Root, file, new SetAttributes { Size = 50 }).AsTask();
        Assert.Same(truncate, await Task.WhenAny(truncate, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.Equal(FsStatus.Ok, (await truncate).Status);
        Assert.False(blocked.IsCompleted);

        gated.Open();
        Assert.Equal(FsStatus.Ok, (await blocked).Status);
        Assert.Equal(50UL, (await fs.GetAttributesAsync(file)).Value.Size);
    }

    /// <summary>A store that holds the batch putting a given name until told to let it through.</summary>
    private sealed class GatedMetadataStore(IMetadataStore inner) : IMetadataStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private byte[]? _name;

        public SemaphoreSlim Held { get; } = new(0);

        public void HoldBatchesNaming(string name) => _name = Encoding.UTF8.GetBytes(name);

        public void Open() => _gate.TrySetResult();

        public async ValueTask<long> ApplyAsync(MetadataOp[] ops)
        {
            if (_name is { } name && ops.Any(o => o.Kind == MetadataOpKind.PutEntry && o.Name.AsSpan().SequenceEqual(name)))
            {
                Held.Release();
                await _gate.Task;
            }
            return await inner.ApplyAsync(ops);
        }

        public ValueTask OpenAsync(CancellationToken cancellationToken = default) => inner.OpenAsync(cancellationToken);
        public ulong AllocateInode() => inner.AllocateInode();
        public ValueTask<InodeRecord?> GetInodeAsync(ulong inode) => inner.GetInodeAsync(inode);
        public ValueTask<EntryRecord?> GetEntryAsync(ulong directory, ReadOnlyMemory<byte> name) => inner.GetEntryAsync(directory, name);
        public ValueTask<byte[]?> GetSymlinkAsync(ulong inode) => inner.GetSymlinkAsync(inode);
        public ValueTask<VolumeRecord?> GetVolumeAsync(ReadOnlyMemory<byte> name) => inner.GetVolumeAsync(name);
        public ValueTask<IReadOnlyList<DirEntryRecord>> ListEntriesAsync(ulong directory, ulong afterCookie, int max) => inner.ListEntriesAsync(directory, afterCookie, max);
        public ValueTask<BlockRecord?> GetBlockAsync(ulong inode, ulong block) => inner.GetBlockAsync(inode, block);
        public ValueTask<IReadOnlyList<BlockEntry>> ListBlocksAsync(ulong inode, ulong fromBlock) => inner.ListBlocksAsync(inode, fromBlock);
        public ValueTask<SegmentRecord?> GetSegmentAsync(ulong segment) => inner.GetSegmentAsync(segment);
        public ValueTask<byte[]?> GetXattrsAsync(ulong inode) => inner.GetXattrsAsync(inode);
        public ulong MaxBlockVersion => inner.MaxBlockVersion;
        public ValueTask<Guid?> GetFilesystemIdAsync() => inner.GetFilesystemIdAsync();
        public ValueTask WaitDurableAsync(long position) => inner.WaitDurableAsync(position);
        public ValueTask CheckpointAsync() => inner.CheckpointAsync();
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
