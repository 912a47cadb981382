using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>
/// Two Linux kernel NFSv4.1 clients (two QEMU guests at once, each its own nfs4_unique_id) against one server:
/// one holds a read delegation, the other writes; the first then sees the new bytes and /metrics counts one recall.
/// Then the first holds a write delegation and writes without closing; the other stats and reads the file and sees
/// its size and bytes (CB_GETATTR, then one recall of the write delegation).
/// </summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientDelegationTests(ITestOutputHelper output)
{
    private static string E2e(string name) => KernelClient.E2e(name);

    [KernelClientFact]
    public async Task WriterRecallsTheReadersDelegationAndTheReaderSeesTheNewBytes()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:LeaseSeconds"] = "10" });
        server.Start();
        // lookupcache=none: each guest sees the other's marker files at once (attributes keep their default caching).
        string[] extra = ["--opts", "lookupcache=none"];
        var holder = Task.Run(() => KernelClient.Run(harness, server, "4.1", E2e("deleg-holder.sh"), extra, timeoutSeconds: 400));
        var writer = Task.Run(() => KernelClient.Run(harness, server, "4.1", E2e("deleg-writer.sh"), extra, timeoutSeconds: 400));
        KernelClient.Result h = await holder;
        KernelClient.Result w = await writer;
        PrometheusText metrics = await PrometheusText.ScrapeAsync(server.HttpPort);
        output.WriteLine("--- holder\n" + h.Output);
        output.WriteLine("--- writer\n" + w.Output);
        output.WriteLine(server.Log);
        output.WriteLine($"CB_GETATTR answered: {metrics.Sum("dittofs_nfs4_delegations_getattr_total")}");
        Assert.DoesNotContain("FAIL", h.Output);
        Assert.DoesNotContain("FAIL", w.Output);
        Assert.Contains("PASS holder-sees-new-bytes", h.Output);
        Assert.Contains("PASS writer-overwrites", w.Output);
        Assert.Contains("PASS holder-wrote-under-write-delegation", h.Output);
        Assert.Contains("PASS writer-sees-holders-size", w.Output);
        Assert.Contains("PASS writer-reads-holders-bytes", w.Output);
        Assert.Equal(0, h.ExitCode);
        Assert.Equal(0, w.ExitCode);
        Assert.True(metrics.Sum("dittofs_nfs4_delegations_granted_total", "type=read") >= 1);
        Assert.True(metrics.Sum("dittofs_nfs4_delegations_granted_total", "type=write") >= 1);
        Assert.Equal(1, metrics.Sum("dittofs_nfs4_delegations_recalled_total", "type=read"));
        Assert.Equal(1, metrics.Sum("dittofs_nfs4_delegations_recalled_total", "type=write"));
        Assert.Equal(0, metrics.Sum("dittofs_nfs4_delegations_revoked_total"));
    }
}
