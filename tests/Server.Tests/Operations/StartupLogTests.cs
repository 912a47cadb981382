using System.Text.Json.Nodes;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>Issue 16: one start-up summary line, one shutdown line, timestamps, and no Kestrel "Now listening on" for the RPC ports.</summary>
public sealed class StartupLogTests
{
    [Fact]
    public void SummaryAndShutdownLinesWithTimestampsAndNoKestrelListeningLines()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:Console:FormatterName"] = "json",
        });
        server.Start();
        server.Stop();

        List<JsonNode> lines = [.. server.Log.Split('\n').Where(l => l.Trim().Length > 0).Select(l => JsonNode.Parse(l)!)];
        Assert.All(lines, l => Assert.True(DateTimeOffset.TryParse(l["Timestamp"]?.GetValue<string>(), out _), l.ToJsonString()));
        Assert.DoesNotContain(lines, l => l["Message"]!.GetValue<string>().Contains("Now listening on", StringComparison.Ordinal));
        JsonNode serving = Assert.Single(lines, l => l["Category"]!.GetValue<string>() == "DittoFs.Server" && l["EventId"]!.GetValue<int>() == 1);
        string message = serving["Message"]!.GetValue<string>();
        Assert.Contains($"data {Path.Combine(server.DataDirectory, "data")}, metadata Faster, payload Local", message);
        Assert.Contains($"on 127.0.0.1 ports {server.NfsPort},{server.MountPort}, HTTP (/metrics, /readyz, /admin) on {server.HttpPort}; exports /export;", message);
        JsonNode stopped = Assert.Single(lines, l => l["Category"]!.GetValue<string>() == "DittoFs.Server" && l["EventId"]!.GetValue<int>() == 2);
        Assert.Contains("stopped cleanly", stopped["Message"]!.GetValue<string>());
    }
}
