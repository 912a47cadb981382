using Xunit;

namespace DittoFs.Storage.Tests;

/// <summary>Extended attributes (RFC 8276, Linux "user."): one metadata record per inode, limits, permissions, gone with the inode.</summary>
public abstract class XattrTests : FileSystemTestBase
{
    private static ReadOnlyMemory<byte> V(string value) => N(value);

    [Fact]
    public async Task SetGetListRemove_FollowCreateAndReplace()
    {
        FileAttributes f = await CreateAsync(Root, "x");
        Assert.Equal(FsStatus.NoData, (await Fs.GetXattrAsync(RootCaller, f.Id, N("a"))).Status);
        XattrChangeResult set = await Fs.SetXattrAsync(RootCaller, f.Id, N("b"), V("one"), XattrSetMode.Create);
        Assert.Equal(FsStatus.Ok, set.Status);
        Assert.True(set.File.After!.Value.ChangeId > f.ChangeId); // an attribute change: ctime and change id move
        Assert.Equal(FsStatus.Exists, (await Fs.SetXattrAsync(RootCaller, f.Id, N("b"), V("two"), XattrSetMode.Create)).Status);
        Assert.Equal(FsStatus.NoData, (await Fs.SetXattrAsync(RootCaller, f.Id, N("c"), V("two"), XattrSetMode.Replace)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.SetXattrAsync(RootCaller, f.Id, N("b"), V("two"), XattrSetMode.Replace)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.SetXattrAsync(RootCaller, f.Id, N("a"), V(""), XattrSetMode.Either)).Status);
        byte[]? b = (await Fs.GetXattrAsync(RootCaller, f.Id, N("b"))).Value;
        Assert.Equal("two", System.Text.Encoding.UTF8.GetString(b!));
        byte[]? a = (await Fs.GetXattrAsync(RootCaller, f.Id, N("a"))).Value;
        Assert.Empty(a!);
        Assert.Equal(["a", "b"], (await Fs.ListXattrsAsync(RootCaller, f.Id)).Names.Select(n => System.Text.Encoding.UTF8.GetString(n)));

        Assert.Equal(FsStatus.Ok, (await Fs.RemoveXattrAsync(RootCaller, f.Id, N("b"))).Status);
        Assert.Equal(FsStatus.NoData, (await Fs.RemoveXattrAsync(RootCaller, f.Id, N("b"))).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveXattrAsync(RootCaller, f.Id, N("a"))).Status);
        Assert.Empty((await Fs.ListXattrsAsync(RootCaller, f.Id)).Names);
        Assert.Null(await Store.GetXattrsAsync(f.Id.Inode)); // the last one gone: no record left
    }

    [Fact]
    public async Task Limits_NameLengthValueSizeAndTotal()
    {
        FileAttributes f = await CreateAsync(Root, "x");
        Assert.Equal(FsStatus.NameTooLong, (await Fs.SetXattrAsync(RootCaller, f.Id, new byte[256], V("v"), XattrSetMode.Either)).Status);
        Assert.Equal(FsStatus.Invalid, (await Fs.SetXattrAsync(RootCaller, f.Id, ReadOnlyMemory<byte>.Empty, V("v"), XattrSetMode.Either)).Status);
        Assert.Equal(FsStatus.TooBig, (await Fs.SetXattrAsync(RootCaller, f.Id, N("big"), new byte[Xattrs.MaxValue + 1], XattrSetMode.Either)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.SetXattrAsync(RootCaller, f.Id, N("m1"), new byte[Xattrs.MaxValue], XattrSetMode.Either)).Status);
        Assert.Equal(FsStatus.TooBig, (await Fs.SetXattrAsync(RootCaller, f.Id, N("m2"), new byte[Xattrs.MaxValue], XattrSetMode.Either)).Status);
        Assert.Equal(Xattrs.MaxValue, (await Fs.GetXattrAsync(RootCaller, f.Id, N("m1"))).Value!.Length);
    }

    [Fact]
    public async Task Permissions_ReadToGet_WriteToSet_AndNoneOnSymlinks()
    {
        FileAttributes f = await CreateAsync(Root, "x", mode: 0x1A4); // 0644 root
        Assert.Equal(FsStatus.Ok, (await Fs.SetXattrAsync(RootCaller, f.Id, N("k"), V("v"), XattrSetMode.Either)).Status);
        Caller user = User(1000, 1000);
        Assert.Equal(FsStatus.Ok, (await Fs.GetXattrAsync(user, f.Id, N("k"))).Status);
        Assert.Equal(FsStatus.Access, (await Fs.SetXattrAsync(user, f.Id, N("k"), V("w"), XattrSetMode.Either)).Status);
        Assert.Equal(FsStatus.Access, (await Fs.RemoveXattrAsync(user, f.Id, N("k"))).Status);
        FileAttributes secret = await CreateAsync(Root, "secret", mode: 0x180); // 0600
        Assert.Equal(FsStatus.Access, (await Fs.GetXattrAsync(user, secret.Id, N("k"))).Status);

        FileAttributes link = await CreateAsync(Root, "l", FileType.Symlink);
        Assert.Equal(FsStatus.NotPermitted, (await Fs.SetXattrAsync(RootCaller, link.Id, N("k"), V("v"), XattrSetMode.Either)).Status);
        Assert.Equal(FsStatus.NoData, (await Fs.GetXattrAsync(RootCaller, link.Id, N("k"))).Status);

        FileAttributes dir = await MkdirAsync(Root, "d");
        Assert.Equal(FsStatus.Ok, (await Fs.SetXattrAsync(RootCaller, dir.Id, N("k"), V("v"), XattrSetMode.Either)).Status);
    }

    [Fact]
    public async Task TheRecordGoesWithTheInode()
    {
        FileAttributes f = await CreateAsync(Root, "x");
        Assert.Equal(FsStatus.Ok, (await Fs.SetXattrAsync(RootCaller, f.Id, N("k"), V("v"), XattrSetMode.Either)).Status);
        Assert.NotNull(await Store.GetXattrsAsync(f.Id.Inode));
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("x"), directoryOnly: false)).Status);
        Assert.Null(await Store.GetXattrsAsync(f.Id.Inode));
    }
}
