using Xunit;

namespace DittoFs.Storage.Tests;

public abstract class SetAttrTests : FileSystemTestBase
{
    private static readonly Caller Owner = User(1000, 100, 200);
    private static readonly Caller Stranger = User(2000, 300);

    private Task<FileAttributes> OwnedFileAsync(uint mode = 0x1A4) => CreateAsync(Root, "f", mode: mode, caller: Owner);

    [Fact]
    public async Task Chmod_ByOwner_Succeeds_BumpsCtimeAndChangeId()
    {
        FileAttributes f = await OwnedFileAsync();
        SetAttrResult r = await Fs.SetAttributesAsync(Owner, f.Id, new SetAttributes { Mode = 0x180 });
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(0x180u, r.File.After!.Value.Mode);
        Assert.Equal(f.ChangeTime, r.File.Before!.Value.ChangeTime);
        Assert.True(r.File.After.Value.ChangeId > f.ChangeId);
        Assert.Equal(f.ModifyTime, r.File.After.Value.ModifyTime);
    }

    [Fact]
    public async Task Chmod_ByOther_IsNotPermitted_ByRoot_Succeeds()
    {
        FileAttributes f = await OwnedFileAsync();
        Assert.Equal(FsStatus.NotPermitted, await SetAttrAsync(f.Id, new SetAttributes { Mode = 0x1FF }, Stranger));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Mode = 0x1FF }));
        Assert.Equal(0x1FFu, (await AttrAsync(f.Id)).Mode);
    }

    [Fact]
    public async Task Chown_NeedsRoot_ButOwnerMayKeepItsUid()
    {
        FileAttributes f = await OwnedFileAsync();
        Assert.Equal(FsStatus.NotPermitted, await SetAttrAsync(f.Id, new SetAttributes { Uid = 1 }, Owner));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Uid = 1000 }, Owner));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Uid = 1 }));
        Assert.Equal(1u, (await AttrAsync(f.Id)).Uid);
    }

    [Fact]
    public async Task Chgrp_ByOwner_OnlyToItsGroups()
    {
        FileAttributes f = await OwnedFileAsync();
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Gid = 200 }, Owner));
        Assert.Equal(200u, (await AttrAsync(f.Id)).Gid);
        Assert.Equal(FsStatus.NotPermitted, await SetAttrAsync(f.Id, new SetAttributes { Gid = 999 }, Owner));
        Assert.Equal(FsStatus.NotPermitted, await SetAttrAsync(f.Id, new SetAttributes { Gid = 300 }, Stranger));
    }

    [Fact]
    public async Task Chmod_SetgidByNonMember_IsCleared()
    {
        FileAttributes f = await OwnedFileAsync();
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Gid = 500 }));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Mode = 0x5ED }, Owner)); // 02755
        Assert.Equal(0x1EDu, (await AttrAsync(f.Id)).Mode);
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Mode = 0x5ED }));
        Assert.Equal(0x5EDu, (await AttrAsync(f.Id)).Mode);
    }

    [Fact]
    public async Task Chown_ClearsSetuid_AndSetgidWithGroupExec()
    {
        FileAttributes f = await OwnedFileAsync(0xDED); // 06755
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Uid = 7 }));
        Assert.Equal(0x1EDu, (await AttrAsync(f.Id)).Mode);
    }

    [Fact]
    public async Task Chgrp_KeepsSetgidWithoutGroupExec()
    {
        FileAttributes f = await OwnedFileAsync(0xDE5); // 06745: setgid without g+x
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Gid = 200 }, Owner));
        Assert.Equal(0x5E5u, (await AttrAsync(f.Id)).Mode);
    }

    [Fact]
    public async Task Truncate_ByNonOwnerWithWriteAccess_ClearsSetuid_AndSetgidWithGroupExec()
    {
        FileAttributes f = await OwnedFileAsync(0xDFF); // 06777
        Caller stranger = User(2000, 2000);
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Size = 0 }, stranger)); // to the size it has: still a truncate
        Assert.Equal(0x1FFu, (await AttrAsync(f.Id)).Mode);

        FileAttributes g = await CreateAsync(Root, "g", mode: 0xDF7, caller: Owner); // 06767: setgid without g+x stays (mandatory-locking marker)
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(g.Id, new SetAttributes { Size = 10 }, Owner));
        Assert.Equal(0x5F7u, (await AttrAsync(g.Id)).Mode);
    }

    [Fact]
    public async Task Truncate_ByRoot_KeepsSetuid_AnExplicitModeWins()
    {
        FileAttributes f = await OwnedFileAsync(0x9FF); // 04777
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Size = 5 }));
        Assert.Equal(0x9FFu, (await AttrAsync(f.Id)).Mode);
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Size = 0, Mode = 0x9FF }, Owner));
        Assert.Equal(0x9FFu, (await AttrAsync(f.Id)).Mode);
    }

    [Fact]
    public async Task UncheckedCreateTruncating_ByNonRoot_ClearsSetuid()
    {
        FileAttributes f = await OwnedFileAsync(0x9FF); // 04777
        await WriteAsync(f.Id, 0, [1, 2, 3], RootCaller);
        CreateResult r = await Fs.CreateAsync(User(2000, 2000), Root, N("f"), new CreateRequest
        {
            Type = FileType.Regular,
            Mode = CreateMode.Unchecked,
            Attributes = new SetAttributes { Size = 0 },
        });
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(0x1FFu, r.File.Mode);
    }

    [Fact]
    public async Task Mode_OnSymlink_IsIgnored()
    {
        FileAttributes l = await CreateAsync(Root, "l", FileType.Symlink);
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(l.Id, new SetAttributes { Mode = 0x1A4 }));
        Assert.Equal(0x1FFu, (await AttrAsync(l.Id)).Mode);
    }

    [Fact]
    public async Task Truncate_ShrinksAndExtendsWithZeros()
    {
        FileAttributes f = await OwnedFileAsync();
        await WriteAsync(f.Id, 0, Pattern(10_000), Owner);
        SetAttrResult shrink = await Fs.SetAttributesAsync(Owner, f.Id, new SetAttributes { Size = 100 });
        Assert.Equal(FsStatus.Ok, shrink.Status);
        Assert.Equal(100ul, shrink.File.After!.Value.Size);
        Assert.True(shrink.File.After.Value.ModifyTime.CompareTo(shrink.File.Before!.Value.ModifyTime) >= 0);

        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Size = 9000 }, Owner));
        byte[] data = await ReadAllAsync(f.Id);
        Assert.Equal(9000, data.Length);
        Assert.Equal(Pattern(10_000)[..100], data[..100]);
        Assert.All(data[100..], b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task Size_OnDirectory_IsIsDirectory_OnSymlink_IsInvalid_TooBig_IsFileTooBig()
    {
        FileAttributes d = await MkdirAsync(Root, "d");
        FileAttributes l = await CreateAsync(Root, "l", FileType.Symlink);
        FileAttributes f = await CreateAsync(Root, "f");
        Assert.Equal(FsStatus.IsDirectory, await SetAttrAsync(d.Id, new SetAttributes { Size = 0 }));
        Assert.Equal(FsStatus.Invalid, await SetAttrAsync(l.Id, new SetAttributes { Size = 0 }));
        Assert.Equal(FsStatus.FileTooBig, await SetAttrAsync(f.Id, new SetAttributes { Size = FsLimits.MaxFileSize + 1 }));
    }

    [Fact]
    public async Task Size_WithoutWritePermission_IsAccess()
    {
        FileAttributes f = await OwnedFileAsync(0x124); // 0444
        Assert.Equal(FsStatus.Access, await SetAttrAsync(f.Id, new SetAttributes { Size = 0 }, Stranger));
        Assert.Equal(FsStatus.Access, await SetAttrAsync(f.Id, new SetAttributes { Size = 0 }, Owner));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Size = 0 }));
    }

    [Fact]
    public async Task Guard_Mismatch_IsNotSync_Match_Succeeds()
    {
        FileAttributes f = await OwnedFileAsync();
        var attrs = new SetAttributes { Mode = 0x180 };
        Assert.Equal(FsStatus.NotSync, (await Fs.SetAttributesAsync(Owner, f.Id, attrs, new Timestamp(1, 2))).Status);
        Assert.Equal(0x1A4u, (await AttrAsync(f.Id)).Mode);
        Assert.Equal(FsStatus.Ok, (await Fs.SetAttributesAsync(Owner, f.Id, attrs, f.ChangeTime)).Status);
    }

    [Fact]
    public async Task Times_ExplicitNeedOwner_NowNeedsOwnerOrWrite()
    {
        FileAttributes f = await OwnedFileAsync(0x1B6); // 0666: strangers may write
        var explicitTime = new SetAttributes { ModifyTime = TimeSet.At(new Timestamp(1_000_000, 5)), AccessTime = TimeSet.At(new Timestamp(2_000_000, 6)) };
        Assert.Equal(FsStatus.NotPermitted, await SetAttrAsync(f.Id, explicitTime, Stranger));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, explicitTime, Owner));
        FileAttributes a = await AttrAsync(f.Id);
        Assert.Equal(new Timestamp(1_000_000, 5), a.ModifyTime);
        Assert.Equal(new Timestamp(2_000_000, 6), a.AccessTime);

        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { ModifyTime = TimeSet.ServerTime }, Stranger));
        Assert.True((await AttrAsync(f.Id)).ModifyTime.Seconds > 1_000_000);

        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Mode = 0x1A4 }, Owner));
        Assert.Equal(FsStatus.Access, await SetAttrAsync(f.Id, new SetAttributes { AccessTime = TimeSet.ServerTime }, Stranger));
    }

    [Fact]
    public async Task EmptySetAttr_ChangesNothing()
    {
        FileAttributes f = await OwnedFileAsync();
        SetAttrResult r = await Fs.SetAttributesAsync(Stranger, f.Id, new SetAttributes());
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(f, await AttrAsync(f.Id));
    }

    [Fact]
    public async Task SetAttr_OnRemovedFile_IsStale()
    {
        FileAttributes f = await OwnedFileAsync();
        await Fs.RemoveAsync(RootCaller, Root, N("f"), false);
        Assert.Equal(FsStatus.Stale, await SetAttrAsync(f.Id, new SetAttributes { Mode = 0 }));
    }
}
