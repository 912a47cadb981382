using System.Text;
using Xunit;

namespace DittoFs.Storage.Tests;

public abstract class ReadDirTests : FileSystemTestBase
{
    private static string NameOf(DirEntry e) => Encoding.UTF8.GetString(e.Name);

    [Fact]
    public async Task EmptyDirectory_IsEofAtOnce()
    {
        FileAttributes d = await MkdirAsync(Root, "d");
        ReadDirResult r = await Fs.ReadDirectoryAsync(RootCaller, d.Id, 0, 0, 100);
        Assert.Equal(FsStatus.Ok, r.Status);
        Assert.Empty(r.Entries);
        Assert.True(r.Eof);
        Assert.NotEqual(0ul, r.Verifier);
    }

    [Fact]
    public async Task Entries_ComeInCreationOrder_WithIdsAndCookiesFrom3()
    {
        FileAttributes a = await CreateAsync(Root, "a");
        FileAttributes b = await MkdirAsync(Root, "b");
        ReadDirResult r = await Fs.ReadDirectoryAsync(RootCaller, Root, 0, 0, 100);
        Assert.Equal(["a", "b"], r.Entries.Select(NameOf));
        Assert.Equal([a.Id, b.Id], r.Entries.Select(e => e.File));
        // A shared store hands out cookies from leased id ranges (above 3), so creators need not read the directory.
        if (Store.IsShared) Assert.True(r.Entries[0].Cookie > 3);
        else Assert.Equal(3ul, r.Entries[0].Cookie);
        Assert.True(r.Entries[1].Cookie > r.Entries[0].Cookie);
    }

    [Fact]
    public async Task LargeDirectory_IsListedCompletely_InPages()
    {
        FileAttributes d = await MkdirAsync(Root, "big");
        const int count = 5000;
        for (int i = 0; i < count; i++) await CreateAsync(d.Id, "file-" + i);

        var seen = new List<string>();
        ulong cookie = 0, verifier = 0;
        int pages = 0;
        while (true)
        {
            ReadDirResult r = await Fs.ReadDirectoryAsync(RootCaller, d.Id, cookie, verifier, 100);
            Assert.Equal(FsStatus.Ok, r.Status);
            pages++;
            seen.AddRange(r.Entries.Select(NameOf));
            if (r.Eof) break;
            Assert.Equal(100, r.Entries.Count);
            cookie = r.Entries[^1].Cookie;
            verifier = r.Verifier;
        }
        Assert.Equal(50, pages);
        Assert.Equal(Enumerable.Range(0, count).Select(i => "file-" + i), seen);
    }

    [Fact]
    public async Task Eof_IsExact_WhenThePageEndsOnTheLastEntry()
    {
        for (int i = 0; i < 4; i++) await CreateAsync(Root, "f" + i);
        ReadDirResult full = await Fs.ReadDirectoryAsync(RootCaller, Root, 0, 0, 4);
        Assert.Equal(4, full.Entries.Count);
        Assert.True(full.Eof);
        ReadDirResult partial = await Fs.ReadDirectoryAsync(RootCaller, Root, 0, 0, 3);
        Assert.False(partial.Eof);
    }

    [Fact]
    public async Task Cookies_StayValid_WhenOtherEntriesAreRemoved()
    {
        for (int i = 0; i < 20; i++) await CreateAsync(Root, "f" + i);
        ReadDirResult first = await Fs.ReadDirectoryAsync(RootCaller, Root, 0, 0, 10);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("f9"), false)).Status); // the last one returned
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("f3"), false)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.RemoveAsync(RootCaller, Root, N("f15"), false)).Status);
        await CreateAsync(Root, "new");

        ReadDirResult rest = await Fs.ReadDirectoryAsync(RootCaller, Root, first.Entries[^1].Cookie, first.Verifier, 100);
        Assert.Equal(FsStatus.Ok, rest.Status);
        Assert.True(rest.Eof);
        string[] expected = [.. Enumerable.Range(10, 10).Where(i => i != 15).Select(i => "f" + i), "new"];
        Assert.Equal(expected, rest.Entries.Select(NameOf));
    }

    [Fact]
    public async Task Verifier_IsStable_AndAWrongOne_IsBadCookie()
    {
        await CreateAsync(Root, "a");
        await CreateAsync(Root, "b");
        ReadDirResult first = await Fs.ReadDirectoryAsync(RootCaller, Root, 0, 0, 1);
        await CreateAsync(Root, "c");
        ReadDirResult again = await Fs.ReadDirectoryAsync(RootCaller, Root, 0, 0, 1);
        Assert.Equal(first.Verifier, again.Verifier);

        ReadDirResult bad = await Fs.ReadDirectoryAsync(RootCaller, Root, first.Entries[0].Cookie, first.Verifier ^ 1, 10);
        Assert.Equal(FsStatus.BadCookie, bad.Status);
        ReadDirResult good = await Fs.ReadDirectoryAsync(RootCaller, Root, first.Entries[0].Cookie, first.Verifier, 10);
        Assert.Equal(["b", "c"], good.Entries.Select(NameOf));
    }

    [Fact]
    public async Task ReadDir_OfFile_IsNotDirectory_WithoutRead_IsAccess()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        FileAttributes d = await MkdirAsync(Root, "d", 0x1C0); // 0700
        Assert.Equal(FsStatus.NotDirectory, (await Fs.ReadDirectoryAsync(RootCaller, f.Id, 0, 0, 10)).Status);
        Assert.Equal(FsStatus.Access, (await Fs.ReadDirectoryAsync(User(1000, 1000), d.Id, 0, 0, 10)).Status);
    }

    [Fact]
    public async Task CookiesOfDotEntries_StartFromTheFirstRealEntry()
    {
        await CreateAsync(Root, "a");
        Assert.Equal(["a"], (await Fs.ReadDirectoryAsync(RootCaller, Root, 2, 0, 10)).Entries.Select(NameOf));
    }
}
