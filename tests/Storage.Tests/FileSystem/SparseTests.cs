using Xunit;

namespace DittoFs.Storage.Tests;

/// <summary>SEEK, ALLOCATE, DEALLOCATE and the data ranges of READ_PLUS (RFC 7862) over 4 KiB payload blocks.</summary>
public abstract class SparseTests : FileSystemTestBase
{
    private const ulong B = 4096;

    /// <summary>Blocks 0 and 3 written, 1 and 2 holes; size 4 blocks + 10.</summary>
    private async Task<FileAttributes> SparseAsync()
    {
        FileAttributes f = await CreateAsync(Root, "s");
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, 0, Pattern(100))).Status);
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, 3 * B, Pattern((int)B + 10))).Status);
        return f;
    }

    [Fact]
    public async Task Seek_FindsDataAndHolesByBlock_AndNxioAtTheEnd()
    {
        FileAttributes f = await SparseAsync();
        ulong size = 4 * B + 10;
        Assert.Equal(new SeekResult(FsStatus.Ok, 50, false), await Fs.SeekAsync(RootCaller, f.Id, 50, data: true));
        Assert.Equal(new SeekResult(FsStatus.Ok, B, false), await Fs.SeekAsync(RootCaller, f.Id, 50, data: false));
        Assert.Equal(new SeekResult(FsStatus.Ok, 3 * B, false), await Fs.SeekAsync(RootCaller, f.Id, B + 1, data: true));
        Assert.Equal(new SeekResult(FsStatus.Ok, 2 * B + 5, false), await Fs.SeekAsync(RootCaller, f.Id, 2 * B + 5, data: false));
        Assert.Equal(new SeekResult(FsStatus.Ok, size, true), await Fs.SeekAsync(RootCaller, f.Id, 3 * B, data: false));
        Assert.Equal(FsStatus.NoSuchAddress, (await Fs.SeekAsync(RootCaller, f.Id, size, data: true)).Status);
        Assert.Equal(FsStatus.NoSuchAddress, (await Fs.SeekAsync(RootCaller, f.Id, size + 1, data: false)).Status);

        FileAttributes dir = await MkdirAsync(Root, "d");
        Assert.Equal(FsStatus.IsDirectory, (await Fs.SeekAsync(RootCaller, dir.Id, 0, data: true)).Status);
    }

    [Fact]
    public async Task DataRanges_AreMergedAndCutAtTheSize()
    {
        FileAttributes f = await SparseAsync();
        DataRangesResult r = await Fs.GetDataRangesAsync(RootCaller, f.Id, 10, ulong.MaxValue);
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal([(10UL, B - 10), (3 * B, B + 10)], r.Data);
        Assert.Empty((await Fs.GetDataRangesAsync(RootCaller, f.Id, B, 2 * B)).Data);
    }

    [Fact]
    public async Task Allocate_GrowsTheSizeAsAHole_NeedsWritePermission_AndRefusesPastTheLimits()
    {
        FileAttributes f = await CreateAsync(Root, "a", mode: 0x1A4);
        SetAttrResult r = await Fs.AllocateAsync(RootCaller, f.Id, 2 * B, 3 * B);
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(5 * B, r.File.After!.Value.Size);
        Assert.Equal(5 * B, (await AttrAsync(f.Id)).Size);
        Assert.Equal(FsStatus.NoSuchAddress, (await Fs.SeekAsync(RootCaller, f.Id, 0, data: true)).Status);
        Assert.Equal(new byte[5 * B], await ReadAllAsync(f.Id));
        // Inside the size: nothing changes.
        Assert.Equal(5 * B, (await Fs.AllocateAsync(RootCaller, f.Id, 0, B)).File.After!.Value.Size);

        Assert.Equal(FsStatus.Access, (await Fs.AllocateAsync(User(1000, 1000), f.Id, 0, 10 * B)).Status);
        Assert.Equal(FsStatus.FileTooBig, (await Fs.AllocateAsync(RootCaller, f.Id, FsLimits.MaxFileSize, 1)).Status);
        Assert.Equal(FsStatus.Invalid, (await Fs.AllocateAsync(RootCaller, f.Id, 0, 0)).Status);
        ((Payload.InMemoryPayloadStore)Payload).Capacity = (1UL << 20, 8 * B);
        Assert.Equal(FsStatus.NoSpace, (await Fs.AllocateAsync(RootCaller, f.Id, 0, 20 * B)).Status);
        Assert.Equal(5 * B, (await AttrAsync(f.Id)).Size);
    }

    [Fact]
    public async Task Deallocate_DropsWholeBlocks_ZeroesTheEdges_AndKeepsTheSize()
    {
        FileAttributes f = await CreateAsync(Root, "p");
        byte[] data = Pattern((int)(4 * B));
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, 0, data)).Status);
        SetAttrResult r = await Fs.DeallocateAsync(RootCaller, f.Id, B - 10, 2 * B + 20);
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Equal(4 * B, r.File.After!.Value.Size);
        Assert.True(r.File.After.Value.ChangeId > f.ChangeId + 1); // the write, then the punch

        Assert.Equal([0UL, 3], await Payload.ListDataBlocksAsync(f.Id.Inode, 0, 10)); // blocks 1 and 2 are gone
        byte[] expected = (byte[])data.Clone();
        Array.Clear(expected, (int)(B - 10), (int)(2 * B + 20));
        Assert.Equal(expected, await ReadAllAsync(f.Id));

        // Past the end there is nothing to punch; the tail block goes whole when the range reaches the end.
        Assert.Equal(FsStatus.Ok, (await Fs.DeallocateAsync(RootCaller, f.Id, 3 * B + 1, 100 * B)).Status);
        Assert.Equal(4 * B, (await AttrAsync(f.Id)).Size);
        Assert.Equal([0UL, 3], await Payload.ListDataBlocksAsync(f.Id.Inode, 0, 10));
        Assert.Equal(FsStatus.Ok, (await Fs.DeallocateAsync(RootCaller, f.Id, 3 * B, B)).Status);
        Assert.Equal([0UL], await Payload.ListDataBlocksAsync(f.Id.Inode, 0, 10));

        FileAttributes dir = await MkdirAsync(Root, "d");
        Assert.Equal(FsStatus.IsDirectory, (await Fs.DeallocateAsync(RootCaller, dir.Id, 0, B)).Status);
    }

    private async Task<ulong> UsedAsync(FileId file)
    {
        FsResult<FileAttributes> r = await Fs.GetAttributesAsync(file, countSpace: true);
        Assert.Equal(FsStatus.Ok, r.Status);
        return r.Value.SpaceUsed;
    }

    [Fact]
    public async Task SpaceUsed_CountsTheBlocksHoldingData_AndDropsAfterPunchAndTruncate()
    {
        FileAttributes f = await CreateAsync(Root, "u");
        Assert.Equal(0UL, await UsedAsync(f.Id));
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, 0, Pattern((int)(4 * B)))).Status);
        Assert.Equal(4 * B, await UsedAsync(f.Id));

        // fallocate grows the file as a hole: the size, not the space used.
        Assert.Equal(FsStatus.Ok, (await Fs.AllocateAsync(RootCaller, f.Id, 4 * B, 4 * B)).Status);
        Assert.Equal(8 * B, (await AttrAsync(f.Id)).Size);
        Assert.Equal(4 * B, await UsedAsync(f.Id));

        Assert.Equal(FsStatus.Ok, (await Fs.DeallocateAsync(RootCaller, f.Id, B, 2 * B)).Status);
        Assert.Equal(2 * B, await UsedAsync(f.Id));

        // A write into the hole counts again; a partial last block counts its bytes rounded up to a unit.
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, 6 * B, Pattern(100))).Status);
        Assert.Equal(3 * B, await UsedAsync(f.Id));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Size = 10 }));
        Assert.Equal(B, await UsedAsync(f.Id));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Size = 0 }));
        Assert.Equal(0UL, await UsedAsync(f.Id));

        FileAttributes dir = await MkdirAsync(Root, "d");
        Assert.Equal((await AttrAsync(dir.Id)).SpaceUsed, (await Fs.GetAttributesAsync(dir.Id, countSpace: true)).Value.SpaceUsed);
    }

    [Fact]
    public async Task SpaceUsed_OfADenseFile_DropsAfterAPunchOrATruncateBackToTheSameSize()
    {
        FileAttributes f = await CreateAsync(Root, "dense");
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, 0, Pattern((int)(4 * B)))).Status);
        Assert.Equal(4 * B, await UsedAsync(f.Id));
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, B, Pattern(10))).Status); // a rewrite: still dense
        Assert.Equal(4 * B, await UsedAsync(f.Id));

        Assert.Equal(FsStatus.Ok, (await Fs.DeallocateAsync(RootCaller, f.Id, 0, B)).Status);
        Assert.Equal(3 * B, await UsedAsync(f.Id));
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, 0, Pattern((int)B))).Status);
        Assert.Equal(4 * B, await UsedAsync(f.Id));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Size = B }));
        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Size = 4 * B }));
        Assert.Equal(B, await UsedAsync(f.Id));
    }
}
