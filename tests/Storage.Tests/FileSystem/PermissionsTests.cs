using Xunit;

namespace DittoFs.Storage.Tests;

public abstract class PermissionsTests : FileSystemTestBase
{
    private static readonly Caller Alice = User(1000, 100);
    private static readonly Caller Bob = User(2000, 200, 100);
    private static readonly Caller Carol = User(3000, 300);

    [Fact]
    public async Task Lookup_NeedsSearchOnDirectory()
    {
        FileAttributes d = await MkdirAsync(Root, "d", 0x1C0, Alice); // 0700
        await CreateAsync(d.Id, "f", caller: Alice);
        Assert.Equal(FsStatus.Ok, (await Fs.LookupAsync(Alice, d.Id, N("f"))).Status);
        Assert.Equal(FsStatus.Access, (await Fs.LookupAsync(Carol, d.Id, N("f"))).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.LookupAsync(RootCaller, d.Id, N("f"))).Status);
    }

    [Fact]
    public async Task CreateAndRemove_NeedWriteAndSearchOnDirectory()
    {
        FileAttributes d = await MkdirAsync(Root, "d", 0x1ED, Alice); // 0755
        Assert.Equal(FsStatus.Access, (await Fs.CreateAsync(Carol, d.Id, N("x"), new CreateRequest { Type = FileType.Regular })).Status);
        await CreateAsync(d.Id, "f", caller: Alice);
        Assert.Equal(FsStatus.Access, (await Fs.RemoveAsync(Carol, d.Id, N("f"), false)).Status);
        Assert.Equal(FsStatus.Access, (await Fs.RenameAsync(Carol, d.Id, N("f"), Root, N("g"))).Status);

        FileAttributes writeOnly = await MkdirAsync(Root, "wo", 0x1DB, Alice); // 0733: -wx for others
        Assert.Equal(FsStatus.Ok, (await Fs.CreateAsync(Carol, writeOnly.Id, N("x"), new CreateRequest { Type = FileType.Regular })).Status);
        FileAttributes noSearch = await MkdirAsync(Root, "ns", 0x1F6, Alice); // 0766: rw- for others
        Assert.Equal(FsStatus.Access, (await Fs.CreateAsync(Carol, noSearch.Id, N("x"), new CreateRequest { Type = FileType.Regular })).Status);
    }

    [Fact]
    public async Task StickyDirectory_OnlyOwnersOrRootMayRemoveOrRename()
    {
        FileAttributes tmp = await MkdirAsync(Root, "tmp", 0x3FF, Alice); // 01777, owned by Alice
        await CreateAsync(tmp.Id, "bobs", caller: Bob);
        await CreateAsync(tmp.Id, "bobs2", caller: Bob);
        await CreateAsync(tmp.Id, "bobs3", caller: Bob);
        await CreateAsync(tmp.Id, "bobs4", caller: Bob);

        Assert.Equal(FsStatus.NotPermitted, (await Fs.RemoveAsync(Carol, tmp.Id, N("bobs"), false)).Status);
        Assert.Equal(FsStatus.NotPermitted, (await Fs.RenameAsync(Carol, tmp.Id, N("bobs"), tmp.Id, N("mine"))).Status);
        await CreateAsync(tmp.Id, "carols", caller: Carol);
        Assert.Equal(FsStatus.NotPermitted, (await Fs.RenameAsync(Carol, tmp.Id, N("carols"), tmp.Id, N("bobs"))).Status);

        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(Bob, tmp.Id, N("bobs"), false)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(Alice, tmp.Id, N("bobs2"), false)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, tmp.Id, N("bobs3"), false)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RenameAsync(Bob, tmp.Id, N("bobs4"), tmp.Id, N("renamed"))).Status);
    }

    [Fact]
    public async Task SetgidDirectory_NewEntriesInheritGroup_SubdirsInheritTheBit()
    {
        FileAttributes shared = await MkdirAsync(Root, "shared", 0xDFF); // 02777 owned by root, gid 0
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(shared.Id, new SetAttributes { Gid = 500 }));

        FileAttributes file = await CreateAsync(shared.Id, "f", caller: Carol);
        FileAttributes dir = await MkdirAsync(shared.Id, "d", 0x1ED, Carol);

        Assert.Equal(500u, file.Gid);
        Assert.Equal(3000u, file.Uid);
        Assert.Equal(0x1A4u, file.Mode);
        Assert.Equal(500u, dir.Gid);
        Assert.Equal(0x5EDu, dir.Mode); // 02755
        FileAttributes nested = await CreateAsync(dir.Id, "n", caller: Carol);
        Assert.Equal(500u, nested.Gid);
    }

    [Fact]
    public async Task Create_SetgidFileInForeignGroup_DropsTheBit()
    {
        FileAttributes shared = await MkdirAsync(Root, "shared", 0xDFF);
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(shared.Id, new SetAttributes { Gid = 500 }));
        FileAttributes f = await CreateAsync(shared.Id, "f", mode: 0x5ED, caller: Carol); // 02755, Carol not in 500
        Assert.Equal(0x1EDu, f.Mode);
    }

    [Fact]
    public async Task OwnerClassDecides_EvenIfGroupWouldAllow()
    {
        FileAttributes f = await CreateAsync(Root, "f", mode: 0x03F, caller: Alice); // 0077
        Assert.Equal(FsStatus.Access, (await Fs.ReadAsync(Alice, f.Id, 0, new byte[1])).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.ReadAsync(Bob, f.Id, 0, new byte[1])).Status); // group 100 via supplementary
        Assert.Equal(FsStatus.Ok, (await Fs.ReadAsync(Carol, f.Id, 0, new byte[1])).Status);
    }

    [Fact]
    public async Task Access_OnFile_FollowsModeBits()
    {
        FileAttributes f = await CreateAsync(Root, "f", mode: 0x1E4, caller: Alice); // 0744
        AccessResult owner = await Fs.AccessAsync(Alice, f.Id, AccessMask.All);
        AccessResult other = await Fs.AccessAsync(Carol, f.Id, AccessMask.All);
        Assert.Equal(AccessMask.Read | AccessMask.Modify | AccessMask.Extend | AccessMask.Execute, owner.Granted);
        Assert.Equal(AccessMask.Read, other.Granted);
        Assert.Equal(AccessMask.Read, (await Fs.AccessAsync(Carol, f.Id, AccessMask.Read | AccessMask.Modify)).Granted);
    }

    [Fact]
    public async Task Access_OnDirectory_DeleteNeedsWriteAndSearch()
    {
        FileAttributes d = await MkdirAsync(Root, "d", 0x1FD, Alice); // 0775
        Assert.Equal(AccessMask.Read | AccessMask.Lookup | AccessMask.Modify | AccessMask.Extend | AccessMask.Delete,
            (await Fs.AccessAsync(Bob, d.Id, AccessMask.All)).Granted);
        Assert.Equal(AccessMask.Read | AccessMask.Lookup, (await Fs.AccessAsync(Carol, d.Id, AccessMask.All)).Granted);
    }

    [Fact]
    public async Task Root_BypassesReadWrite_ButExecuteNeedsAnXBit()
    {
        FileAttributes plain = await CreateAsync(Root, "plain", mode: 0, caller: Alice);
        FileAttributes script = await CreateAsync(Root, "script", mode: 0x1C0, caller: Alice); // 0700
        FileAttributes dir = await MkdirAsync(Root, "d", 0, Alice);
        Assert.Equal(AccessMask.Read | AccessMask.Modify | AccessMask.Extend, (await Fs.AccessAsync(RootCaller, plain.Id, AccessMask.All)).Granted);
        Assert.Equal(AccessMask.Read | AccessMask.Modify | AccessMask.Extend | AccessMask.Execute, (await Fs.AccessAsync(RootCaller, script.Id, AccessMask.All)).Granted);
        Assert.Equal(AccessMask.Read | AccessMask.Lookup | AccessMask.Modify | AccessMask.Extend | AccessMask.Delete,
            (await Fs.AccessAsync(RootCaller, dir.Id, AccessMask.All)).Granted);
    }

    [Fact]
    public async Task Access_OnRemovedFile_IsStale()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        await Fs.RemoveAsync(RootCaller, Root, N("f"), false);
        Assert.Equal(FsStatus.Stale, (await Fs.AccessAsync(RootCaller, f.Id, AccessMask.All)).Status);
    }

    [Fact]
    public async Task OwnerOverride_WhenEnabled_LetsTheOwnerWriteAReadOnlyFile()
    {
        await using var fs = new FileSystem(new Metadata.InMemoryMetadataStore(), new Payload.InMemoryPayloadStore(4096),
            new FileSystemOptions { RootMode = Dir0777, OwnerOverride = true });
        FileId root = (await fs.GetVolumeRootAsync("v")).Value;
        CreateResult f = await fs.CreateAsync(Alice, root, N("ro"), new CreateRequest { Type = FileType.Regular, Attributes = new SetAttributes { Mode = 0x124 } });
        Assert.Equal(FsStatus.Ok, (await fs.WriteAsync(Alice, f.File.Id, 0, new System.Buffers.ReadOnlySequence<byte>(new byte[] { 1 }), StableHow.Unstable)).Status);
        Assert.Equal(FsStatus.Access, (await fs.WriteAsync(Carol, f.File.Id, 0, new System.Buffers.ReadOnlySequence<byte>(new byte[] { 1 }), StableHow.Unstable)).Status);
        Assert.Equal(FsStatus.Ok, (await fs.SetAttributesAsync(Alice, f.File.Id, new SetAttributes { Size = 0 })).Status);
    }
}
