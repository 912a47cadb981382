using System.Buffers;
using System.Text;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;
using DittoFs.Storage.Payload;
using Xunit;

namespace DittoFs.Storage.Tests.Faster;

/// <summary>
/// Files unlinked while open (held) and never closed because the server died: the orphan list in
/// metadata, written in the unlink's batch, lets the next start free their inodes and blocks.
/// </summary>
public sealed class FasterOrphanTests : IDisposable
{
    private readonly FasterTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string PayloadRoot => Path.Combine(_dir.Path, "payload");

    private LocalPayloadStore NewPayload() => new(new LocalPayloadStoreOptions { Root = PayloadRoot });

    private static ReadOnlyMemory<byte> N(string name) => Encoding.UTF8.GetBytes(name);

    private static async Task<FileId> WriteFileAsync(FileSystem fs, FileId root, string name)
    {
        CreateResult created = await fs.CreateAsync(Caller.Root, root, N(name), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Guarded });
        Assert.Equal(FsStatus.Ok, created.Status);
        WriteResult written = await fs.WriteAsync(Caller.Root, created.File.Id, 0, new ReadOnlySequence<byte>(new byte[200_000]), StableHow.FileSync);
        Assert.Equal(FsStatus.Ok, written.Status);
        return created.File.Id;
    }

    [Fact]
    public async Task FilesUnlinkedWhileOpenAreFreedAtTheStartAfterACrash()
    {
        FileId removed, renamedOver, closed, kept;
        var store = new FasterMetadataStore(_dir.Options());
        var payload = NewPayload();
        FileSystem fs = await FileSystem.OpenAsync(store, payload);
        FileId root = (await fs.GetVolumeRootAsync("vol")).Value;
        removed = await WriteFileAsync(fs, root, "removed");
        renamedOver = await WriteFileAsync(fs, root, "renamed-over");
        closed = await WriteFileAsync(fs, root, "closed");
        kept = await WriteFileAsync(fs, root, "kept");
        FileId other = await WriteFileAsync(fs, root, "other");
        Assert.NotEmpty(await payload.ListBlocksAsync(removed.Inode, default)); // the file's blocks are on disk
        Assert.NotEmpty(await payload.ListBlocksAsync(renamedOver.Inode, default));

        // Open (held), then lose their last name: REMOVE, and RENAME onto one; a third is closed before the crash.
        fs.Hold(removed);
        fs.Hold(renamedOver);
        fs.Hold(closed);
        Assert.Equal(FsStatus.Ok, (await fs.RemoveAsync(Caller.Root, root, N("removed"), directoryOnly: false)).Status);
        Assert.Equal(FsStatus.Ok, (await fs.RenameAsync(Caller.Root, root, N("other"), root, N("renamed-over"))).Status);
        Assert.Equal(FsStatus.Ok, (await fs.RemoveAsync(Caller.Root, root, N("closed"), directoryOnly: false)).Status);
        await fs.ReleaseAsync(closed);
        Assert.Null(await store.GetInodeAsync(closed.Inode));
        Assert.Equal(0u, (await store.GetInodeAsync(removed.Inode))!.Value.LinkCount);
        Assert.Equal(0u, (await store.GetInodeAsync(renamedOver.Inode))!.Value.LinkCount);

        // kill -9: nothing released, no checkpoint, the WAL as the unlinks left it (they waited for durability).
        await store.AbandonAsync();
        await payload.DisposeAsync();

        // The list is a record in metadata: the two open files, not the closed one.
        await using (var reopened = await _dir.OpenAsync())
        {
            IReadOnlyList<DirEntryRecord> listed = await reopened.ListEntriesAsync(OrphanDirectory.Inode, 0, 10);
            Assert.Equal(new[] { removed.Inode, renamedOver.Inode }.Order(), listed.Select(e => e.Inode).Order());
        }

        // The next start frees both, inode and blocks; everything else is as it was.
        var store2 = new FasterMetadataStore(_dir.Options());
        var payload2 = NewPayload();
        await using FileSystem fs2 = await FileSystem.OpenAsync(store2, payload2);
        Assert.Null(await store2.GetInodeAsync(removed.Inode));
        Assert.Null(await store2.GetInodeAsync(renamedOver.Inode));
        Assert.Empty(await payload2.ListBlocksAsync(removed.Inode, default)); // the removed file's blocks were freed
        Assert.Empty(await payload2.ListBlocksAsync(renamedOver.Inode, default)); // and the renamed-over file's
        Assert.Empty(await store2.ListEntriesAsync(OrphanDirectory.Inode, 0, 10));
        Assert.Null(await store2.GetInodeAsync(OrphanDirectory.Inode));
        Assert.Equal(FsStatus.Ok, (await fs2.GetAttributesAsync(kept)).Status);
        Assert.Equal(200_000UL, (await fs2.GetAttributesAsync(other)).Value.Size);
        Assert.NotEmpty(await payload2.ListBlocksAsync(kept.Inode, default));
        // The replayed orphan-directory records did not move the inode counter to their reserved number.
        CreateResult next = await fs2.CreateAsync(Caller.Root, root, N("next"), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Guarded });
        Assert.Equal(FsStatus.Ok, next.Status);
        Assert.InRange(next.File.Id.Inode, other.Inode + 1, other.Inode + 100);
    }

    [Fact]
    public async Task AFileClosedNormallyLeavesNoOrphanRecord()
    {
        var store = new FasterMetadataStore(_dir.Options());
        await using FileSystem fs = await FileSystem.OpenAsync(store, NewPayload());
        FileId root = (await fs.GetVolumeRootAsync("vol")).Value;
        FileId file = await WriteFileAsync(fs, root, "f");
        fs.Hold(file);
        Assert.Equal(FsStatus.Ok, (await fs.RemoveAsync(Caller.Root, root, N("f"), directoryOnly: false)).Status);
        Assert.Single(await store.ListEntriesAsync(OrphanDirectory.Inode, 0, 10));
        await fs.ReleaseAsync(file);
        Assert.Null(await store.GetInodeAsync(file.Inode));
        Assert.Empty(await store.ListEntriesAsync(OrphanDirectory.Inode, 0, 10));
        Assert.Null(await store.GetInodeAsync(OrphanDirectory.Inode));
    }
}
