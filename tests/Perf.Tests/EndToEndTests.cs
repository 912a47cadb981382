using DittoFs.LoadGen;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Perf.Tests;

/// <summary>Every workload, briefly, over NFSv3 and NFSv4.1 against the real server (child process, free ports).</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly ServerProcess _server = new();

    public EndToEndTests() => _server.Start();

    public void Dispose() => _server.Dispose();

    [Theory]
    [InlineData("v3")]
    [InlineData("v41")]
    public void AllWorkloadsRunWithoutErrors(string protocol)
    {
        Options o = Options.Parse([
            "--port", _server.NfsPort.ToString(), "--mount-port", _server.MountPort.ToString(), "--protocol", protocol,
            "--threads", "2", "--duration", "1", "--warmup", "0", "--file-size", "1M", "--small-files", "50",
            "--metadata-files", "20", "--system", "test",
        ]);
        RunResult result;
        using (var runner = new Runner(o, TextWriter.Null)) result = runner.Run();

        Assert.Equal(Options.AllWorkloads, result.Workloads.Select(w => w.Workload));
        Assert.All(result.Workloads, w =>
        {
            Assert.True(w.Errors == 0, $"{w.Workload}: {w.Errors} errors, first: {w.FirstError}");
            Assert.True(w.VerifyFailures == 0, $"{w.Workload}: {w.VerifyFailures} verify failures, first: {w.FirstError}");
            Assert.True(w.TotalOps > 0, $"{w.Workload}: no ops");
            Assert.True(w.OpsPerSec > 0 && w.P50Ms > 0 && w.P50Ms <= w.P95Ms && w.P95Ms <= w.P99Ms, w.Workload);
        });
        // 1 MiB per thread in 4 KiB blocks: seq-write and seq-read each do all 256 blocks per thread,
        // unless the 1 s cap stopped them (test projects share the 2 cores: seen once, 495 of 512).
        foreach (WorkloadResult seq in result.Workloads.Take(2))
        {
            long done = seq.TotalOps + seq.WarmupOps;
            Assert.True(seq.TruncatedByCap ? done < 2 * 256 : done == 2 * 256, $"{seq.Workload}: {done} ops, truncated {seq.TruncatedByCap}");
        }
        Assert.True(result.Workloads[0].MbPerSec > 0);
        // 50 small files, 4 steps each, unless the 1 s cap cut it short.
        WorkloadResult sf = result.Workloads[5];
        Assert.True(sf.TruncatedByCap || sf.TotalOps == 200, $"small-files: {sf.TotalOps} ops");
    }
}
