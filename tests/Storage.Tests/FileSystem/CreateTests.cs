using Xunit;

namespace DittoFs.Storage.Tests;

public abstract class CreateTests : FileSystemTestBase
{
    [Fact]
    public async Task CreateRegularFile_TakesCallerOwnerAndDefaultMode()
    {
        FileAttributes before = await AttrAsync(Root);
        CreateResult r = await Fs.CreateAsync(User(1000, 100), Root, N("f"), new CreateRequest { Type = FileType.Regular });

        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(FileType.Regular, r.File.Type);
        Assert.Equal(0x1A4u, r.File.Mode);
        Assert.Equal(1u, r.File.LinkCount);
        Assert.Equal(1000u, r.File.Uid);
        Assert.Equal(100u, r.File.Gid);
        Assert.Equal(0ul, r.File.Size);
        Assert.Equal(Root.Volume, r.File.Id.Volume);
        Assert.Equal(before.ChangeTime, r.Directory.Before!.Value.ChangeTime);
        Assert.True(r.Directory.After!.Value.ChangeId > before.ChangeId);
        Assert.Equal(r.File, await LookupAsync(Root, "f"));
    }

    [Fact]
    public async Task Mkdir_HasTwoLinks_AndAddsOneToParent()
    {
        FileAttributes dir = await MkdirAsync(Root, "d");
        Assert.Equal(FileType.Directory, dir.Type);
        Assert.Equal(0x1EDu, dir.Mode);
        Assert.Equal(2u, dir.LinkCount);
        Assert.Equal(Root.Inode, dir.ParentInode);
        Assert.Equal(3u, (await AttrAsync(Root)).LinkCount);

        await MkdirAsync(dir.Id, "sub");
        Assert.Equal(3u, (await AttrAsync(dir.Id)).LinkCount);
        await CreateAsync(dir.Id, "file");
        Assert.Equal(3u, (await AttrAsync(dir.Id)).LinkCount);
    }

    [Fact]
    public async Task RequestedMode_IsApplied()
    {
        Assert.Equal(0x180u, (await CreateAsync(Root, "f", mode: 0x180)).Mode);
        Assert.Equal(0x1C0u, (await MkdirAsync(Root, "d", mode: 0x1C0)).Mode);
    }

