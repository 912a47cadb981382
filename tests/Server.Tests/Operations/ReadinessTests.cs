using System.Net;
using System.Text.Json.Nodes;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>
/// Issue 16: the HTTP endpoints are up before storage recovers, /readyz says "recovering" (and
/// what it is doing) meanwhile, RPC clients that connect early are served once it is done, and
/// status shows the NFSv4 grace period. Recovery is slowed with the documented test hook
/// DITTOFS_TEST_RECOVERY_DELAY_MS.
/// </summary>
public sealed class ReadinessTests : IDisposable
{
    private readonly ServerProcess _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task ReadyzSaysRecoveringWhileStorageOpensThenReady()
    {
        _server.Environment["DITTOFS_TEST_RECOVERY_DELAY_MS"] = "8000";
        _server.Start(waitUntilRecovered: false);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.HttpPort}/"), Timeout = TimeSpan.FromSeconds(30) };

        HttpResponseMessage health = await http.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        HttpResponseMessage recovering = await http.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, recovering.StatusCode);
        Assert.Equal("recovering: test delay (DITTOFS_TEST_RECOVERY_DELAY_MS)", await recovering.Content.ReadAsStringAsync());
        JsonNode status = JsonNode.Parse(await http.GetStringAsync("admin/status"))!;
        Assert.False(status["ready"]!.GetValue<bool>());

        // A client that connects during recovery waits and is then served.
        using (var client = new Nfs3Client(_server.NfsPort))
        {
            Assert.NotEmpty(client.Mount());
        }
        HttpResponseMessage ready = await http.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        CliRunner.Result cli = CliRunner.Run(["status", "--server", $"127.0.0.1:{_server.HttpPort}"]);
        Assert.True(cli.ExitCode == 0, cli.Error);
        Assert.Contains("grace      no", cli.Output); // no NFSv4 client before this start: no grace period
        Assert.Equal(0, JsonNode.Parse(await http.GetStringAsync("admin/status"))!["graceSeconds"]!.GetValue<double>());
    }
}
