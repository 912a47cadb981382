using DittoFs.Server.Protocol.Mount;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Types;

/// <summary>The bounded, spelling-independent MOUNT list behind DUMP.</summary>
public class MountTableTests
{
    [Theory]
    [InlineData("/export", "/export")]
    [InlineData("/export/", "/export")]
    [InlineData("//export///m//", "/export/m")]
    [InlineData(" /export/m ", "/export/m")]
    [InlineData("", "/")]
    [InlineData("///", "/")]
    public void Canonical_CollapsesSlashes(string path, string canonical) => Assert.Equal(canonical, MountTable.Canonical(path));

    [Fact]
    public void BeyondTheMaximum_TheOldestIsEvicted()
    {
        var table = new MountTable();
        for (int i = 0; i < MountTable.MaxEntries; i++) table.Add("10.0.0.1", "/export/d" + i);
        table.Add("10.0.0.1", "/export//d0/"); // a remount refreshes: d0 is now the newest, d1 the oldest
        table.Add("10.0.0.1", "/export/new1");
        table.Add("10.0.0.1", "/export/new2");

        Assert.Equal(MountTable.MaxEntries, table.Count);
        List<string> dumped = Paths(table.Dump());
        Assert.Equal(["/export/new2", "/export/new1", "/export/d0"], dumped[..3]);
        Assert.DoesNotContain("/export/d1", dumped);
        Assert.DoesNotContain("/export/d2", dumped);
        Assert.Contains("/export/d3", dumped);
        Assert.Equal(MountTable.MaxEntries, dumped.Count);
    }

    [Fact]
    public void Dump_ListsTheNewestThatFitTheBudget()
    {
        var table = new MountTable();
        string longName = new('x', 1000);
        for (int i = 0; i < 100; i++) table.Add("10.0.0.1", $"/export/{i:D3}{longName}");
        List<string> dumped = Paths(table.Dump());

        int perEntry = 4 + 4 + 8 + 4 + ((("/export/000" + longName).Length + 3) & ~3);
        Assert.Equal(MountTable.DumpReplyBudget / perEntry, dumped.Count);
        Assert.StartsWith("/export/099", dumped[0]);
    }

    [Fact]
    public void UmntAndUmntAll_Remove()
    {
        var table = new MountTable();
        table.Add("a", "/export");
        table.Add("a", "/export/m");
        table.Add("b", "/export");
        table.Remove("a", "/export//");
        Assert.Equal(["/export", "/export/m"], Paths(table.Dump())); // newest first
        table.RemoveAll("a");
        Assert.Equal(1, table.Count);
        table.RemoveAll("b");
        Assert.Null(table.Dump());
    }

    private static List<string> Paths(MountBody? head)
    {
        var paths = new List<string>();
        for (MountBody? b = head; b is not null; b = b.Next) paths.Add(b.Directory);
        return paths;
    }
}
