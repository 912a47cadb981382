using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>
/// The Linux kernel NFSv3 client with locks (no `nolock`) against NLM. The server's portmapper must be on
/// port 111 (the kernel's NLM client asks the server's rpcbind there; slirp maps the guest's 10.0.2.2:111 to
/// this host's loopback), and the guest needs rpcbind and rpc.statd (copied in with --bin).
/// </summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientNlmTests(ITestOutputHelper output)
{
    public const string Why = "the harness guest cannot run NSM: with rpcbind and rpc.statd copied in, the v3 mount with `lock` succeeds "
        + "(lockd registers), but every lock fails ENOLCK with 'lockd: cannot monitor 10.0.2.2' (the kernel's SM_MON never reaches the "
        + "guest's statd); NLM_GRANTED callbacks cannot reach a slirp guest either";

    [Fact(Skip = Why)]
    public void FlockConflictsOverNfs3WithoutNolock()
    {
        string harness = KernelClient.RequireHarness()!;
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:PortmapPort"] = "111" });
        server.Start();
        string script = Path.Combine(KernelClient.RepositoryRoot, "tests", "e2e", "nlm-v3-locks.sh");
        KernelClient.Result result = KernelClient.Run(harness, server, "3", script,
        [
            "--env", $"NFS_PORT={server.NfsPort}", "--env", $"MOUNT_PORT={server.MountPort}",
            "--bin", "/usr/sbin/rpcbind", "--bin", "/usr/sbin/rpc.statd", "--bin", "/usr/bin/flock", "--copy", "/etc/netconfig:/etc/netconfig",
        ]);
        output.WriteLine(result.Output);
        Assert.DoesNotContain("FAIL", result.Output);
        Assert.Contains("PASS flock-conflict", result.Output);
        Assert.Equal(0, result.ExitCode);
    }
}
