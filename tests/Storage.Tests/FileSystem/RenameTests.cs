using Xunit;

namespace DittoFs.Storage.Tests;

public abstract class RenameTests : FileSystemTestBase
{
    private Task<RenameResult> RenameAsync(FileId from, string fromName, FileId to, string toName, Caller? caller = null) =>
        Fs.RenameAsync(caller ?? RootCaller, from, N(fromName), to, N(toName)).AsTask();

    [Fact]
    public async Task Rename_InSameDirectory_MovesTheName()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        RenameResult r = await RenameAsync(Root, "a", Root, "b");
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(FsStatus.NotFound, await LookupStatusAsync(Root, "a"));
        FileAttributes moved = await LookupAsync(Root, "b");
        Assert.Equal(f.Id, moved.Id);
        Assert.True(moved.ChangeTime.CompareTo(f.ChangeTime) >= 0);
        Assert.True(moved.ChangeId > f.ChangeId);
        Assert.Equal(r.FromDirectory.After, r.ToDirectory.After);
    }

    [Fact]
    public async Task Rename_FileOverFile_ReplacesTarget()
    {
        FileAttributes a = await CreateAsync(Root, "a");
        FileAttributes b = await CreateAsync(Root, "b");
        Assert.Equal(FsStatus.Ok, (await RenameAsync(Root, "a", Root, "b")).Status);
        Assert.Equal(a.Id, (await LookupAsync(Root, "b")).Id);
        Assert.Equal(FsStatus.Stale, (await Fs.GetAttributesAsync(b.Id)).Status);
        Assert.Single((await Fs.ReadDirectoryAsync(RootCaller, Root, 0, 0, 10)).Entries);
    }

    [Fact]
    public async Task Rename_OverAHardLinkedTarget_DropsOneLink()
    {
        await CreateAsync(Root, "a");
        FileAttributes b = await CreateAsync(Root, "b");
        Assert.Equal(FsStatus.Ok, (await Fs.LinkAsync(RootCaller, b.Id, Root, N("b2"))).Status);
        Assert.Equal(FsStatus.Ok, (await RenameAsync(Root, "a", Root, "b")).Status);
        Assert.Equal(1u, (await AttrAsync(b.Id)).LinkCount);
    }

    [Fact]
    public async Task Rename_DirectoryOverEmptyDirectory_Succeeds()
    {
        FileAttributes d1 = await MkdirAsync(Root, "d1");
        FileAttributes d2 = await MkdirAsync(Root, "d2");
        Assert.Equal(4u, (await AttrAsync(Root)).LinkCount);
        Assert.Equal(FsStatus.Ok, (await RenameAsync(Root, "d1", Root, "d2")).Status);
        Assert.Equal(d1.Id, (await LookupAsync(Root, "d2")).Id);
        Assert.Equal(FsStatus.Stale, (await Fs.GetAttributesAsync(d2.Id)).Status);
        Assert.Equal(3u, (await AttrAsync(Root)).LinkCount);
    }

    [Fact]
    public async Task Rename_DirectoryOverNonEmptyDirectory_IsNotEmpty()
    {
        await MkdirAsync(Root, "d1");
        FileAttributes d2 = await MkdirAsync(Root, "d2");
        await CreateAsync(d2.Id, "f");
        Assert.Equal(FsStatus.NotEmpty, (await RenameAsync(Root, "d1", Root, "d2")).Status);
    }

    [Fact]
    public async Task Rename_FileOverDirectory_IsIsDirectory_DirectoryOverFile_IsNotDirectory()
    {
        await CreateAsync(Root, "f");
        await MkdirAsync(Root, "d");
        Assert.Equal(FsStatus.IsDirectory, (await RenameAsync(Root, "f", Root, "d")).Status);
        Assert.Equal(FsStatus.NotDirectory, (await RenameAsync(Root, "d", Root, "f")).Status);
    }

    [Fact]
    public async Task Rename_DirectoryIntoItsOwnSubtree_IsInvalid()
    {
        FileAttributes a = await MkdirAsync(Root, "a");
        FileAttributes b = await MkdirAsync(a.Id, "b");
        FileAttributes c = await MkdirAsync(b.Id, "c");
        Assert.Equal(FsStatus.Invalid, (await RenameAsync(Root, "a", c.Id, "x")).Status);
        Assert.Equal(FsStatus.Invalid, (await RenameAsync(Root, "a", a.Id, "x")).Status);
        Assert.Equal(FsStatus.Invalid, (await RenameAsync(a.Id, "b", b.Id, "x")).Status);
    }

    [Fact]
    public async Task Rename_DirectoryToAnotherParent_AdjustsLinksAndParent()
    {
        FileAttributes p1 = await MkdirAsync(Root, "p1");
        FileAttributes p2 = await MkdirAsync(Root, "p2");
        FileAttributes d = await MkdirAsync(p1.Id, "d");
        Assert.Equal(3u, (await AttrAsync(p1.Id)).LinkCount);

        RenameResult r = await RenameAsync(p1.Id, "d", p2.Id, "moved");

        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(2u, r.FromDirectory.After!.Value.LinkCount);
        Assert.Equal(3u, r.ToDirectory.After!.Value.LinkCount);
        Assert.Equal(2u, (await AttrAsync(p1.Id)).LinkCount);
        Assert.Equal(3u, (await AttrAsync(p2.Id)).LinkCount);
        FileAttributes moved = await AttrAsync(d.Id);
        Assert.Equal(p2.Id.Inode, moved.ParentInode);
        Assert.Equal(p2.Id, (await Fs.LookupParentAsync(RootCaller, d.Id)).File.Id);
        Assert.Equal(p2.Id, (await Fs.LookupAsync(RootCaller, d.Id, N(".."))).File.Id);
    }

    [Fact]
    public async Task Rename_AcrossVolumes_IsCrossDevice()
    {
        await CreateAsync(Root, "f");
        FileId other = (await Fs.GetVolumeRootAsync("other")).Value;
        Assert.Equal(FsStatus.CrossDevice, (await RenameAsync(Root, "f", other, "f")).Status);
    }

    [Fact]
    public async Task Rename_HardLinksOfTheSameFile_IsANoOp()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        Assert.Equal(FsStatus.Ok, (await Fs.LinkAsync(RootCaller, f.Id, Root, N("b"))).Status);
        Assert.Equal(FsStatus.Ok, (await RenameAsync(Root, "a", Root, "b")).Status);
        Assert.Equal(f.Id, (await LookupAsync(Root, "a")).Id);
        Assert.Equal(f.Id, (await LookupAsync(Root, "b")).Id);
        Assert.Equal(2u, (await AttrAsync(f.Id)).LinkCount);
    }

    [Fact]
    public async Task Rename_ToTheSameName_IsANoOp()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        Assert.Equal(FsStatus.Ok, (await RenameAsync(Root, "a", Root, "a")).Status);
        Assert.Equal(f.Id, (await LookupAsync(Root, "a")).Id);
    }

    [Fact]
    public async Task Rename_MissingSource_IsNotFound()
    {
        Assert.Equal(FsStatus.NotFound, (await RenameAsync(Root, "nope", Root, "x")).Status);
    }

    [Fact]
    public async Task Rename_NonDirectoryHandle_IsNotDirectory()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        Assert.Equal(FsStatus.NotDirectory, (await RenameAsync(f.Id, "x", Root, "y")).Status);
    }

    [Fact]
    public async Task Rename_GivesANewCookie_AndKeepsEntryCount()
    {
        FileAttributes d = await MkdirAsync(Root, "d");
        await CreateAsync(d.Id, "a");
        await CreateAsync(d.Id, "b");
        Assert.Equal(FsStatus.Ok, (await RenameAsync(d.Id, "a", d.Id, "c")).Status);
        ReadDirResult list = await Fs.ReadDirectoryAsync(RootCaller, d.Id, 0, 0, 10);
        Assert.Equal(["b", "c"], list.Entries.Select(e => System.Text.Encoding.UTF8.GetString(e.Name)));
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, d.Id, N("b"), false)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, d.Id, N("c"), false)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("d"), true)).Status);
    }

    [Fact]
    public async Task Rename_DirectoryToAnotherParent_NeedsWriteOnTheDirectory()
    {
        Caller user = User(1000, 1000);
        FileAttributes p1 = await MkdirAsync(Root, "p1", Dir0777);
        FileAttributes p2 = await MkdirAsync(Root, "p2", Dir0777);
        await MkdirAsync(p1.Id, "d", 0x16D); // 0555, owned by root
        Assert.Equal(FsStatus.Access, (await RenameAsync(p1.Id, "d", p2.Id, "d", user)).Status);
        Assert.Equal(FsStatus.Ok, (await RenameAsync(p1.Id, "d", p1.Id, "e", user)).Status);
    }
}
