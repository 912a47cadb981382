using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>The Linux kernel NFSv3 client, in QEMU, against the real server process.</summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientV3Tests(ITestOutputHelper output)
{
    /// <summary>
    /// One boot (a boot under emulation is ~10 s): the harness's smoke steps, POSIX ownership rules (posix-owner.sh),
    /// then POSIX semantics and a SIGKILL restart under the mount (posix-restart.sh).
    /// </summary>
    [KernelClientFact]
    public void SmokeOwnershipPosixSemanticsAndSigkillRestart()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using var server = new ServerProcess();
        server.Start();
        bool restarted = false;
        using var scripts = new CombinedGuestScript(KernelClient.Smoke(harness), KernelClient.E2e("posix-owner.sh"), KernelClient.E2e("posix-restart.sh"));
        KernelClient.Result result = KernelClient.Run(harness, server, "3", scripts.Path, ["--env", "VERS=3"], line =>
        {
            if (line.Trim() != "KILL-NOW") return;
            server.Kill();
            server.Start();
            restarted = true;
        });
        output.WriteLine(result.Output);
        output.WriteLine(server.Log);
        Assert.True(restarted, "the script never asked for the restart");
        Assert.DoesNotContain("FAIL", result.Output);
        Assert.Contains("smoke: 15 passed, 0 failed", result.Output);
        Assert.Matches(@"posix-owner: [1-9]\d* passed, 0 failed", result.Output);
        Assert.Contains("PASS after-sigkill-restart", result.Output);
        Assert.Equal(0, result.ExitCode);
    }
}

// One collection, run alone after the others: a guest is one busy core under emulation, and beside the
// other classes it pushed the latency-bounded ones (LoadTests' bystander p99) over their bounds on 2 cores.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelClientCollection
{
    public const string Name = "kernel client";
}
