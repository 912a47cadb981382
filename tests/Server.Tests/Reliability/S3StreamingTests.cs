using System.Diagnostics;
using System.Net.Http;
using System.Text.Json.Nodes;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Reliability;

/// <summary>
/// Big files through the real server on S3 (moto, behind <see cref="FaultProxy"/>): a sequential
/// writer's blocks reach the bucket while it writes (FlushIdleSeconds far away), a cold sequential
/// reader is served by read-ahead (byte-exact, counted in <c>dittofs_cache_readahead_total</c>), WRITE
/// and COMMIT never wait on a slow bucket, and kill -9 in the middle of streaming uploads loses
/// nothing COMMITted.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class S3StreamingTests(ITestOutputHelper output)
{
    private const int BlockSize = 4 * 1024 * 1024; // the default: these are the real objects
    private const int Piece = 256 * 1024;
    private const string Prefix = "dfs/";

    private static byte[] Random(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static Dictionary<string, string> Settings(string endpoint, string bucket) => S3Settings.For(endpoint, bucket, Prefix, new()
    {
        ["DittoFs:Cache:SizeBytes"] = (64L * BlockSize).ToString(),
        ["DittoFs:Cache:FlushIdleSeconds"] = "600", // only streaming uploads anything during these tests
        ["DittoFs:Cache:MaxRetryDelaySeconds"] = "0.5",
    });

    /// <summary>Unstable WRITEs of data[from..to) in 256 KiB pieces; returns the slowest reply.</summary>
    private static TimeSpan Write(Nfs3Client client, byte[] fh, byte[] data, int from, int to)
    {
        TimeSpan slowest = TimeSpan.Zero;
        for (int at = from; at < to; at += Piece)
        {
            int n = Math.Min(Piece, to - at);
            var watch = Stopwatch.StartNew();
            Assert.Equal(Nfs3Status.Ok, client.Write(fh, (ulong)at, data[at..(at + n)]).Status);
            if (watch.Elapsed > slowest) slowest = watch.Elapsed;
        }
        return slowest;
    }

    private static int BlocksInBucket(MotoServer moto, string bucket) =>
        moto.ListBlockKeys(bucket, Prefix).Select(k => string.Join('/', k.Split('/')[1..3])).Distinct().Count();

    /// <summary>Dirty blocks not yet uploaded, from admin/status.</summary>
    private static long Backlog(ServerProcess server)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        JsonNode status = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{server.HttpPort}/admin/status").GetAwaiter().GetResult())!;
        return status["flushBacklog"]!["blocks"]!.GetValue<long>();
    }

    private static bool Eventually(Func<bool> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(100);
        }
        return true;
    }

    [Fact]
    public async Task ASequentialWriteStreamsToTheBucketAndAColdSequentialReadIsReadAhead()
    {
        using var moto = new MotoServer();
        string bucket = moto.CreateBucket();
        using var server = new ServerProcess(settings: Settings(moto.Endpoint, bucket));
        server.Start();
        byte[] data = Random(64 << 20, 1);
        byte[] fh;
        using (var client = new Nfs3Client(server.NfsPort))
        {
            byte[] root = client.Mount();
            fh = client.CreateFile(root, "big");
            // Half the file, no COMMIT: the blocks the writer went past are in the bucket long before FlushIdleSeconds.
            Write(client, fh, data, 0, data.Length / 2);
            Assert.True(Eventually(() => BlocksInBucket(moto, bucket) >= 7), $"{BlocksInBucket(moto, bucket)} blocks in the bucket mid-write");
            Write(client, fh, data, data.Length / 2, data.Length);
            Assert.Equal(Nfs3Status.Ok, client.Commit(fh).Status);
            // Every block is complete: the last one goes up once it settles, still long before FlushIdleSeconds.
            Assert.True(Eventually(() => BlocksInBucket(moto, bucket) == 16), $"{BlocksInBucket(moto, bucket)} of 16 blocks in the bucket");
        }

        // A restart drops the clean cached copies: the read comes from the bucket, ahead of the reader.
        server.Stop();
        server.Start();
        using (var client = new Nfs3Client(server.NfsPort))
        {
            client.Mount();
            Assert.Equal(data, client.ReadAll(fh, data.Length, 256 * 1024));
        }
        PrometheusText metrics = await PrometheusText.ScrapeAsync(server.HttpPort);
        double hits = metrics.Sum("dittofs_cache_readahead_total", "result=hit");
        double misses = metrics.Sum("dittofs_cache_readahead_total", "result=miss");
        double wasted = metrics.Sum("dittofs_cache_readahead_total", "result=wasted");
        output.WriteLine($"read-ahead: {hits} hits, {misses} misses, {wasted} wasted");
        Assert.True(hits >= 13, $"read-ahead: {hits} hits, {misses} misses, {wasted} wasted");
        Assert.True(misses <= 2, $"read-ahead: {hits} hits, {misses} misses, {wasted} wasted");
        Assert.Equal(0, wasted);
    }

    [Fact]
    public void UnstableWritesAndCommitDoNotWaitOnASlowBucket()
    {
        using var moto = new MotoServer();
        using var proxy = new FaultProxy(moto.Port);
        string bucket = moto.CreateBucket();
        using var server = new ServerProcess(settings: Settings(proxy.Endpoint, bucket));
        server.Start();
        proxy.Delay = TimeSpan.FromSeconds(2);
        proxy.Inject(S3Fault.Slow); // every S3 request takes 2 s from now on
        byte[] data = Random(5 * BlockSize + 1000, 2);
        using var client = new Nfs3Client(server.NfsPort);
        byte[] root = client.Mount();
        byte[] fh = client.CreateFile(root, "slow-bucket");
        int before = proxy.Requests;
        TimeSpan slowestWrite = Write(client, fh, data, 0, data.Length);
        var watch = Stopwatch.StartNew();
        Assert.Equal(Nfs3Status.Ok, client.Commit(fh).Status);
        TimeSpan commit = watch.Elapsed;
        int during = proxy.Requests - before;
        output.WriteLine($"slowest WRITE {slowestWrite.TotalMilliseconds:F0} ms, COMMIT {commit.TotalMilliseconds:F0} ms, {during} S3 requests started meanwhile");
        // Streaming uploads were under way (each taking 2 s), yet no reply waited for one.
        Assert.True(during >= 1, "no upload started while writing");
        Assert.True(slowestWrite < TimeSpan.FromSeconds(1), $"a WRITE took {slowestWrite}");
        Assert.True(commit < TimeSpan.FromSeconds(1), $"COMMIT took {commit}");
        Assert.Equal(data, client.ReadAll(fh, data.Length)); // served locally meanwhile
    }

    [Fact]
    public void KillDuringStreamingUploadsLosesNothingCommitted()
    {
        using var moto = new MotoServer();
        using var proxy = new FaultProxy(moto.Port);
        string bucket = moto.CreateBucket();
        using var server = new ServerProcess(settings: Settings(proxy.Endpoint, bucket));
        server.Start();
        proxy.Delay = TimeSpan.FromMilliseconds(700);
        proxy.Inject(S3Fault.Slow); // uploads stay in flight long enough to be cut
        byte[] data = Random(8 * BlockSize, 3);
        int committed = 6 * BlockSize + 12345;
        byte[] fh;
        using (var client = new Nfs3Client(server.NfsPort))
        {
            byte[] root = client.Mount();
            fh = client.CreateFile(root, "killed");
            Write(client, fh, data, 0, committed);
            Assert.Equal(Nfs3Status.Ok, client.Commit(fh).Status);
            Write(client, fh, data, committed, data.Length); // not committed: may be lost
            Assert.True(Eventually(() => proxy.Requests > 0, 30), "no upload started");
        }
        int inBucket = BlocksInBucket(moto, bucket);
        server.Kill();
        output.WriteLine($"killed with {inBucket} of 8 blocks in the bucket");
        Assert.True(inBucket < 8, "every upload finished before the kill: nothing was cut");

        proxy.Heal();
        server.Start();
        using (var client = new Nfs3Client(server.NfsPort))
        {
            client.Mount();
            Assert.Equal(data[..committed], client.ReadAll(fh, committed));
        }
        // Recovery uploads what the kill left dirty; a cold restart then reads the committed bytes from the bucket.
        // (The partly committed block 6 may come back as its committed 12345 bytes from the data journal, and be packed.)
        Assert.True(Eventually(() => Backlog(server) == 0), $"backlog {Backlog(server)} blocks after recovery");
        server.Stop();
        server.Start();
        using (var client = new Nfs3Client(server.NfsPort))
        {
            client.Mount();
            Assert.Equal(data[..committed], client.ReadAll(fh, committed));
        }
    }
}
