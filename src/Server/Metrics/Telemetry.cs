using DittoFs.Storage.Diagnostics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace DittoFs.Server.Metrics;

/// <summary>
/// OpenTelemetry metrics exported for Prometheus on the HTTP port's <c>/metrics</c>:
/// the RPC, NFS operation and storage meters, and the runtime's own (GC, thread pool, memory,
/// CPU: meter <c>System.Runtime</c>, <c>dotnet_*</c>).
/// </summary>
internal static class Telemetry
{
    public static IServiceCollection AddDittoFsTelemetry(this IServiceCollection services)
    {
        services.AddSingleton<RpcMetrics>();
        services.AddSingleton<NfsMetrics>();
        services.AddSingleton<StorageMetrics>();
        services.AddSingleton<DelegationMetrics>();
        services.AddSingleton<OperabilityMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("dittofs"))
            .WithMetrics(metrics => metrics
            .AddMeter(RpcMetrics.MeterName, NfsMetrics.MeterName, StorageMetrics.MeterName, DelegationMetrics.MeterName, OperabilityMetrics.MeterName)
            .AddMeter(DittoFs.Storage.Metadata.Postgres.PostgresMetrics.MeterName, DittoFs.Storage.Metadata.Postgres.PostgresMetrics.NpgsqlMeterName)
            .AddRuntimeInstrumentation()
            // The runtime instrumentation types the thread count as a counter (dotnet_thread_pool_thread_count_total);
            // it goes up and down: dropped here, OperabilityMetrics exports it as the gauge dotnet_thread_pool_thread_count.
            .AddView(instrument => instrument.Meter.Name != OperabilityMetrics.MeterName && instrument.Name == "dotnet.thread_pool.thread.count" ? MetricStreamConfiguration.Drop : null)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    /// <summary>
    /// Builds the meter provider now rather than at host start, so measurements
    /// made while storage opens (recovery checkpoints) are kept, primes the
    /// series that should read 0 before anything happens, and maps <c>/metrics</c>.
    /// </summary>
    public static WebApplication UseDittoFsTelemetry(this WebApplication app)
    {
        app.Services.GetRequiredService<MeterProvider>();
        app.Services.GetRequiredService<RpcMetrics>().Prime();
        app.Services.GetRequiredService<StorageMetrics>().Prime();
        app.Services.GetRequiredService<DelegationMetrics>().Prime();
        app.Services.GetRequiredService<OperabilityMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
