using System.Text.Json.Nodes;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>JSON console logs: one line per connection open and close and per error, none per successful call.</summary>
public sealed class LogTests
{
    [Fact]
    public async Task OneJsonLinePerConnectionEventAndNonePerCall()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:Console:FormatterName"] = "json",
        });
        server.Start();
        using (var client = new Nfs3Client(server.NfsPort))
        {
            byte[] root = client.Mount();
            for (int i = 0; i < 50; i++) client.GetAttr(root);
            client.Lookup(root, "missing"); // an NFS error status is a result, not a log line
        }
        using (var bad = new RpcClient(server.NfsPort))
        {
            bad.SendRaw([0x80, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]); // a record too short for a call header
            Assert.True(bad.IsClosedByServer());
        }
        await Task.Delay(500);
        server.Stop();

        List<JsonNode> lines = server.Log.Split('\n').Where(l => l.Trim().Length > 0).Select(l => JsonNode.Parse(l)!).ToList();
        List<JsonNode> rpc = lines.Where(l => l["Category"]!.GetValue<string>().StartsWith("DittoFs.Server.Rpc", StringComparison.Ordinal)).ToList();
        int Count(int eventId) => rpc.Count(l => l["EventId"]!.GetValue<int>() == eventId);
        // Three connections: ServerProcess's start-up probe, the client, the bad one.
        Assert.Equal(3, Count(1)); // opened
        Assert.Equal(3, Count(2)); // closed
        Assert.Equal(1, Count(3)); // the bad one, rejected, with its reason
        Assert.Equal(7, rpc.Count); // and nothing for the 52 calls
    }
}
