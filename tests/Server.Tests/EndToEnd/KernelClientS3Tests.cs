using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Tests.S3;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>NFSv3 through the kernel client on the S3 payload path.</summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientS3V3Tests(ITestOutputHelper output) : KernelClientS3Tests(output, "3");

/// <summary>NFSv4.1 through the kernel client on the S3 payload path.</summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientS3V41Tests(ITestOutputHelper output) : KernelClientS3Tests(output, "4.1");

/// <summary>
/// The S3 payload path end to end: the real server process with PayloadStore=S3 on moto_server
/// (behind a TCP proxy that can cut it off), driven by the Linux kernel NFS client in QEMU.
/// One subclass per NFS version.
/// </summary>
public abstract partial class KernelClientS3Tests(ITestOutputHelper output, string vers)
{
    private const string Prefix = "dfs/";
    private const int BlockSize = 4 * 1024 * 1024;

    // File sizes: 16 blocks each, several rounds of the 8 uploads in flight; the outage's is twice its 32 MiB cache.
    // More bytes prove nothing more and cost about half a minute per 100 MiB under emulation.
    private const int KillMib = 64;
    private const int OutageMib = 64;

    private static Dictionary<string, string> Settings(TcpProxy proxy, string bucket, long cacheBytes) => S3Settings.For(proxy.Endpoint, bucket, Prefix, new()
    {
        ["DittoFs:Cache:SizeBytes"] = cacheBytes.ToString(),
        ["DittoFs:Cache:BlockSize"] = BlockSize.ToString(),
        ["DittoFs:Cache:PackSmallBlocks"] = "false", // these count one object per block; packing has its own tests
        ["DittoFs:Cache:MaxRetryDelaySeconds"] = "2",
        // v4.1 reclaims after the SIGKILL restart: keep the grace period short, as the v4.1 tests do.
        ["DittoFs:Nfs4:LeaseSeconds"] = "10",
        ["DittoFs:Nfs4:GraceSeconds"] = "10",
    });

