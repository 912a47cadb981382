using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DittoFs.Server.Metrics;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Protocol.Nfs4;
using DittoFs.Storage.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>Every PromQL expression of the Grafana dashboard names only metrics the server exports.</summary>
public sealed class DashboardTests(ServerFixture local) : IClassFixture<ServerFixture>
{
    [Fact]
    public void ExpressionParserFindsMetricNamesOnly()
    {
        Assert.Equal(
            ["dittofs_a_bucket"],
            Dashboard.MetricNames("histogram_quantile(0.99, sum by (le, procedure) (rate(dittofs_a_bucket{program=\"nfs\", x=~\"a|b\"}[$__rate_interval])))").Order());
        Assert.Equal(
            ["a_total", "b_total"],
            Dashboard.MetricNames("sum(rate(a_total{result=\"hit\"}[5m])) / clamp_min(sum without (x) (rate(b_total[5m])), 1e-9)").Order());
    }

    [Fact]
    public async Task EveryExpressionNamesAnExportedMetric()
    {
        // The server's own telemetry registration, in process, with a measurement on every instrument
        // (the S3 and cache ones included, which a server on the local store never records).
        int port = ServerProcess.FreePort();
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddDittoFsTelemetry();
        await using WebApplication app = builder.Build();
        app.UseDittoFsTelemetry();
        await app.StartAsync();
        var storage = app.Services.GetRequiredService<StorageMetrics>();
        storage.ObserveMetadataLog(() => 1, () => 1);
        using (var samples = new MetricsSamples(app.Services.GetRequiredService<RpcMetrics>(), storage, app.Services.GetRequiredService<NfsMetrics>()))
        {
            samples.RecordEverything();
        }
        PrometheusText exported = await PrometheusText.ScrapeAsync(port);
        var names = exported.SeriesNames.ToHashSet();

        IReadOnlyList<string> expressions = Dashboard.Expressions();
        Assert.True(expressions.Count >= 20, "the dashboard has its panels");
        var missing = expressions
            .SelectMany(e => Dashboard.MetricNames(e).Select(n => (Expression: e, Name: n)))
            // dittofs_disk_free_bytes needs a data directory, the PostgreSQL metrics a database: the running-server tests check them.
            .Where(x => !names.Contains(x.Name) && x.Name != "dittofs_disk_free_bytes" && !Dashboard.NeedsPostgres(x.Name))
            .Select(x => $"{x.Name} (in {x.Expression})")
            .ToList();
        Assert.True(missing.Count == 0, "not exported: " + string.Join("\n", missing));
        await app.StopAsync();
    }

    /// <summary>
    /// Metrics that exist only once their event happened (a delegation recalled): a little traffic does
    /// not make them, so they are checked against the instruments the server registers instead.
    /// </summary>
    private static readonly HashSet<string> s_eventOnly = ["dittofs_nfs4_delegations_recalled_total"];

    [Fact]
    public void EverySelectorFiltersByTheInstanceVariable()
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(Dashboard.FilePath))!;
        JsonNode? variable = root["templating"]!["list"]!.AsArray().SingleOrDefault(v => v!["name"]!.GetValue<string>() == "instance");
        Assert.NotNull(variable);
        Assert.Contains("dittofs_build_info", variable!["definition"]!.GetValue<string>());
        var unfiltered = new List<string>();
        foreach (string expression in Dashboard.Expressions())
        {
            foreach (string name in Dashboard.MetricNames(expression))
            {
                // Every occurrence of the metric carries the matcher, not just one of them.
                foreach (Match m in Regex.Matches(expression, $@"\b{Regex.Escape(name)}\b(\{{[^}}]*\}})?"))
                {
                    if (!m.Groups[1].Value.Contains("instance=~\"$instance\"")) unfiltered.Add($"{name} in {expression}");
                }
            }
        }
        Assert.True(unfiltered.Count == 0, "not filtered by instance:\n" + string.Join("\n", unfiltered));
    }

    /// <summary>A little NFSv3 and NFSv4.1 traffic: a file written, committed, read; a miss; a LOOKUP from the pseudo-fs.</summary>
    private static void Traffic(ServerProcess server)
    {
        using (var client = new Nfs3Client(server.NfsPort))
        {
            byte[] root = client.Mount();
            byte[] file = client.CreateFile(root, "dash-" + Guid.NewGuid().ToString("N")[..8]);
            Assert.Equal(Nfs3Status.Ok, client.Write(file, 0, new byte[8192], StableHow.Unstable).Status);
            Assert.Equal(Nfs3Status.Ok, client.Commit(file).Status);
            Assert.Equal(Nfs3Status.Ok, client.Read(file, 0, 8192).Status);
            Assert.Equal(Nfs3Status.NoEnt, client.Lookup(root, "missing").Status);
        }
        using var v4 = new Nfs4TestClient(server.NfsPort);
        v4.Establish("dash-" + Guid.NewGuid().ToString("N")[..8]);
        v4.Compound(3, b =>
        {
            v4.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
        });
    }

    [Fact]
    public async Task EveryMetricTheDashboardUsesIsOnARunningServersMetrics()
    {
        // Real servers: one on the local payload store (its fsync rounds), one on an S3 bucket (moto: cache, flusher, S3).
        Traffic(local.Server);
        var names = (await PrometheusText.ScrapeAsync(local.Server.HttpPort)).SeriesNames.ToHashSet();
        using var moto = new MotoServer();
        string bucket = moto.CreateBucket();
        using var server = new ServerProcess(settings: S3Settings.For(moto.Endpoint, bucket, "dash/", new() { ["DittoFs:Cache:FlushIdleSeconds"] = "1" }));
        {
            server.Start();
            Traffic(server);
            // The block goes to the bucket after FlushIdleSeconds: then the upload series exist.
            PrometheusText exported = await PrometheusText.ScrapeAsync(server.HttpPort);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (exported.Sum("dittofs_flush_uploads_total") < 1 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                exported = await PrometheusText.ScrapeAsync(server.HttpPort);
            }
            names.UnionWith(exported.SeriesNames);
            var missing = Dashboard.Expressions()
                .SelectMany(e => Dashboard.MetricNames(e).Select(n => (Expression: e, Name: n)))
                .Where(x => !names.Contains(x.Name) && !s_eventOnly.Contains(x.Name) && !Dashboard.NeedsPostgres(x.Name))
                .Select(x => $"{x.Name} (in {x.Expression})")
                .Distinct()
                .ToList();
            Assert.True(missing.Count == 0, "not on /metrics:\n" + string.Join("\n", missing));
        }
    }

    [PostgresFact]
    public async Task EveryPostgresMetricTheDashboardUsesIsOnAPostgresServersMetrics()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:MetadataStore"] = "Postgres" });
        server.Environment["DITTOFS__POSTGRES__CONNECTIONSTRING"] = PostgresServer.Shared.CreateDatabase();
        server.Start();
        Traffic(server);
        var names = (await PrometheusText.ScrapeAsync(server.HttpPort)).SeriesNames.ToHashSet();
        List<string> used = [.. Dashboard.Expressions().SelectMany(Dashboard.MetricNames).Where(Dashboard.NeedsPostgres).Distinct()];
        Assert.True(used.Count >= 6, "the dashboard has its PostgreSQL panels: " + string.Join(", ", used));
        Assert.Contains("db_client_connection_count", used); // the pool
        Assert.Contains("dittofs_postgres_retries_total", used);
        var missing = used.Where(n => !names.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "not on /metrics:\n" + string.Join("\n", missing));
    }
}
