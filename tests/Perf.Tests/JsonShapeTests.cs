using System.Text.Json;
using DittoFs.LoadGen;
using Xunit;

namespace DittoFs.Perf.Tests;

public class JsonShapeTests
{
    [Fact]
    public void ResultSerializesWithTheDocumentedPropertyNames()
    {
        var run = new RunResult
        {
            System = "dittofs-local", Protocol = "v41", Threads = 4, BlockSize = 4096, FileSize = 256L << 20,
            Workloads =
            [
                new WorkloadResult
                {
                    Workload = "seq-write", OpsPerSec = 1234.5, MbPerSec = 5.06, P50Ms = 0.1, P95Ms = 0.5, P99Ms = 1.25,
                    TotalOps = 12345, Errors = 1, Retries = 2, VerifyFailures = 3, DurationSec = 10,
                },
            ],
        };
        using JsonDocument doc = JsonDocument.Parse(run.ToJson());
        JsonElement root = doc.RootElement;
        Assert.Equal("dittofs-local", root.GetProperty("system").GetString());
        Assert.Equal("v41", root.GetProperty("protocol").GetString());
        Assert.Equal(4, root.GetProperty("threads").GetInt32());
        Assert.Equal(4096, root.GetProperty("blockSize").GetInt32());
        Assert.Equal(256L << 20, root.GetProperty("fileSize").GetInt64());
        JsonElement machine = root.GetProperty("machine");
        Assert.True(machine.GetProperty("cores").GetInt32() >= 1);
        Assert.False(string.IsNullOrEmpty(machine.GetProperty("os").GetString()));
        JsonElement w = root.GetProperty("workloads")[0];
        Assert.Equal("seq-write", w.GetProperty("workload").GetString());
        Assert.Equal(1234.5, w.GetProperty("opsPerSec").GetDouble());
        Assert.Equal(5.06, w.GetProperty("mbPerSec").GetDouble());
        Assert.Equal(0.1, w.GetProperty("p50Ms").GetDouble());
        Assert.Equal(0.5, w.GetProperty("p95Ms").GetDouble());
        Assert.Equal(1.25, w.GetProperty("p99Ms").GetDouble());
        Assert.Equal(12345, w.GetProperty("totalOps").GetInt64());
        Assert.Equal(1, w.GetProperty("errors").GetInt64());
        Assert.Equal(2, w.GetProperty("retries").GetInt64());
        Assert.Equal(3, w.GetProperty("verifyFailures").GetInt64());
        Assert.Equal(10, w.GetProperty("durationSec").GetDouble());

        RunResult back = RunResult.FromJson(run.ToJson());
        Assert.Equal(run.Workloads[0].P99Ms, back.Workloads[0].P99Ms);
        Assert.Equal("dittofs-loadgen", back.Tool);
    }
}