    [Fact]
    public async Task Guarded_ExistingName_IsExists()
    {
        await CreateAsync(Root, "f");
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, N("f"), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Guarded });
        Assert.Equal(FsStatus.Exists, r.Status);
    }

    [Fact]
    public async Task Mkdir_ExistingName_IsExists()
    {
        await CreateAsync(Root, "f");
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, N("f"), new CreateRequest { Type = FileType.Directory, Mode = CreateMode.Unchecked });
        Assert.Equal(FsStatus.Exists, r.Status);
    }

    [Fact]
    public async Task Unchecked_ExistingFile_WithSizeZero_Truncates()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        await WriteAsync(f.Id, 0, Pattern(100));
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, N("f"), new CreateRequest
        {
            Type = FileType.Regular, Mode = CreateMode.Unchecked, Attributes = new SetAttributes { Size = 0 },
        });
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(f.Id, r.File.Id);
        Assert.Equal(0ul, r.File.Size);
        Assert.Empty(await ReadAllAsync(f.Id));
    }

    [Fact]
    public async Task Unchecked_ExistingFile_WithoutSize_IsUnchanged()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        await WriteAsync(f.Id, 0, Pattern(100));
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, N("f"), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Unchecked });
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(f.Id, r.File.Id);
        Assert.Equal(100ul, r.File.Size);
    }

    [Fact]
    public async Task Unchecked_ExistingDirectory_IsExists()
    {
        await MkdirAsync(Root, "d");
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, N("d"), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Unchecked });
        Assert.Equal(FsStatus.Exists, r.Status);
    }

    [Fact]
    public async Task Exclusive_SameVerifier_ReturnsTheFile_OtherVerifier_IsExists()
    {
        var request = new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Exclusive, Verifier = 0x1234 };
        CreateResult first = await Fs.CreateAsync(RootCaller, Root, N("f"), request);
        CreateResult retry = await Fs.CreateAsync(RootCaller, Root, N("f"), request);
        CreateResult other = await Fs.CreateAsync(RootCaller, Root, N("f"), request with { Verifier = 0x9999 });

        Assert.Equal(FsStatus.Ok, first.Status);
        Assert.Equal(FsStatus.Ok, retry.Status);
        Assert.Equal(first.File.Id, retry.File.Id);
        Assert.Equal(FsStatus.Exists, other.Status);
    }

    [Fact]
    public async Task Symlink_StoresTarget_Mode0777_SizeIsTargetLength()
    {
        CreateResult r = await Fs.CreateAsync(User(5, 5), Root, N("l"), new CreateRequest
        {
            Type = FileType.Symlink, LinkTarget = N("../some/where"), Attributes = new SetAttributes { Mode = 0x1A4 },
        });
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(FileType.Symlink, r.File.Type);
        Assert.Equal(0x1FFu, r.File.Mode);
        Assert.Equal(13ul, r.File.Size);
        ReadLinkResult link = await Fs.ReadLinkAsync(User(6, 6), r.File.Id);
        Assert.Equal(FsStatus.Ok, link.Status);
        Assert.Equal("../some/where"u8.ToArray(), link.Target);
    }

    [Fact]
    public async Task Symlink_EmptyTarget_IsInvalid()
    {
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, N("l"), new CreateRequest { Type = FileType.Symlink });
        Assert.Equal(FsStatus.Invalid, r.Status);
    }

    [Fact]
    public async Task ReadLink_OfRegularFile_IsInvalid()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        Assert.Equal(FsStatus.Invalid, (await Fs.ReadLinkAsync(RootCaller, f.Id)).Status);
    }

    [Theory]
    [InlineData(FileType.BlockDevice)]
    [InlineData(FileType.CharDevice)]
    public async Task Device_KeepsRdev(FileType type)
    {
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, N("dev"), new CreateRequest { Type = type, RdevMajor = 8, RdevMinor = 3 });
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(type, r.File.Type);
        Assert.Equal(8u, r.File.RdevMajor);
        Assert.Equal(3u, r.File.RdevMinor);
    }

    [Theory]
    [InlineData(FileType.BlockDevice)]
    [InlineData(FileType.CharDevice)]
    public async Task Device_ByNonRoot_IsNotPermitted(FileType type)
    {
        // What CAP_MKNOD guards: a user's 1:1 (/dev/mem), mode 0666, on a share a root client mounts.
        var request = new CreateRequest { Type = type, RdevMajor = 1, RdevMinor = 1, Attributes = new SetAttributes { Mode = 0x1B6 } };
        CreateResult r = await Fs.CreateAsync(User(1000, 1000), Root, N("mem"), request);
        Assert.Equal(FsStatus.NotPermitted, r.Status);
        Assert.Equal(FsStatus.NotFound, await LookupStatusAsync(Root, "mem"));

        // An existing name is still EEXIST, and a directory without write access still EACCES, as in Linux.
        await CreateAsync(Root, "taken");
        Assert.Equal(FsStatus.Exists, (await Fs.CreateAsync(User(1000, 1000), Root, N("taken"), request)).Status);
        FileAttributes closed = await MkdirAsync(Root, "closed", 0x1ED);
        Assert.Equal(FsStatus.Access, (await Fs.CreateAsync(User(1000, 1000), closed.Id, N("mem"), request)).Status);
    }

    [Theory]
    [InlineData(FileType.Fifo)]
    [InlineData(FileType.Socket)]
    public async Task SpecialFiles_CanBeCreated(FileType type)
    {
        FileAttributes f = await CreateAsync(Root, "special", type);
        Assert.Equal(type, f.Type);
        Assert.Equal(1u, f.LinkCount);

        FileAttributes mine = await CreateAsync(Root, "user-special", type, caller: User(1000, 1000));
        Assert.Equal(1000u, mine.Uid);
    }

    [Fact]
    public async Task UnknownType_IsBadType()
    {
        CreateResult r = await Fs.CreateAsync(RootCaller, Root, N("x"), new CreateRequest { Type = FileType.None });
        Assert.Equal(FsStatus.BadType, r.Status);
    }

    [Fact]
    public async Task OwnerAttributes_ApplyOnlyForRoot()
    {
        var attrs = new SetAttributes { Uid = 42, Gid = 43 };
        CreateResult byUser = await Fs.CreateAsync(User(1000, 100), Root, N("u"), new CreateRequest { Type = FileType.Regular, Attributes = attrs });
        CreateResult byRoot = await Fs.CreateAsync(RootCaller, Root, N("r"), new CreateRequest { Type = FileType.Regular, Attributes = attrs });
        Assert.Equal((1000u, 100u), (byUser.File.Uid, byUser.File.Gid));
        Assert.Equal((42u, 43u), (byRoot.File.Uid, byRoot.File.Gid));
    }

    [Fact]
    public async Task CreateInFile_IsNotDirectory()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        CreateResult r = await Fs.CreateAsync(RootCaller, f.Id, N("x"), new CreateRequest { Type = FileType.Regular });
        Assert.Equal(FsStatus.NotDirectory, r.Status);
    }

    [Fact]
    public async Task InodeNumbers_AreNeverReused()
    {
        FileAttributes a = await CreateAsync(Root, "a");
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("a"), false)).Status);
        FileAttributes b = await CreateAsync(Root, "a");
        Assert.NotEqual(a.Id.Inode, b.Id.Inode);
        Assert.Equal(FsStatus.Stale, (await Fs.GetAttributesAsync(a.Id)).Status);
    }

    [Fact]
    public async Task Volumes_GetDistinctSmallIds_AndStableRoots()
    {
        FsResult<FileId> again = await Fs.GetVolumeRootAsync("vol");
        FsResult<FileId> other = await Fs.GetVolumeRootAsync("other");
        Assert.Equal(Root, again.Value);
        Assert.Equal(1u, Root.Volume);
        Assert.Equal(2u, other.Value.Volume);
        FileAttributes root = await AttrAsync(other.Value);
        Assert.Equal((FileType.Directory, 0x1FFu, 0u, 0u, 2u), (root.Type, root.Mode, root.Uid, root.Gid, root.LinkCount));
        Assert.Equal(root.Id.Inode, root.ParentInode);
    }

    [Fact]
    public async Task HandleFromAnotherVolume_IsStale()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        Assert.Equal(FsStatus.Stale, (await Fs.GetAttributesAsync(f.Id with { Volume = 2 })).Status);
        Assert.Equal(FsStatus.Stale, (await Fs.GetAttributesAsync(f.Id with { Generation = f.Id.Generation + 1 })).Status);
        Assert.Equal(FsStatus.Stale, (await Fs.GetAttributesAsync(f.Id with { Inode = 999_999 })).Status);
    }
}
