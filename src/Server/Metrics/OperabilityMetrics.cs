using System.Diagnostics.Metrics;
using System.Reflection;
using DittoFs.Server.Options;
using DittoFs.Server.Protocol.Nfs4.State;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Metrics;

/// <summary>
/// What an operator's dashboard needs besides the RPC and storage series (meter <c>DittoFs.Server</c>):
/// <c>dittofs_build_info{version,commit}</c>, the process start time, the NFSv4 state (clients,
/// sessions, opens, locks, grace left) and the free space of the data directory's disk.
/// All observable: read at scrape time, nothing on the hot path.
/// </summary>
internal sealed class OperabilityMetrics
{
    public const string MeterName = "DittoFs.Server";

    public OperabilityMetrics(IMeterFactory meterFactory, IServiceProvider services)
    {
        // Resolved at the first scrape, not here: the metrics are built before the server's state.
        var state = new Lazy<Nfs4State?>(services.GetService<Nfs4State>);
        (int Clients, int Sessions, int Opens, int Locks) Counts() => state.Value?.Counts() ?? default;
        Meter meter = meterFactory.Create(MeterName);
        string informational = typeof(OperabilityMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        string version = informational.Split('+')[0];
        string commit = informational.Contains('+', StringComparison.Ordinal) ? informational[(informational.IndexOf('+', StringComparison.Ordinal) + 1)..] : "unknown";
        var build = new KeyValuePair<string, object?>[] { new("version", version), new("commit", commit) };
        meter.CreateObservableGauge("dittofs.build.info", () => new Measurement<int>(1, build), description: "Always 1; the version and commit as labels");
        double started = new DateTimeOffset(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        meter.CreateObservableGauge("dittofs.process.start_time", () => started, unit: "s", description: "When the server process started (Unix time)");

        meter.CreateObservableGauge("dittofs.nfs4.clients", () => Counts().Clients, description: "NFSv4.1 clients known (confirmed or not)");
        meter.CreateObservableGauge("dittofs.nfs4.sessions", () => Counts().Sessions, description: "NFSv4.1 sessions");
        meter.CreateObservableGauge("dittofs.nfs4.opens", () => Counts().Opens, description: "NFSv4.1 open states");
        meter.CreateObservableGauge("dittofs.nfs4.locks", () => Counts().Locks, description: "NFSv4.1 byte-range locks held");
        meter.CreateObservableGauge("dittofs.nfs4.grace_remaining", () => state.Value?.GraceRemaining.TotalSeconds ?? 0, unit: "s", description: "Seconds left of the grace period after a restart (0: not in grace)");

        meter.CreateObservableGauge("dotnet.thread_pool.thread.count", () => (long)ThreadPool.ThreadCount, description: "Thread pool threads that exist now");

        string dataDirectory = Path.GetFullPath(services.GetService<IOptions<DittoFsOptions>>()?.Value.DataDirectory ?? ".");
        meter.CreateObservableGauge("dittofs.disk.free", () => FreeBytes(dataDirectory), unit: "By", description: "Free space (for an unprivileged user) on the data directory's disk");
    }

    private static IEnumerable<Measurement<long>> FreeBytes(string directory)
    {
        long free;
        try
        {
            free = new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            yield break; // no sample rather than a wrong one
        }
        yield return new Measurement<long>(free);
    }
}
