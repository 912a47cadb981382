using System.Text.Json.Nodes;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Cli;

/// <summary>The admin verbs against a real server: status, exports, flush, gc over HTTP; check on the stopped server's data directory.</summary>
public sealed class CliTests : IDisposable
{
    private const int BlockSize = 4 * 1024 * 1024;
    private readonly ServerProcess _server = new();

    public CliTests() => _server.Start();

    public void Dispose() => _server.Dispose();

    private string Server => $"http://127.0.0.1:{_server.HttpPort}";

    private string DataDirectory => Path.Combine(_server.DataDirectory, "data");

    [Fact]
    public void FlushDrainsTheBacklogAndCheckFindsADeletedBlock()
    {
        // Two full blocks and a bit of a third, UNSTABLE: dirty until flushed.
        byte[] chunk = new byte[1024 * 1024];
        Random.Shared.NextBytes(chunk);
        using (var client = new Nfs3Client(_server.NfsPort))
        {
            byte[] root = client.Mount();
            byte[] file = client.CreateFile(root, "big");
            for (int i = 0; i < 9; i++) Assert.Equal(Nfs3Status.Ok, client.Write(file, (ulong)(i * chunk.Length), chunk).Status);
        }

        CliRunner.Result status = CliRunner.Run(["status", "--json", "--server", Server]);
        Assert.Equal(0, status.ExitCode);
        JsonNode json = JsonNode.Parse(status.Output)!;
        Assert.True(json["ready"]!.GetValue<bool>());
        Assert.Equal(3, json["flushBacklog"]!["blocks"]!.GetValue<long>());

        CliRunner.Result flush = CliRunner.Run(["flush", "--server", Server]);
        Assert.True(flush.ExitCode == 0, flush.Error);
        Assert.Contains("100.0%", flush.Error); // the progress bar, on stderr
        status = CliRunner.Run(["status", "--json", "--server", Server]);
        Assert.Equal(0, JsonNode.Parse(status.Output)!["flushBacklog"]!["blocks"]!.GetValue<long>());

        CliRunner.Result exports = CliRunner.Run(["exports", "--server", Server]);
        Assert.Equal(0, exports.ExitCode);
        Assert.Contains("/export", exports.Output);
        Assert.Equal(0, CliRunner.Run(["gc", "--server", Server]).ExitCode);

        // check refuses while the server holds the data directory.
        CliRunner.Result busy = CliRunner.Run(["check", "--data-directory", DataDirectory]);
        Assert.Equal(1, busy.ExitCode);
        Assert.Contains("Stop the server first", busy.Error);

        _server.Stop();
        Assert.Equal(1, CliRunner.Run(["status", "--server", Server]).ExitCode); // nobody answers now

        CliRunner.Result clean = CliRunner.Run(["check", "--data-directory", DataDirectory]);
        Assert.True(clean.ExitCode == 0, clean.Output + clean.Error);
        Assert.Contains("1 files, 3 blocks; no damage", clean.Output);

        string[] blockFiles = Directory.GetFiles(Path.Combine(DataDirectory, "blocks"), "*", SearchOption.AllDirectories)
            .Where(p => Path.GetFileName(p) == "1").ToArray();
        string block = Assert.Single(blockFiles);
        File.Delete(block);

        CliRunner.Result damaged = CliRunner.Run(["check", "--data-directory", DataDirectory]);
        Assert.Equal(2, damaged.ExitCode);
        Assert.Contains("DAMAGE  /export/big: block 1 is missing", damaged.Output);
        Assert.Contains(block, damaged.Output);
    }
}
