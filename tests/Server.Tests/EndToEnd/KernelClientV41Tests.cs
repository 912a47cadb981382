using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>The Linux kernel NFSv4.1 client, in QEMU, against the real server process (the smoke and lock tests over NFSv4.0 too).</summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientV41Tests(ITestOutputHelper output)
{
    /// <summary>
    /// Short lease and grace so restart tests do not wait 90 s: with a 10 s lease the client renews (and so
    /// notices the restart) every ~7 s, inside the grace period.
    /// </summary>
    private static readonly Dictionary<string, string> s_settings = new()
    {
        ["DittoFs:Nfs4:LeaseSeconds"] = "10",
        ["DittoFs:Nfs4:GraceSeconds"] = "10",
    };

    private static string E2e(string name) => KernelClient.E2e(name);

    /// <summary>
    /// One boot (a boot under emulation is ~10 s): special files, exclusive create, owners and long listings
    /// (v4-extra.sh), POSIX ownership rules with open unlinked files (posix-owner.sh), then POSIX semantics and a
    /// SIGKILL restart under the mount (posix-restart.sh).
    /// </summary>
    [KernelClientFact]
    public void SpecialFilesOwnershipPosixSemanticsAndSigkillRestart()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using var server = new ServerProcess(settings: s_settings);
        server.Start();
        bool restarted = false;
        using var scripts = new CombinedGuestScript(E2e("v4-extra.sh"), E2e("posix-owner.sh"), E2e("posix-restart.sh"));
        KernelClient.Result result = KernelClient.Run(harness, server, "4.1", scripts.Path, ["--env", "VERS=4.1"], line =>
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
        Assert.Contains("extra: 6 passed, 0 failed", result.Output);
        Assert.Matches(@"posix-owner: [1-9]\d* passed, 0 failed", result.Output);
        Assert.Contains("PASS after-sigkill-restart", result.Output);
        Assert.Equal(0, result.ExitCode);
    }

    [KernelClientTheory]
    [InlineData("4.1")]
    [InlineData("4.0")]
    public async Task TwoClientsConflictingFcntlAndFlockLocks(string vers)
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        string plock = KernelClient.BuildGuestTool("plock");
        using var server = new ServerProcess(settings: s_settings);
        server.Start();
        string[] extra = ["--bin", plock, "--env", "PLOCK=" + plock, "--bin", "/usr/bin/flock", "--opts", "lookupcache=none,actimeo=1"];
        var holder = Task.Run(() => KernelClient.Run(harness, server, vers, E2e("lock-holder.sh"), extra, timeoutSeconds: 400));
        var contender = Task.Run(() => KernelClient.Run(harness, server, vers, E2e("lock-contender.sh"), extra, timeoutSeconds: 400));
        KernelClient.Result h = await holder;
        KernelClient.Result c = await contender;
        output.WriteLine("--- holder\n" + h.Output);
        output.WriteLine("--- contender\n" + c.Output);
        output.WriteLine(server.Log);
        Assert.DoesNotContain("FAIL", h.Output);
        Assert.DoesNotContain("FAIL", c.Output);
        Assert.Contains("locks: 7 passed, 0 failed", c.Output);
        Assert.Equal(0, h.ExitCode);
        Assert.Equal(0, c.ExitCode);
    }

    /// <summary>One boot per version: the harness's smoke steps, then an open file and a lock across a SIGKILL restart (v4-open-restart.sh).</summary>
    [KernelClientTheory]
    [InlineData("4.1")]
    [InlineData("4.0")]
    public void SmokeThenOpenFileAndLockSurviveSigkillRestart(string vers)
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        string plock = KernelClient.BuildGuestTool("plock");
        using var server = new ServerProcess(settings: s_settings);
        server.Start();
        bool restarted = false;
        using var scripts = new CombinedGuestScript(KernelClient.Smoke(harness), E2e("v4-open-restart.sh"));
        KernelClient.Result result = KernelClient.Run(harness, server, vers, scripts.Path, ["--bin", plock, "--env", "PLOCK=" + plock], line =>
        {
            if (line.Trim() != "KILL-NOW") return;
            server.Kill();
            server.Start();
            restarted = true;
        }, timeoutSeconds: 400);
        output.WriteLine(result.Output);
        output.WriteLine(server.Log);
        Assert.True(restarted, "the script never asked for the restart");
        Assert.DoesNotContain("FAIL", result.Output);
        Assert.Contains("smoke: 15 passed, 0 failed", result.Output);
        Assert.Contains("restart: 9 passed, 0 failed", result.Output);
        Assert.Equal(0, result.ExitCode);
    }
}
