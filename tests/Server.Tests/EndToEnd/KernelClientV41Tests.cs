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
    /// The short scripts over 4.1 in one boot: the harness's smoke steps, special files, exclusive create, owners and
    /// long listings (v4-extra.sh), and POSIX ownership rules with open unlinked files (posix-owner.sh).
    /// </summary>
    [KernelClientFact]
    public void SmokeSpecialFilesOwnershipAndOpenUnlinkedFiles()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using var server = new ServerProcess(settings: s_settings);
        server.Start();
        using var scripts = new CombinedGuestScript(KernelClient.Smoke(harness), E2e("v4-extra.sh"), E2e("posix-owner.sh"));
        KernelClient.Result result = KernelClient.Run(harness, server, "4.1", scripts.Path, ["--env", "VERS=4.1"]);
        output.WriteLine(result.Output);
        Assert.DoesNotContain("FAIL", result.Output);
        Assert.Contains("smoke: 15 passed, 0 failed", result.Output);
        Assert.Contains("extra: 6 passed, 0 failed", result.Output);
        Assert.Matches(@"posix-owner: [1-9]\d* passed, 0 failed", result.Output);
        Assert.Equal(0, result.ExitCode);
    }

    [KernelClientFact]
    public void SmokeScriptPassesEveryStepOverV40()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using var server = new ServerProcess(settings: s_settings);
        server.Start();
        KernelClient.Result result = KernelClient.Run(harness, server, "4.0", KernelClient.Smoke(harness));
        output.WriteLine(result.Output);
        Assert.DoesNotContain("FAIL", result.Output);
        Assert.Contains("smoke: 15 passed, 0 failed", result.Output);
        Assert.Equal(0, result.ExitCode);
    }

    [KernelClientFact]
    public void PosixSemanticsAndSigkillRestart()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using var server = new ServerProcess(settings: s_settings);
        server.Start();
        bool restarted = false;
        KernelClient.Result result = KernelClient.Run(harness, server, "4.1", E2e("posix-restart.sh"), ["--mem", "1536"], line =>
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

    [KernelClientTheory]
    [InlineData("4.1")]
    [InlineData("4.0")]
    public void OpenFileAndLockSurviveSigkillRestart(string vers)
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        string plock = KernelClient.BuildGuestTool("plock");
        using var server = new ServerProcess(settings: s_settings);
        server.Start();
        bool restarted = false;
        KernelClient.Result result = KernelClient.Run(harness, server, vers, E2e("v4-open-restart.sh"), ["--bin", plock, "--env", "PLOCK=" + plock], line =>
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
        Assert.Contains("restart: 9 passed, 0 failed", result.Output);
        Assert.Equal(0, result.ExitCode);
    }
}
