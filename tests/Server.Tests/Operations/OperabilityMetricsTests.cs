using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>Issue 16, metrics: build info, start time, NFSv4 state gauges, data disk free space; the thread count is a gauge.</summary>
public sealed class OperabilityMetricsTests
{
    [Fact]
    public async Task BuildInfoStartTimeNfs4StateAndDiskSpaceAreExported()
    {
        using var server = new ServerProcess();
        server.Start();
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{server.HttpPort}/metrics");
        Assert.Matches("(?m)^dittofs_build_info\\{[^}]*commit=\"[^\"]+\"[^}]*version=\"[^\"]+\"\\} 1$", metrics);
        Assert.Matches("(?m)^dittofs_process_start_time_seconds\\{[^}]*\\} 1[0-9]{9}", metrics);
        foreach (string gauge in new[] { "dittofs_nfs4_clients", "dittofs_nfs4_sessions", "dittofs_nfs4_opens", "dittofs_nfs4_locks", "dittofs_nfs4_grace_remaining_seconds" })
        {
            Assert.Contains($"# TYPE {gauge} gauge", metrics);
        }
        Assert.Matches("(?m)^dittofs_disk_free_bytes\\{[^}]*\\} [1-9][0-9]*$", metrics);
        Assert.Contains("# TYPE dotnet_thread_pool_thread_count gauge", metrics);
        Assert.DoesNotContain("dotnet_thread_pool_thread_count_total", metrics);
    }
}
