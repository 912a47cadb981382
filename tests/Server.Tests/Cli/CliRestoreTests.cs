using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Cli;

/// <summary>
/// A server shipping its metadata to the bucket (moto) is killed and its disk lost; `dittofs restore`
/// on a new data directory, or DittoFs:Metadata:RestoreFromBucket at start, brings every file back
/// (names, attributes, sizes, bytes).
/// </summary>
public sealed class CliRestoreTests(ITestOutputHelper output) : IDisposable
{
    private const int BlockSize = 1024 * 1024;
    private readonly MotoServer _moto = new();
    private readonly List<ServerProcess> _servers = [];

    public void Dispose()
    {
        foreach (var s in _servers) s.Dispose();
        _moto.Dispose();
    }

    private Dictionary<string, string> Settings(string bucket) => S3Settings.For(_moto.Endpoint, bucket, "dfs/", new()
    {
        ["DittoFs:Cache:BlockSize"] = BlockSize.ToString(),
        // DittoFs:Metadata:Ship is on by default with PayloadStore=S3.
        ["DittoFs:Metadata:ShipIntervalMs"] = "200",
    });

    private ServerProcess NewServer(Dictionary<string, string> settings)
    {
        var server = new ServerProcess(settings: settings);
        _servers.Add(server);
        return server;
    }

    private static Dictionary<string, string> Environment(Dictionary<string, string> settings) =>
        settings.ToDictionary(kv => kv.Key.Replace(":", "__"), kv => kv.Value);

    [Fact]
    public async Task RestoreRebuildsAKilledServersFiles_AndRefusesExistingMetadata()
    {
        string bucket = _moto.CreateBucket();
        var settings = Settings(bucket);
        var files = new Dictionary<string, byte[]>();

        var original = NewServer(settings);
        original.Start();
        using (var client = new Nfs3Client(original.NfsPort))
        {
            byte[] root = client.Mount();
            var dir = client.MkDir(root, "docs");
            Assert.Equal(Nfs3Status.Ok, dir.Status);
            byte[] docs = dir.ResOk.Obj.Handle!.Value.Data.ToArray();
            for (int i = 0; i < 20; i++)
            {
                byte[] data = Encoding.UTF8.GetBytes($"file {i} " + new string('x', i * 100));
                byte[] fh = client.CreateFile(docs, $"f{i}");
                Assert.Equal(Nfs3Status.Ok, client.Write(fh, 0, data, StableHow.FileSync).Status);
                files[$"f{i}"] = data;
            }
            Assert.Equal(Nfs3Status.Ok, client.Remove(docs, "f3").Status);
            files.Remove("f3");
        }
        CliRunner.Result flush = CliRunner.Run(["flush", "--server", $"http://127.0.0.1:{original.HttpPort}"]);
        Assert.True(flush.ExitCode == 0, flush.Error);
        // Shipping is in the background: wait (bounded) until the metrics say the bucket has everything.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var metrics = await PrometheusText.ScrapeAsync(original.HttpPort);
            if (metrics.Has("dittofs_metadata_ship_lag_seconds") && metrics.Sum("dittofs_metadata_ship_lag_seconds") == 0
                && metrics.Sum("dittofs_metadata_ship_lag_bytes_bytes") == 0 && metrics.Sum("dittofs_metadata_ship_shipped_bytes_total") > 0) break;
            Assert.True(DateTime.UtcNow < deadline, "metadata never caught up: " + string.Join(", ", metrics.SeriesNames.Where(n => n.Contains("ship"))));
            await Task.Delay(200);
        }
        original.Kill(); // and its disk is gone: a new instance has only the bucket

        var restored = NewServer(settings);
        string dataDirectory = Path.Combine(restored.DataDirectory, "data");
        CliRunner.Result restore = CliRunner.Run(["restore", "--data-directory", dataDirectory], Environment(settings));
        output.WriteLine(restore.Output + restore.Error);
        Assert.True(restore.ExitCode == 0, restore.Output + restore.Error);
        Assert.Contains("restored", restore.Output);

        CliRunner.Result again = CliRunner.Run(["restore", "--data-directory", dataDirectory], Environment(settings));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds metadata", again.Error);

        restored.Start();
        AssertFiles(restored, files);
        restored.Stop();

        // The start option: an empty data directory restores itself from the bucket.
        var fresh = NewServer(new Dictionary<string, string>(settings) { ["DittoFs:Metadata:RestoreFromBucket"] = "true" });
        fresh.Start();
        AssertFiles(fresh, files);
    }

    private static void AssertFiles(ServerProcess server, Dictionary<string, byte[]> files)
    {
        using var client = new Nfs3Client(server.NfsPort);
        byte[] root = client.Mount();
        var docs = client.Lookup(root, "docs");
        Assert.Equal(Nfs3Status.Ok, docs.Status);
        byte[] dir = docs.ResOk.Object.Data.ToArray();
        Assert.Equal(Nfs3Status.NoEnt, client.Lookup(dir, "f3").Status);
        foreach (var (name, data) in files)
        {
            var found = client.Lookup(dir, name);
            Assert.Equal(Nfs3Status.Ok, found.Status);
            byte[] fh = found.ResOk.Object.Data.ToArray();
            var attributes = client.GetAttr(fh);
            Assert.Equal(Nfs3Status.Ok, attributes.Status);
            Assert.Equal((ulong)data.Length, attributes.ResOk.ObjAttributes.Size);
            // The block map travels in the same snapshot and WAL: the bytes come back from the bucket.
            Assert.Equal(data, client.ReadAll(fh, data.Length));
        }
    }
}
