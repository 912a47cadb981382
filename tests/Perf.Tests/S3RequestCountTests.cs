using DittoFs.LoadGen;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Perf.Tests;

/// <summary>
/// With --metrics, each workload records the S3 requests it caused, counted until its uploads settled
/// (issue 17: the cost column of summary.md): a real server on a moto bucket, seq-write of 1 MiB per thread.
/// </summary>
public sealed class S3RequestCountTests
{
    [Fact]
    public void AWorkloadOnS3RecordsItsRequestsAndTheBytesItsUploadsMoved()
    {
        using var moto = new MotoServer();
        string bucket = moto.CreateBucket();
        using var server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["DittoFs:PayloadStore"] = "S3",
            ["DittoFs:S3:Endpoint"] = moto.Endpoint,
            ["DittoFs:S3:Region"] = MotoServer.Region,
            ["DittoFs:S3:Bucket"] = bucket,
            ["DittoFs:S3:AccessKey"] = MotoServer.AccessKey,
            ["DittoFs:S3:SecretKey"] = MotoServer.SecretKey,
            ["DittoFs:Cache:FlushIdleSeconds"] = "1",
            ["DittoFs:Cache:SegmentWaitSeconds"] = "1",
        });
        server.Start();
        Options o = Options.Parse([
            "--port", server.NfsPort.ToString(), "--mount-port", server.MountPort.ToString(), "--protocol", "v3",
            "--threads", "2", "--duration", "30", "--warmup", "0", "--file-size", "1M", "--workloads", "seq-write",
            "--system", "test", "--metrics", $"http://127.0.0.1:{server.HttpPort}/metrics",
        ]);
        RunResult result;
        using (var runner = new Runner(o, TextWriter.Null)) result = runner.Run();

        WorkloadResult w = Assert.Single(result.Workloads);
        Assert.True(w.Errors == 0, w.FirstError);
        Dictionary<string, long> s3 = Assert.IsType<Dictionary<string, long>>(w.S3Requests);
        // Both 1 MiB files went up before the count closed (the settle waited for them), in at least one PUT.
        Assert.True(s3.GetValueOrDefault("uploaded_bytes") >= 2 << 20, string.Join(", ", s3));
        Assert.True(s3.Where(kv => kv.Key.Contains("put", StringComparison.OrdinalIgnoreCase)).Sum(kv => kv.Value) >= 1, string.Join(", ", s3));
        Assert.True(w.S3RequestsPer1000Ops > 0);
    }
}
