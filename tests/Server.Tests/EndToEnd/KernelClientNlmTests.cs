using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>
/// The Linux kernel NFSv3 client with locks (no `nolock`) against NLM, beside an NFSv4.1 mount of the same export.
/// The kernel's NLM client asks port 111 of the server for NLM's port (slirp maps the guest's 10.0.2.2:111 to this
/// host's loopback): the server's own portmapper serves it, or a host rpcbind there has NLM registered, and the guest needs rpcbind and rpc.statd (copied in with --bin)
/// with /etc/services and /etc/protocols, without which the guest's statd never answers its lockd's SM_MON.
/// One guest, two processes: the harness runs one guest at a time per test.
/// </summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientNlmTests(ITestOutputHelper output)
{
    [KernelClientFact]
    public void FlockAndFcntlConflictOverNfs3AndAgainstNfs41()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        string plock = KernelClient.BuildGuestTool("plock");
        // Port 111 for the server's own portmapper, or, where this host runs an rpcbind there, NLM registered with it.
        bool own111 = HostRpcbind.PortFree();
        using var server = new ServerProcess(settings: own111 ? new Dictionary<string, string> { ["DittoFs:PortmapPort"] = "111" } : null);
        server.Start();
        using HostRpcbind? registered = own111 ? null : new HostRpcbind(server.NfsPort, (100021, 4));
        KernelClient.Result result = KernelClient.Run(harness, server, "4.1", KernelClient.E2e("nlm-v3-locks.sh"),
        [
            "--env", $"NFS_PORT={server.NfsPort}", "--env", $"MOUNT_PORT={server.MountPort}", "--env", "PLOCK=" + plock,
            "--bin", plock, "--bin", "/usr/sbin/rpcbind", "--bin", "/usr/sbin/rpc.statd", "--bin", "/usr/bin/flock",
            "--copy", "/etc/netconfig:/etc/netconfig", "--copy", "/etc/services:/etc/services", "--copy", "/etc/protocols:/etc/protocols",
        ]);
        output.WriteLine(result.Output);
        Assert.DoesNotContain("FAIL", result.Output);
        foreach (string step in new[] { "flock-conflict", "fcntl-v3-overlap", "v41-blocked-by-v3", "v3-blocked-by-v41", "v41-after-v3-release" })
        {
            Assert.Contains("PASS " + step, result.Output);
        }
        Assert.Equal(0, result.ExitCode);
    }
}
