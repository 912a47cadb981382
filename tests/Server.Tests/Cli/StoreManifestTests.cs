using System.Text.Json.Nodes;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Server.Tests.Cli;

/// <summary>
/// Issue 16: the data directory records its payload store type, block size and filesystem id
/// (store.json); a server configured otherwise refuses to start in one line, and <c>check</c>
/// reads the store type from the directory (no false damage, no journal file created).
/// </summary>
public sealed class StoreManifestTests : IDisposable
{
    private const int BlockSize = 1024 * 1024;
    private readonly MotoServer _moto = new();
    private readonly Dictionary<string, string> _settings;
    private readonly ServerProcess _server;

    public StoreManifestTests()
    {
        _settings = new Dictionary<string, string>
        {
            ["DittoFs:PayloadStore"] = "S3",
            ["DittoFs:S3:Endpoint"] = _moto.Endpoint,
            ["DittoFs:S3:Region"] = MotoServer.Region,
            ["DittoFs:S3:Bucket"] = _moto.CreateBucket(),
            ["DittoFs:S3:Prefix"] = "dfs/",
            ["DittoFs:S3:AccessKey"] = MotoServer.AccessKey,
            ["DittoFs:S3:SecretKey"] = MotoServer.SecretKey,
            ["DittoFs:Cache:SizeBytes"] = (64 * BlockSize).ToString(),
            ["DittoFs:Cache:BlockSize"] = BlockSize.ToString(),
        };
        _server = new ServerProcess(settings: _settings);
    }

    public void Dispose()
    {
        _server.Dispose();
        _moto.Dispose();
    }

    private string DataDirectory => Path.Combine(_server.DataDirectory, "data");

    /// <summary>The server run to its exit with these settings changed (fresh ports).</summary>
    private CliRunner.Result RunServer(params (string Key, string Value)[] changes)
    {
        var settings = new Dictionary<string, string>(_settings)
        {
            ["DittoFs:ListenAddress"] = "127.0.0.1",
            ["DittoFs:NfsPort"] = ServerProcess.FreePort().ToString(),
            ["DittoFs:MountPort"] = "0",
            ["DittoFs:HttpPort"] = "0",
            ["DittoFs:DataDirectory"] = DataDirectory,
        };
        foreach ((string key, string value) in changes) settings[key] = value;
        return CliRunner.Run(settings.Select(kv => $"--{kv.Key}={kv.Value}"), timeout: TimeSpan.FromSeconds(60));
    }

    private static byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        Random.Shared.NextBytes(bytes); // not zeros: those may be holes with no block
        return bytes;
    }

    [Fact]
    public void ADifferentBlockSizeOrStoreIsRefusedAndCheckFindsTheStoreItself()
    {
        _server.Start();
        using (var client = new Nfs3Client(_server.NfsPort))
        {
            byte[] file = client.CreateFile(client.Mount(), "f");
            for (int i = 0; i < 3; i++) Assert.Equal(Nfs3Status.Ok, client.Write(file, (ulong)(i * BlockSize / 2), RandomBytes(BlockSize / 2), StableHow.FileSync).Status);
        }
        _server.Stop();

        JsonNode manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(DataDirectory, "store.json")))!;
        Assert.Equal("S3", manifest["payloadStore"]!.GetValue<string>());
        Assert.Equal(BlockSize, manifest["blockSize"]!.GetValue<int>());
        Assert.True(Guid.TryParse(manifest["filesystemId"]!.GetValue<string>(), out _));

        CliRunner.Result blockSize = RunServer(("DittoFs:Cache:BlockSize", (2 * BlockSize).ToString()));
        Assert.Equal(1, blockSize.ExitCode);
        Assert.Equal($"dittofs: refusing to start: {DataDirectory} was made with block size {BlockSize}, but DittoFs:Cache:BlockSize={2 * BlockSize}: " +
            $"set DittoFs:Cache:BlockSize={BlockSize} (a new block size needs a new data directory and bucket/prefix)", blockSize.Error.Trim());

        CliRunner.Result local = RunServer(("DittoFs:PayloadStore", "Local"));
        Assert.Equal(1, local.ExitCode);
        Assert.Equal($"dittofs: refusing to start: {DataDirectory} holds payload store S3, but DittoFs:PayloadStore=Local: set DittoFs:PayloadStore=S3, or use another data directory", local.Error.Trim());

        // check without the S3 settings: told what is missing, not "damage", and nothing written.
        CliRunner.Result check = CliRunner.Run(["check", "--data-directory", DataDirectory]);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"dittofs check: {DataDirectory} holds an S3 payload store (bucket {_settings["DittoFs:S3:Bucket"]}, prefix 'dfs/')", check.Error);
        Assert.DoesNotContain("DAMAGE", check.Output);
        Assert.False(Directory.Exists(Path.Combine(DataDirectory, "blocks")), "check created a blocks directory (journal)");

        // With the settings (and another block size configured), check uses the recorded one: clean.
        var environment = _settings.ToDictionary(kv => kv.Key.Replace(":", "__"), kv => kv.Value);
        environment["DittoFs__Cache__BlockSize"] = (4 * BlockSize).ToString();
        CliRunner.Result clean = CliRunner.Run(["check", "--data-directory", DataDirectory], environment);
        Assert.True(clean.ExitCode == 0, clean.Output + clean.Error);
        Assert.Contains("1 files, 2 blocks; no damage", clean.Output);
    }
}
