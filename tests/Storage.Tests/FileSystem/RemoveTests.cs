using DittoFs.Storage.Payload;
using Xunit;

namespace DittoFs.Storage.Tests;

public abstract class RemoveTests : FileSystemTestBase
{
    [Fact]
    public async Task RemoveFile_DropsName_HandleBecomesStale_PayloadFreed()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        await WriteAsync(f.Id, 0, Pattern(10_000));
        FileAttributes before = await AttrAsync(Root);

        RemoveResult r = await Fs.RemoveAsync(RootCaller, Root, N("f"), directoryOnly: false);

        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(before.ModifyTime, r.Directory.Before!.Value.ModifyTime);
        Assert.True(r.Directory.After!.Value.ChangeId > before.ChangeId);
        Assert.Equal(FsStatus.NotFound, await LookupStatusAsync(Root, "f"));
        Assert.Equal(FsStatus.Stale, (await Fs.GetAttributesAsync(f.Id)).Status);
        Assert.Equal(FsStatus.Stale, (await Fs.ReadAsync(RootCaller, f.Id, 0, new byte[10])).Status);
        Assert.Equal(FsStatus.Stale, (await WriteAsync(f.Id, 0, [1])).Status);
        if (Payload is InMemoryPayloadStore memory) Assert.Equal(0, memory.FileCount);
    }

    [Fact]
    public async Task Remove_Missing_IsNotFound()
    {
        Assert.Equal(FsStatus.NotFound, (await Fs.RemoveAsync(RootCaller, Root, N("nope"), false)).Status);
        Assert.Equal(FsStatus.NotFound, (await Fs.RemoveAsync(RootCaller, Root, N("nope"), true)).Status);
    }

    [Fact]
    public async Task Remove_OfDirectory_IsIsDirectory()
    {
        await MkdirAsync(Root, "d");
        Assert.Equal(FsStatus.IsDirectory, (await Fs.RemoveAsync(RootCaller, Root, N("d"), false)).Status);
    }

    [Fact]
    public async Task Rmdir_OfFile_IsNotDirectory()
    {
        await CreateAsync(Root, "f");
        Assert.Equal(FsStatus.NotDirectory, (await Fs.RemoveAsync(RootCaller, Root, N("f"), true)).Status);
    }

    [Fact]
    public async Task Rmdir_NonEmpty_IsNotEmpty_Empty_Succeeds()
    {
        FileAttributes d = await MkdirAsync(Root, "d");
        await CreateAsync(d.Id, "f");
        Assert.Equal(FsStatus.NotEmpty, (await Fs.RemoveAsync(RootCaller, Root, N("d"), true)).Status);

        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, d.Id, N("f"), false)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("d"), true)).Status);
        Assert.Equal(2u, (await AttrAsync(Root)).LinkCount);
        Assert.Equal(FsStatus.Stale, (await Fs.GetAttributesAsync(d.Id)).Status);
        Assert.Equal(FsStatus.Stale, (await Fs.LookupAsync(RootCaller, d.Id, N("x"))).Status);
    }

    [Fact]
    public async Task RemovingOneHardLink_KeepsTheOther()
    {
        FileAttributes f = await CreateAsync(Root, "a");
        await WriteAsync(f.Id, 0, Pattern(50));
        Assert.Equal(FsStatus.Ok, (await Fs.LinkAsync(RootCaller, f.Id, Root, N("b"))).Status);

        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("a"), false)).Status);

        FileAttributes after = await AttrAsync(f.Id);
        Assert.Equal(1u, after.LinkCount);
        Assert.Equal(Pattern(50), await ReadAllAsync(f.Id));
        Assert.Equal(f.Id, (await LookupAsync(Root, "b")).Id);
    }

    [Fact]
    public async Task RemoveSymlink_AndSpecialFiles()
    {
        await CreateAsync(Root, "l", FileType.Symlink);
        await CreateAsync(Root, "p", FileType.Fifo);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("l"), false)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("p"), false)).Status);
        ReadDirResult list = await Fs.ReadDirectoryAsync(RootCaller, Root, 0, 0, 10);
        Assert.Empty(list.Entries);
    }
}
