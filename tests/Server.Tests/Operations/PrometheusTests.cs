using System.Diagnostics;
using System.Net.Http;
using System.Text.Json.Nodes;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>
/// A real Prometheus (the Debian package; .ci/run installs it) scrapes a real
/// server under NFS traffic; every expression of the dashboard evaluates, and
/// every series it uses has data, except the S3 request histogram, which only
/// a server on the S3 payload store records.
/// </summary>
public sealed class PrometheusTests : IDisposable
{
    /// <summary>Series only the S3 payload store produces (histograms appear with their first measurement).</summary>
    private static readonly HashSet<string> s_needsS3 = ["dittofs_s3_request_duration_seconds_bucket", "dittofs_s3_request_duration_seconds_count"];

    private readonly ServerProcess _server = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dittofs-prom-" + Guid.NewGuid().ToString("N")[..12]);
    private Process? _prometheus;

    public void Dispose()
    {
        if (_prometheus is { HasExited: false })
        {
            _prometheus.Kill(entireProcessTree: true);
            _prometheus.WaitForExit();
        }
        _prometheus?.Dispose();
        _server.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task PrometheusHasEverySeriesTheDashboardUses()
    {
        string binary = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("prometheus is not installed: apt-get install -y prometheus (.ci/run does)");
        _server.Start();
        Directory.CreateDirectory(_directory);
        string config = Path.Combine(_directory, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: dittofs
                static_configs:
                  - targets: ["127.0.0.1:{_server.HttpPort}"]
            """);
        int port = ServerProcess.FreePort();
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_directory, "tsdb")}", $"--web.listen-address=127.0.0.1:{port}" })
            psi.ArgumentList.Add(a);
        _prometheus = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        _prometheus.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _prometheus.OutputDataReceived += (_, e) => { };
        _prometheus.BeginErrorReadLine();
        _prometheus.BeginOutputReadLine();

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        async Task<JsonArray> QueryAsync(string promql)
        {
            string body = await http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
            JsonNode answer = JsonNode.Parse(body)!;
            Assert.True(answer["status"]!.GetValue<string>() == "success", $"{promql}: {body}");
            return answer["data"]!["result"]!.AsArray();
        }

        // Traffic for a few seconds while Prometheus scrapes every second: successes, an error, durable writes, NFSv4.1 compounds.
        using (var client = new Nfs3Client(_server.NfsPort))
        using (var v4 = new Protocol.Nfs4.Nfs4TestClient(_server.NfsPort))
        {
            byte[] root = client.Mount();
            v4.Establish("prometheus");
            var watch = Stopwatch.StartNew();
            int n = 0;
            bool up = false;
            while (watch.Elapsed < TimeSpan.FromSeconds(60))
            {
                byte[] file = client.CreateFile(root, "f" + n++);
                client.Write(file, 0, new byte[8192], StableHow.FileSync);
                client.Read(file, 0, 8192);
                client.Lookup(root, "missing");
                client.GetAttr(root);
                // NFSv4.1: each operation of the COMPOUND is counted, the failed LOOKUP with NFS4ERR_NOENT.
                v4.Compound(3, b =>
                {
                    v4.Sequence(b);
                    Protocol.Nfs4.Nfs4TestClient.Op(b, DittoFs.Server.Protocol.Nfs4.Nfs4Op.PutRootFh);
                    Protocol.Nfs4.Nfs4TestClient.Lookup(b, "missing");
                });
                await Task.Delay(50);
                if (!up)
                {
                    try { up = (await QueryAsync("up{job=\"dittofs\"} == 1")).Count == 1; }
                    catch (HttpRequestException) { }
                    if (up) watch.Restart();
                }
                else if (watch.Elapsed > TimeSpan.FromSeconds(6))
                {
                    break;
                }
            }
            Assert.True(up, "Prometheus never scraped the server:\n" + log);
        }

        var failures = new List<string>();
        foreach (string raw in Dashboard.Expressions())
        {
            string expression = raw.Replace("$__rate_interval", "10s").Replace("$instance", ".*");
            IReadOnlySet<string> names = Dashboard.MetricNames(expression);
            // This server keeps its metadata in FASTER: the PostgreSQL row is checked by DashboardTests against one on PostgreSQL.
            bool skipped = names.Any(n => s_needsS3.Contains(n) || Dashboard.NeedsPostgres(n));
            foreach (string name in names.Where(n => !s_needsS3.Contains(n) && !Dashboard.NeedsPostgres(n)))
            {
                if ((await QueryAsync(name)).Count == 0) failures.Add($"no series {name}");
            }
            JsonArray result = await QueryAsync(expression); // evaluates (asserted inside)
            if (result.Count == 0 && !skipped) failures.Add($"no data for {expression}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
