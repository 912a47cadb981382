using System.Net.Http;
using System.Text;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>
/// The Linux kernel NFSv4.1 client with the server's root (the pseudo-fs) mounted while an export is added
/// and removed through the admin API: the new export appears and takes writes, and once removed the
/// client's held directory and open file get ESTALE and the entry leaves the pseudo root.
/// </summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientRuntimeExportsTests(ITestOutputHelper output)
{
    [KernelClientFact]
    public void ExportAddedAndRemovedWhileMounted()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using var server = new ServerProcess();
        server.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        var answers = new List<string>();
        void Admin(HttpMethod method, string route, string? json)
        {
            using var request = new HttpRequestMessage(method, route) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
            using HttpResponseMessage response = http.Send(request);
            lock (answers) answers.Add($"{method} {route}: {(int)response.StatusCode}");
        }
        string script = Path.Combine(KernelClient.RepositoryRoot, "tests", "e2e", "runtime-exports.sh");
        // The root, not /export: the pseudo-fs is where added and removed exports show.
        KernelClient.Result result = KernelClient.Run(harness, server, "4.1", script, ["--export", "/", "--opts", "lookupcache=none,actimeo=0"], line =>
        {
            if (line.Trim() == "ADD-NOW") Admin(HttpMethod.Post, "admin/exports", """{"path":"/live","squash":"None"}""");
            if (line.Trim() == "REMOVE-NOW") Admin(HttpMethod.Delete, "admin/exports/live", null);
        }, timeoutSeconds: 300);
        output.WriteLine(result.Output);
        output.WriteLine(string.Join("\n", answers));
        output.WriteLine(server.Log);
        Assert.Equal(["POST admin/exports: 201", "DELETE admin/exports/live: 200"], answers);
        Assert.DoesNotContain("FAIL", result.Output);
        foreach (string step in new[] { "live-appears-in-pseudo-root", "write-into-added-export", "read-back", "cwd-estale", "open-file-estale", "live-gone-from-pseudo-root" })
        {
            Assert.Contains("PASS " + step, result.Output);
        }
        Assert.Equal(0, result.ExitCode);
    }
}
