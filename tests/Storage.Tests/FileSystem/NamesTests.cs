using Xunit;

namespace DittoFs.Storage.Tests;

public abstract class NamesTests : FileSystemTestBase
{
    public static TheoryData<byte[], FsStatus> BadNames => new()
    {
        { [], FsStatus.Invalid },
        { "a/b"u8.ToArray(), FsStatus.Invalid },
        { "a\0b"u8.ToArray(), FsStatus.Invalid },
        { "."u8.ToArray(), FsStatus.Invalid },
        { ".."u8.ToArray(), FsStatus.Invalid },
        { Enumerable.Repeat((byte)'x', 256).ToArray(), FsStatus.NameTooLong },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task Create_RejectsBadNames(byte[] name, FsStatus expected)
    {
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, name, new CreateRequest { Type = FileType.Regular });
        Assert.Equal(expected, r.Status);
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task RemoveRenameLink_RejectBadNames(byte[] name, FsStatus expected)
    {
        FileAttributes f = await CreateAsync(Root, "f");
        Assert.Equal(expected, (await Fs.RemoveAsync(RootCaller, Root, name, false)).Status);
        Assert.Equal(expected, (await Fs.RenameAsync(RootCaller, Root, N("f"), Root, name)).Status);
        Assert.Equal(expected, (await Fs.LinkAsync(RootCaller, f.Id, Root, name)).Status);
    }

    [Fact]
    public async Task NameOf255Bytes_IsAccepted()
    {
        string name = new('n', 255);
        await CreateAsync(Root, name);
        Assert.Equal(FsStatus.Ok, await LookupStatusAsync(Root, name));
    }

    [Fact]
    public async Task NonUtf8Names_RoundTripAsBytes()
    {
        byte[] name = [0xFF, 0xFE, 0x80, (byte)'a'];
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, name, new CreateRequest { Type = FileType.Regular });
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(r.File.Id, (await Fs.LookupAsync(RootCaller, Root, name)).File.Id);
        ReadDirResult list = await Fs.ReadDirectoryAsync(RootCaller, Root, 0, 0, 10);
        Assert.Equal(name, Assert.Single(list.Entries).Name);
    }

    [Fact]
    public async Task LookupDot_IsTheDirectory_DotDot_IsTheParent()
    {
        FileAttributes d = await MkdirAsync(Root, "d");
        Assert.Equal(d.Id, (await Fs.LookupAsync(RootCaller, d.Id, N("."))).File.Id);
        Assert.Equal(Root, (await Fs.LookupAsync(RootCaller, d.Id, N(".."))).File.Id);
        Assert.Equal(Root, (await Fs.LookupParentAsync(RootCaller, d.Id)).File.Id);
    }

    [Fact]
    public async Task DotDotOfRoot_IsTheRoot()
    {
        Assert.Equal(Root, (await Fs.LookupAsync(RootCaller, Root, N(".."))).File.Id);
        Assert.Equal(Root, (await Fs.LookupParentAsync(RootCaller, Root)).File.Id);
    }

    [Fact]
    public async Task Lookup_Missing_IsNotFound_TooLong_IsNameTooLong()
    {
        Assert.Equal(FsStatus.NotFound, await LookupStatusAsync(Root, "nope"));
        Assert.Equal(FsStatus.NameTooLong, await LookupStatusAsync(Root, new string('x', 256)));
    }

    [Fact]
    public async Task Lookup_InFile_IsNotDirectory()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        Assert.Equal(FsStatus.NotDirectory, await LookupStatusAsync(f.Id, "x"));
    }

    [Fact]
    public async Task Names_AreCaseSensitive()
    {
        await CreateAsync(Root, "Name");
        Assert.Equal(FsStatus.NotFound, await LookupStatusAsync(Root, "name"));
        await CreateAsync(Root, "name");
    }
}