    [KernelClientFact]
    public async Task CommittedDataSurvivesSigkillBeforeUploadAndDrainsToS3()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using var moto = new MotoServer();
        using var proxy = new TcpProxy(moto.Port);
        string bucket = moto.CreateBucket();
        using var server = new ServerProcess(settings: Settings(proxy, bucket, 4L << 30));
        // S3 unreachable while the client writes: the flusher cannot finish anything before the kill.
        proxy.Cut();
        server.Start();
        string script = Path.Combine(KernelClient.RepositoryRoot, "tests", "e2e", "s3-kill-restart.sh");
        bool restarted = false;
        int objectsAtKill = -1;
        KernelClient.Result result = KernelClient.Run(harness, server, vers, script, ["--env", "BIG_MIB=" + KillMib], line =>
        {
            if (line.Trim() != "KILL-NOW") return;
            server.Kill();
            objectsAtKill = moto.ListKeys(bucket, Prefix).Count;
            proxy.Restore();
            server.Start();
            restarted = true;
        });
        output.WriteLine(result.Output);
        Assert.True(restarted, "the script never asked for the restart");
        Assert.Equal(0, objectsAtKill);
        Assert.Contains("PASS readback-after-sigkill", result.Output);
        Assert.Equal(0, result.ExitCode);
        await AssertWholeInS3(moto, bucket, result.Output, KillMib);
        output.WriteLine(server.Log);
    }

    [KernelClientFact]
    public async Task WriteThroughAnS3OutageIsDelayedNotFailed()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using var moto = new MotoServer();
        using var proxy = new TcpProxy(moto.Port);
        string bucket = moto.CreateBucket();
        // 32 MiB of cache: the write (twice that) fills it with dirty blocks while S3 is away, and waits for S3 to finish.
        using var server = new ServerProcess(settings: Settings(proxy, bucket, 32L << 20));
        server.Start();
        string script = Path.Combine(KernelClient.RepositoryRoot, "tests", "e2e", "s3-outage.sh");
        Task? restore = null;
        var outage = new Stopwatch();
        string gcPrefix = "";
        List<string> firstVersions = [], secondVersions = [];
        KernelClient.Result result = KernelClient.Run(harness, server, vers, script, ["--env", "BIG_MIB=" + OutageMib], line =>
        {
            line = line.Trim();
            if (line == "WRITING")
            {
                proxy.Cut();
                outage.Start();
                restore = Task.Delay(TimeSpan.FromSeconds(20)).ContinueWith(_ => { proxy.Restore(); outage.Stop(); });
            }
            else if (line.StartsWith("GC-WRITTEN "))
            {
                gcPrefix = Prefix + ObjectKeys.InodePrefix(ulong.Parse(line["GC-WRITTEN ".Length..]));
                firstVersions = WaitForKeys(moto, bucket, gcPrefix, keys => keys.Count == 2);
            }
            else if (line == "GC-OVERWRITTEN")
            {
                // Two new objects, and the two old ones collected.
                secondVersions = WaitForKeys(moto, bucket, gcPrefix, keys => keys.Count == 2 && !keys.Intersect(firstVersions).Any());
            }
        });
        output.WriteLine(result.Output);
        Assert.NotNull(restore);
        await restore!;
        Assert.Contains("PASS write-through-outage", result.Output);
        Assert.Equal(0, result.ExitCode);
        Assert.True(proxy.RefusedConnections > 0, "the server never tried S3 during the outage");
        // The write could not finish before S3 came back: it waited (JUKEBOX), it did not fail.
        int elapsed = int.Parse(Regex.Match(result.Output, @"ELAPSED (\d+)").Groups[1].Value);
        Assert.True(elapsed >= 15, $"write took {elapsed}s: the cache never filled, nothing was delayed");
        await AssertWholeInS3(moto, bucket, result.Output, OutageMib);

        Assert.Contains("GC-DELETED", result.Output);
        Assert.Equal(2, firstVersions.Count);
        Assert.Equal(2, secondVersions.Count);
        Assert.Empty(secondVersions.Intersect(firstVersions));
        Assert.Empty(WaitForKeys(moto, bucket, gcPrefix, keys => keys.Count == 0));
        output.WriteLine(server.Log);
    }

    /// <summary>Lists the keys under a prefix until <paramref name="done"/> holds (or 20 s pass) and returns the last listing.</summary>
    private static List<string> WaitForKeys(MotoServer moto, string bucket, string prefix, Func<List<string>, bool> done)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            List<string> keys = moto.ListKeys(bucket, prefix);
            if (done(keys) || watch.Elapsed > TimeSpan.FromSeconds(20)) return keys;
            Thread.Sleep(200);
        }
    }

    /// <summary>Waits for the backlog to drain, then checks one object per block, whose concatenation is the file.</summary>
    private async Task AssertWholeInS3(MotoServer moto, string bucket, string scriptOutput, int mib)
    {
        ulong inode = ulong.Parse(Regex.Match(scriptOutput, @"INODE (\d+)").Groups[1].Value);
        string sum = Regex.Match(scriptOutput, @"SUM ([0-9a-f]{64})").Groups[1].Value;
        int blocks = mib * 1024 * 1024 / BlockSize;
        string inodePrefix = Prefix + ObjectKeys.InodePrefix(inode);
        var watch = Stopwatch.StartNew();
        List<string> keys;
        while (true)
        {
            keys = moto.ListKeys(bucket, inodePrefix);
            // Drained and collected: exactly one object (the current version) per block.
            if (keys.Count == blocks && keys.Select(k => k.Split('/')[2]).Distinct().Count() == blocks) break;
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"after {watch.Elapsed}: {keys.Count} objects for {blocks} blocks");
            await Task.Delay(500);
        }
        output.WriteLine($"bucket drained in {watch.Elapsed.TotalSeconds:F1}s: {keys.Count} objects");
        using AmazonS3Client client = moto.Client();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[BlockSize];
        foreach (string key in keys.OrderBy(k => k.Split('/')[2], StringComparer.Ordinal))
        {
            using GetObjectResponse response = await client.GetObjectAsync(bucket, key);
            int n = 0, got;
            while ((got = await response.ResponseStream.ReadAsync(buffer.AsMemory(n))) > 0) n += got;
            Assert.Equal(BlockSize, n);
            sha.AppendData(buffer, 0, n);
        }
        Assert.Equal(sum, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }
}
