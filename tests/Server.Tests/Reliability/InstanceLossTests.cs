using System.Diagnostics;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Reliability;

/// <summary>
/// The instance is lost (issue 13): kill -9 while a client writes, then the whole data directory (metadata,
/// WAL, cache) is deleted and a new server on an empty directory restores itself from the bucket
/// (DittoFs:Metadata:RestoreFromBucket). With Durability=Bucket every byte COMMITted (or written
/// DATA_SYNC/FILE_SYNC) before the kill reads back, 20 rounds in a row.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class InstanceLossTests(ITestOutputHelper output) : IDisposable
{
    private const int Rounds = 20;
    private const string Prefix = "dfs/";
    private readonly MotoServer _moto = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dittofs-loss-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        _moto.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private Dictionary<string, string> Settings(string bucket, string dataDirectory) => S3Settings.For(_moto.Endpoint, bucket, Prefix, new()
    {
        ["DittoFs:DataDirectory"] = dataDirectory,
        ["DittoFs:Durability"] = "Bucket",
        ["DittoFs:Cache:BlockSize"] = (64 * 1024).ToString(),
        ["DittoFs:Metadata:ShipIntervalMs"] = "100",
        ["DittoFs:Metadata:RestoreFromBucket"] = "true",
    });

    [Fact]
    public void CommittedDataSurvivesLosingTheInstance_DurabilityBucket()
    {
        var total = Stopwatch.StartNew();
        var random = new Random(13);
        string bucket = _moto.CreateBucket();
        var log = new DurableWriteLog();
        int durableWrites = 0, commits = 0, verified = 0;
        for (int round = 0; round <= Rounds; round++)
        {
            // A new instance: nothing of the previous one's disk is left.
            string data = Path.Combine(_root, $"instance-{round}");
            using var server = new ServerProcess(Path.Combine(_root, $"srv-{round}"), Settings(bucket, data));
            var started = Stopwatch.StartNew();
            server.Start();
            TimeSpan startTime = started.Elapsed;
            verified = log.Verify(server.NfsPort, namespaceOps: false);
            log.ForgetFilesWithoutDurableWrites();
            TimeSpan verifyTime = started.Elapsed - startTime;
            if (round == Rounds) break;

            int killAfterMs = random.Next(300, 1500);
            DurableWriteLog.Round r = log.RunUntilKilled(server.NfsPort, round, random.Next(), killAfterMs, server.Kill);
            Directory.Delete(data, recursive: true);
            durableWrites += r.Durable;
            commits += r.Commits;
            output.WriteLine($"round {round}: kill after {killAfterMs} ms, {r.Acked} writes acked ({r.Durable} stable), {r.Commits} commits; " +
                $"restored in {startTime.TotalSeconds:F1} s and verified {verified} durable writes before it in {verifyTime.TotalSeconds:F1} s");
            Assert.True(r.Commits + r.Durable > 0 || round > 0, "nothing was made durable in the first round");
        }
        output.WriteLine($"{Rounds} instances lost in {total.Elapsed.TotalSeconds:F1} s: {durableWrites} stable replies, {commits} commits, " +
            $"{verified} durable writes read back from the last restore");
        Assert.True(durableWrites + commits > Rounds, "too little was made durable to prove anything");
        // The small files and tails went up packed: what was read back came (also) from segments.
        Assert.NotEmpty(_moto.ListKeys(bucket, Prefix + Storage.Cache.ObjectKeys.SegmentPrefix));
    }
}
