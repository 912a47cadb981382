using Xunit;

namespace DittoFs.Storage.Tests;

public abstract class LinkTests : FileSystemTestBase
{
    [Fact]
    public async Task Link_AddsAName_AndALink()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        FileAttributes d = await MkdirAsync(Root, "d");
        LinkResult r = await Fs.LinkAsync(RootCaller, f.Id, d.Id, N("b"));

        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(2u, r.File!.Value.LinkCount);
        Assert.True(r.File.Value.ChangeId > f.ChangeId);
        Assert.True(r.Directory.After!.Value.ChangeId > d.ChangeId);
        Assert.Equal(f.Id, (await LookupAsync(d.Id, "b")).Id);
        Assert.Equal(2u, (await AttrAsync(f.Id)).LinkCount);
    }

    [Fact]
    public async Task Link_ToADirectory_IsIsDirectory()
    {
        FileAttributes d = await MkdirAsync(Root, "d");
        Assert.Equal(FsStatus.IsDirectory, (await Fs.LinkAsync(RootCaller, d.Id, Root, N("x"))).Status);
    }

    [Fact]
    public async Task Link_OfAnOpenFileWithoutNames_IsNotFound()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        Fs.Hold(f.Id);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("a"), directoryOnly: false)).Status);

        // Linux's vfs_link refuses an nlink-0 inode (ENOENT): it stays an orphan, freed at its close.
        LinkResult r = await Fs.LinkAsync(RootCaller, f.Id, Root, N("b"));
        Assert.Equal(FsStatus.NotFound, r.Status);
        Assert.Equal(0u, (await AttrAsync(f.Id)).LinkCount);
        Assert.Equal(FsStatus.NotFound, await LookupStatusAsync(Root, "b"));
        await Fs.ReleaseAsync(f.Id);
        Assert.Equal(FsStatus.Stale, (await Fs.GetAttributesAsync(f.Id)).Status);
    }

    [Fact]
    public async Task Link_ExistingName_IsExists()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        await CreateAsync(Root, "b");
        Assert.Equal(FsStatus.Exists, (await Fs.LinkAsync(RootCaller, f.Id, Root, N("b"))).Status);
    }

    [Fact]
    public async Task Link_AcrossVolumes_IsCrossDevice()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        FileId other = (await Fs.GetVolumeRootAsync("other")).Value;
        Assert.Equal(FsStatus.CrossDevice, (await Fs.LinkAsync(RootCaller, f.Id, other, N("a"))).Status);
    }

    [Fact]
    public async Task Link_WithoutWriteOnDirectory_IsAccess()
    {
        FileAttributes f = await CreateAsync(Root, "a", mode: 0x1B6);
        FileAttributes d = await MkdirAsync(Root, "d", 0x1ED);
        Assert.Equal(FsStatus.Access, (await Fs.LinkAsync(User(1000, 1000), f.Id, d.Id, N("b"))).Status);
    }

    [Fact]
    public async Task Link_IntoAFile_IsNotDirectory()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        Assert.Equal(FsStatus.NotDirectory, (await Fs.LinkAsync(RootCaller, f.Id, f.Id, N("b"))).Status);
    }

    [Fact]
    public async Task Link_BeyondMaxLinkCount_IsTooManyLinks()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        FileAttributes d = await MkdirAsync(Root, "d");
        for (int i = 1; i < TestMaxLinkCount; i++)
        {
            LinkResult r = await Fs.LinkAsync(RootCaller, f.Id, d.Id, N("l" + i));
            Assert.Equal(FsStatus.Ok, r.Status);
        }
        Assert.Equal(TestMaxLinkCount, (await AttrAsync(f.Id)).LinkCount);
        Assert.Equal(FsStatus.TooManyLinks, (await Fs.LinkAsync(RootCaller, f.Id, d.Id, N("one-more"))).Status);
    }
}
