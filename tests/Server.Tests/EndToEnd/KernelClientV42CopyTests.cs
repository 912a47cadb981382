using System.Text.RegularExpressions;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>
/// The Linux kernel NFSv4.2 client, in QEMU, against the real server on the S3 payload store (moto): a 100 MiB
/// cp --reflink=always is a CLONE (blocks share objects, no bytes move), both files read back right after writes
/// to either; copy_file_range is a COPY that moves no file data over the client's connection.
/// </summary>
[Collection(KernelClientCollection.Name)]
public sealed partial class KernelClientV42CopyTests(ITestOutputHelper output)
{
    private const double Mib = 1 << 20;

    [GeneratedRegex(@"REFLINK-MS (\d+)")]
    private static partial Regex ReflinkTime();

    [GeneratedRegex(@"REFLINK-CLONE-MS (\d+)")]
    private static partial Regex CloneTime();

    /// <summary>Between the host's scrapes at <paramref name="marker"/>-BEGIN and -END: bytes COPY/CLONE shared and copied, WRITE bytes, RPC bytes in.</summary>
    private static (double Shared, double Copied, double Written, double Received) Deltas(Dictionary<string, PrometheusText> scrapes, string marker)
    {
        Assert.True(scrapes.TryGetValue(marker + "-BEGIN", out PrometheusText? begin), "no scrape at " + marker + "-BEGIN");
        Assert.True(scrapes.TryGetValue(marker + "-END", out PrometheusText? end), "no scrape at " + marker + "-END");
        double Delta(string name, params string[] labels) => end!.Sum(name, labels) - begin!.Sum(name, labels);
        return (Delta("dittofs_nfs4_copy_bytes_total", "mode=clone"), Delta("dittofs_nfs4_copy_bytes_total", "mode=copy"),
            Delta("dittofs_nfs_written_bytes_total"), Delta("dittofs_rpc_received_bytes_total"));
    }

    [KernelClientFact]
    public void CloneAndCopyOfA100MibFileMoveNoDataThroughTheClient()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        string tool = KernelClient.BuildGuestTool("sparsetool");
        string gnuCp = KernelClient.GuestCopyOf("/usr/bin/cp", "gnucp");
        using var moto = new MotoServer();
        string bucket = moto.CreateBucket();
        using var server = new ServerProcess(settings: S3Settings.For(moto.Endpoint, bucket, "dfs/", new()
        {
            ["DittoFs:Cache:BlockSize"] = (4 << 20).ToString(),
            // COMMIT uploads: the source's blocks are objects when it is cloned, so the clone shares them all.
            ["DittoFs:Durability"] = "Bucket",
        }));
        server.Start();

        var scrapes = new Dictionary<string, PrometheusText>();
        KernelClient.Result result = KernelClient.Run(harness, server, "4.2", KernelClient.E2e("v42-copy.sh"),
            ["--bin", tool, "--bin", gnuCp, "--env", "SPARSETOOL=" + tool, "--env", "GNUCP=" + gnuCp],
            line =>
            {
                if (line.Trim() is "REFLINK-BEGIN" or "REFLINK-END" or "COPY-BEGIN" or "COPY-END") scrapes[line.Trim()] = PrometheusText.ScrapeAsync(server.HttpPort).GetAwaiter().GetResult();
            });
        output.WriteLine(result.Output);
        Assert.DoesNotContain("FAIL", result.Output);
        Assert.Contains("v42-copy: 3 passed, 0 failed", result.Output);
        Assert.Equal(0, result.ExitCode);

        // cp --reflink=always: the CLONE shares all 100 MiB (no bytes copied, not even in the server) and returns
        // in well under a second; the whole cp is an exec under emulation on a shared machine, so it gets more room.
        int cpMs = int.Parse(ReflinkTime().Match(result.Output).Groups[1].Value);
        int cloneMs = int.Parse(CloneTime().Match(result.Output).Groups[1].Value);
        var (shared, serverCopied, written, received) = Deltas(scrapes, "REFLINK");
        output.WriteLine($"cp --reflink=always of 100 MiB: cp {cpMs} ms, its CLONE {cloneMs} ms; shared {shared / Mib:F1} MiB, copied {serverCopied} B, WRITE {written} B, RPC bytes in {received} B");
        Assert.True(cloneMs < 1000, $"the CLONE took {cloneMs} ms");
        Assert.True(cpMs < 5000, $"cp --reflink=always took {cpMs} ms");
        Assert.True(shared >= 100 * Mib, $"the clone shared {shared} bytes");
        Assert.Equal(0, serverCopied);
        Assert.Equal(0, written);

        // copy_file_range: the server did 100 MiB; no WRITE data and under 1 MiB of any RPC came in meanwhile.
        (shared, serverCopied, written, received) = Deltas(scrapes, "COPY");
        output.WriteLine($"copy_file_range of 100 MiB: server shared {shared / Mib:F1} MiB, copied {serverCopied / Mib:F1} MiB, WRITE {written} B, RPC bytes in {received} B");
        Assert.True(shared + serverCopied >= 100 * Mib, $"the server copied {shared + serverCopied} bytes");
        Assert.Equal(0, written);
        Assert.True(received < Mib, $"{received} bytes came in during the copy");
        Assert.Matches(@"COPY: [1-9]", result.Output);
        Assert.Matches(@"CLONE: [1-9]", result.Output);
    }
}
