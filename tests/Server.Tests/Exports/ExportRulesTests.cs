using System.Text;
using DittoFs.Server.Exports;
using DittoFs.Server.Options;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Storage;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace DittoFs.Server.Tests.Exports;

/// <summary>
/// The export rules shared by start-up and the admin API (names, an update laid over an export's settings),
/// and the NFSv4 pseudo-fs rebuilt after a runtime change (inodes kept, removed exports hidden).
/// </summary>
public sealed class ExportRulesTests
{
    private static ConfigurationValidator.Report Validate(params (string Key, string Value)[] settings) =>
        ConfigurationValidator.Validate(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("DittoFs:" + s.Key, s.Value)))
            .Build());

    private static IConfigurationSection Body(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes($"{{\"Export\":{json}}}"))).Build().GetSection("Export");

    [Fact]
    public void ExportNamesAreUniqueAndAnUnnamedDuplicatePathIsOneError()
    {
        ConfigurationValidator.Report named = Validate(("Exports:0:Path", "/a"), ("Exports:0:Name", "data"), ("Exports:1:Path", "/b"), ("Exports:1:Name", "data"));
        Assert.Equal(["DittoFs:Exports:1:Name=data: another export has this name"], named.Errors);

        ConfigurationValidator.Report twice = Validate(("Exports:0:Path", "/a"), ("Exports:1:Path", "/a/"));
        Assert.Equal(["DittoFs:Exports:1:Path=/a/: exported twice"], twice.Errors);

        // A name may not be another export's default name (its path) either.
        ConfigurationValidator.Report shadow = Validate(("Exports:0:Path", "/a"), ("Exports:1:Path", "/b"), ("Exports:1:Name", "/a"));
        Assert.Equal(["DittoFs:Exports:1:Name=/a: another export has this name"], shadow.Errors);
        Assert.True(Validate(("Exports:0:Path", "/a"), ("Exports:0:Name", "alpha")).IsValid);
    }

    [Fact]
    public void AnUpdateChangesOnlyWhatItGivesAndAListGivenReplacesTheList()
    {
        var baseline = new ExportOptions { Path = "/x", ReadOnly = true, Squash = SquashMode.All, AllowedClients = ["10.0.0.0/8", "192.0.2.0/24"], AnonymousUid = 7 };
        var errors = new List<string>();
        ExportOptions? updated = ConfigurationValidator.ReadExport(Body("""{"readOnly":false,"allowedClients":["127.0.0.1/32"]}"""), baseline, errors);
        Assert.Empty(errors);
        Assert.False(updated!.ReadOnly);
        Assert.Equal(["127.0.0.1/32"], updated.AllowedClients);
        Assert.Equal((SquashMode.All, 7u, "/x"), (updated.Squash, updated.AnonymousUid, updated.Path));
        Assert.Equal(["10.0.0.0/8", "192.0.2.0/24"], baseline.AllowedClients); // the served export's options are not touched

        ExportOptions? cleared = ConfigurationValidator.ReadExport(Body("""{"allowedClients":[]}"""), baseline, errors);
        Assert.Empty(errors);
        Assert.Empty(cleared!.AllowedClients);

        Assert.Null(ConfigurationValidator.ReadExport(Body("""{"sqush":"None"}"""), baseline, errors));
        Assert.Equal(["unknown setting Export:sqush; did you mean Export:Squash?"], errors);
    }

    private static Export NewExport(string path, uint volume) => new(new ExportOptions { Path = path }, new FileId(volume, 1, 0));

    [Fact]
    public void ThePseudoFsRebuiltKeepsItsInodesAndHidesRemovedExports()
    {
        Export a = NewExport("/top/a", 1), b = NewExport("/top/b", 2), c = NewExport("/other/c", 3);
        var first = new PseudoFs([a, b, c], null);
        PseudoFs.Node top = first.Lookup(first.Find(1)!, "top"u8)!.Directory!;
        PseudoFs.Node other = first.Lookup(first.Find(1)!, "other"u8)!.Directory!;

        // /other/c removed, /new/d added: /top keeps its inode, /other stays findable (a client may hold it) but empty and unlinked.
        Export d = NewExport("/new/d", 4);
        var second = new PseudoFs([a, b, d], first);
        Assert.Equal(top.Inode, second.Lookup(second.Find(1)!, "top"u8)!.FileId);
        Assert.Null(second.Lookup(second.Find(1)!, "other"u8));
        Assert.Empty(second.Find(other.Inode)!.Children);
        PseudoFs.Node added = second.Lookup(second.Find(1)!, "new"u8)!.Directory!;
        Assert.NotEqual(other.Inode, added.Inode);
        Assert.Equal(4u, second.Lookup(added, "d"u8)!.Export!.Volume);
        // An export's entry fileid comes from its volume: the same in both trees.
        Assert.Equal(first.Lookup(top, "b"u8)!.FileId, second.Lookup(second.Find(top.Inode)!, "b"u8)!.FileId);
        // An updated export is a new object: its mount point is still found (by volume).
        Assert.NotNull(second.MountPoint(NewExport("/top/a", 1)));
    }
}
