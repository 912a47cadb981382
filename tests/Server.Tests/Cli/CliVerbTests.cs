using System.Text.Json.Nodes;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Cli;

/// <summary>Issue 16: the verbs that printed usage or threw (status host:port, gc/flush/check --json, check -e /nope) against a real server.</summary>
public sealed class CliVerbTests : IDisposable
{
    private readonly ServerProcess _server = new();

    public CliVerbTests() => _server.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public void VerbsTakeHostPortAndJsonAndCheckRefusesAnUnknownExport()
    {
        string server = $"127.0.0.1:{_server.HttpPort}"; // no scheme: was a UriFormatException
        CliRunner.Result status = CliRunner.Run(["status", "--server", server]);
        Assert.True(status.ExitCode == 0, status.Error);
        Assert.Contains("ready      yes", status.Output);

        CliRunner.Result gc = CliRunner.Run(["gc", "--json", "--server", server]);
        Assert.True(gc.ExitCode == 0, gc.Error);
        Assert.NotNull(JsonNode.Parse(gc.Output)!["removed"]);

        CliRunner.Result flush = CliRunner.Run(["flush", "--json", "--server", server]);
        Assert.True(flush.ExitCode == 0, flush.Error);
        Assert.True(JsonNode.Parse(flush.Output)!["done"]!.GetValue<bool>());

        CliRunner.Result list = CliRunner.Run(["exports", "list", "--server", server]);
        Assert.True(list.ExitCode == 0, list.Error);
        Assert.Contains("/export", list.Output);

        _server.Stop();
        string data = Path.Combine(_server.DataDirectory, "data");
        CliRunner.Result check = CliRunner.Run(["check", "--json", "--data-directory", data]);
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        JsonNode report = JsonNode.Parse(check.Output)!;
        Assert.Equal(0, report["damage"]!.GetValue<int>());
        Assert.Equal("/export", report["volumes"]![0]!.GetValue<string>());

        CliRunner.Result nope = CliRunner.Run(["check", "-e", "/nope", "--data-directory", data]);
        Assert.Equal(1, nope.ExitCode);
        Assert.Contains($"dittofs check: no export /nope in {data}", nope.Error);
        Assert.DoesNotContain("no damage", nope.Output);
    }
}
