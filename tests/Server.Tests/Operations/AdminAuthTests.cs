using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>
/// The admin endpoints that change state (POST /admin/flush, /admin/gc) over real HTTP against the server
/// process: a bearer token when one is configured (none: 401, another: 403), refused with 403 and the reason
/// on a non-loopback listener without a token, open on a loopback listener without one; the CLI sends the
/// token; /metrics, /healthz, /readyz and the GETs stay open.
/// </summary>
public sealed class AdminAuthTests
{
    private const string Token = "t0ken-for-the-admin-test";

    private static ServerProcess Start(string listen, IDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["DittoFs:ListenAddress"] = listen,
            ["DittoFs:MetadataStore"] = "Memory",
            ["DittoFs:PayloadStore"] = "Memory",
        };
        if (extra is not null) foreach (var (k, v) in extra) settings[k] = v;
        var server = new ServerProcess(settings: settings);
        server.Start();
        return server;
    }

    private static HttpClient Http(ServerProcess server, string? bearer = null)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return http;
    }

    private static async Task AssertOpenEndpointsAsync(HttpClient http)
    {
        Assert.Equal("ok", await http.GetStringAsync("healthz"));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
        Assert.Contains("dittofs_", await http.GetStringAsync("metrics"));
        Assert.True(JsonNode.Parse(await http.GetStringAsync("admin/status"))!["ready"]!.GetValue<bool>());
        Assert.Equal("/export", JsonNode.Parse(await http.GetStringAsync("admin/exports"))!.AsArray()[0]!["path"]!.ToString());
    }

    [Fact]
    public async Task NonLoopbackListenerWithoutTokenRefusesWithTheReason()
    {
        using ServerProcess server = Start("0.0.0.0");
        using HttpClient http = Http(server);
        foreach (string path in new[] { "admin/gc", "admin/flush" })
        {
            HttpResponseMessage response = await http.PostAsync(path, null);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Contains("not loopback", body);
            Assert.Contains("DittoFs:Admin:Token", body);
        }
        // A token offered to a server that has none changes nothing.
        using HttpClient offered = Http(server, Token);
        Assert.Equal(HttpStatusCode.Forbidden, (await offered.PostAsync("admin/gc", null)).StatusCode);
        await AssertOpenEndpointsAsync(http);
        Assert.Contains("are disabled", server.Log);

        CliRunner.Result gc = CliRunner.Run(["gc", "--server", $"http://127.0.0.1:{server.HttpPort}"]);
        Assert.Equal(1, gc.ExitCode);
        Assert.Contains("403", gc.Error);
    }

    [Fact]
    public async Task TokenIsRequiredAcceptedAndRejected()
    {
        using ServerProcess server = Start("0.0.0.0", new Dictionary<string, string> { ["DittoFs:Admin:Token"] = Token });
        using (HttpClient none = Http(server))
        {
            HttpResponseMessage response = await none.PostAsync("admin/gc", null);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Contains("Authorization: Bearer", await response.Content.ReadAsStringAsync());
            await AssertOpenEndpointsAsync(none);
        }
        using (var basic = Http(server))
        {
            basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:admin"u8.ToArray()));
            Assert.Equal(HttpStatusCode.Unauthorized, (await basic.PostAsync("admin/gc", null)).StatusCode);
        }
        using (HttpClient wrong = Http(server, Token + "x"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await wrong.PostAsync("admin/gc", null)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await wrong.PostAsync("admin/flush", null)).StatusCode);
        }
        using (HttpClient right = Http(server, Token))
        {
            HttpResponseMessage gc = await right.PostAsync("admin/gc", null);
            Assert.True(gc.StatusCode == HttpStatusCode.OK, await gc.Content.ReadAsStringAsync());
            Assert.NotNull(JsonNode.Parse(await gc.Content.ReadAsStringAsync())!["scanned"]);
            // The memory store has no write-back: past the token, flush says so (501), not 401/403.
            Assert.Equal(HttpStatusCode.NotImplemented, (await right.PostAsync("admin/flush", null)).StatusCode);
        }

        string url = $"http://127.0.0.1:{server.HttpPort}";
        CliRunner.Result fromVariable = CliRunner.Run(["gc", "--server", url], new Dictionary<string, string> { ["DITTOFS_ADMIN_TOKEN"] = Token });
        Assert.True(fromVariable.ExitCode == 0, fromVariable.Output + fromVariable.Error);
        Assert.Contains("scanned", fromVariable.Output);
        CliRunner.Result fromOption = CliRunner.Run(["gc", "--server", url, "--token", Token]);
        Assert.True(fromOption.ExitCode == 0, fromOption.Output + fromOption.Error);
        CliRunner.Result wrongOption = CliRunner.Run(["gc", "--server", url, "--token", "nope"]);
        Assert.Equal(1, wrongOption.ExitCode);
        Assert.Contains("403", wrongOption.Error);
        CliRunner.Result without = CliRunner.Run(["gc", "--server", url]);
        Assert.Equal(1, without.ExitCode);
        Assert.Contains("401", without.Error);
    }

    [Fact]
    public async Task TokenFileServesAsADockerSecret()
    {
        string secret = Path.Combine(Path.GetTempPath(), "dittofs-admin-token-" + Guid.NewGuid().ToString("N")[..8]);
        await File.WriteAllTextAsync(secret, Token + "\n");
        try
        {
            using ServerProcess server = Start("0.0.0.0", new Dictionary<string, string> { ["DittoFs:Admin:TokenFile"] = secret });
            using HttpClient right = Http(server, Token);
            Assert.Equal(HttpStatusCode.OK, (await right.PostAsync("admin/gc", null)).StatusCode);
            using HttpClient none = Http(server);
            Assert.Equal(HttpStatusCode.Unauthorized, (await none.PostAsync("admin/gc", null)).StatusCode);
            // The CLI finds the same secret through the server's setting (what `docker exec ... dittofs gc` does).
            CliRunner.Result gc = CliRunner.Run(["gc", "--server", $"http://127.0.0.1:{server.HttpPort}"], new Dictionary<string, string> { ["DittoFs__Admin__TokenFile"] = secret });
            Assert.True(gc.ExitCode == 0, gc.Output + gc.Error);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task LoopbackListenerWithoutTokenIsExempt()
    {
        using ServerProcess server = Start("127.0.0.1");
        using HttpClient http = Http(server);
        HttpResponseMessage gc = await http.PostAsync("admin/gc", null);
        Assert.True(gc.StatusCode == HttpStatusCode.OK, await gc.Content.ReadAsStringAsync());
        Assert.DoesNotContain("are disabled", server.Log);
    }

    [Fact]
    public async Task LoopbackListenerWithTokenStillAsksForIt()
    {
        using ServerProcess server = Start("127.0.0.1", new Dictionary<string, string> { ["DittoFs:Admin:Token"] = Token });
        using HttpClient none = Http(server);
        Assert.Equal(HttpStatusCode.Unauthorized, (await none.PostAsync("admin/gc", null)).StatusCode);
        using HttpClient right = Http(server, Token);
        Assert.Equal(HttpStatusCode.OK, (await right.PostAsync("admin/gc", null)).StatusCode);
    }
}
