using DittoFs.Server.Metrics;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>Every PromQL expression of the Grafana dashboard names only metrics the server exports.</summary>
public sealed class DashboardTests
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
            .Where(x => !names.Contains(x.Name))
            .Select(x => $"{x.Name} (in {x.Expression})")
            .ToList();
        Assert.True(missing.Count == 0, "not exported: " + string.Join("\n", missing));
        await app.StopAsync();
    }
}
