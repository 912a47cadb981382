using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>
/// The Linux kernel NFSv3 client with locks (no `nolock`) against NLM, beside an NFSv4.1 mount of the same export.
/// The kernel's NLM client asks port 111 of the server for NLM's port (slirp maps the guest's 10.0.2.2:111 to this
/// host's loopback): the server's own portmapper serves it, or a host rpcbind there has NLM registered, and the guest needs rpcbind and rpc.statd (copied in with --bin)
/// with /etc/services and /etc/protocols, without which the guest's statd never answers its lockd's SM_MON.
/// One guest with two processes, then two guests.
/// </summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientNlmTests(ITestOutputHelper output)
{
    [KernelClientFact]
    public void FlockAndFcntlConflictOverNfs3AndAgainstNfs41()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using NlmServer nlm = NlmServer.Start();
        KernelClient.Result result = KernelClient.Run(harness, nlm.Server, "4.1", KernelClient.E2e("nlm-v3-locks.sh"), nlm.GuestArgs());
        output.WriteLine(result.Output);
        Assert.DoesNotContain("FAIL", result.Output);
        foreach (string step in new[] { "flock-conflict", "fcntl-v3-overlap", "v41-blocked-by-v3", "v3-blocked-by-v41", "v41-after-v3-release" })
        {
            Assert.Contains("PASS " + step, result.Output);
        }
        Assert.Equal(0, result.ExitCode);
    }

    /// <summary>
    /// Two guests, each with its own hostname (its lockd's caller_name), mount the export over v3 with `lock` and run
    /// the two-client lock test of the NFSv4 guests: a guest's fcntl range and flock refuse the other's conflicting
    /// ones (F_GETLK sees the holder), a disjoint range is granted, and both are granted after the holder lets go.
    /// </summary>
    [KernelClientFact]
    public async Task TwoGuestsConflictingFcntlAndFlockLocksOverNfs3()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        using NlmServer nlm = NlmServer.Start();
        string script = KernelClient.E2e("nlm-two-guests.sh");
        var holder = Task.Run(() => KernelClient.Run(harness, nlm.Server, "4.1", script, nlm.GuestArgs("ROLE=holder"), timeoutSeconds: 400));
        var contender = Task.Run(() => KernelClient.Run(harness, nlm.Server, "4.1", script, nlm.GuestArgs("ROLE=contender"), timeoutSeconds: 400));
        KernelClient.Result h = await holder;
        KernelClient.Result c = await contender;
        output.WriteLine("--- holder\n" + h.Output);
        output.WriteLine("--- contender\n" + c.Output);
        Assert.DoesNotContain("FAIL", h.Output);
        Assert.DoesNotContain("FAIL", c.Output);
        Assert.Contains("locks: 7 passed, 0 failed", c.Output);
        Assert.Equal(0, h.ExitCode);
        Assert.Equal(0, c.ExitCode);
    }

    /// <summary>
    /// A server a guest's lockd can find: its own portmapper on port 111 where that port is free, else NLM registered
    /// with this host's rpcbind there; and the guest arguments for rpcbind, rpc.statd, plock, flock and the e2e scripts.
    /// </summary>
    private sealed class NlmServer : IDisposable
    {
        private readonly HostRpcbind? _registered;
        private readonly string _plock;

        private NlmServer(ServerProcess server, HostRpcbind? registered, string plock) => (Server, _registered, _plock) = (server, registered, plock);

        public ServerProcess Server { get; }

        public static NlmServer Start()
        {
            string plock = KernelClient.BuildGuestTool("plock");
            bool own111 = HostRpcbind.PortFree();
            var server = new ServerProcess(settings: own111 ? new Dictionary<string, string> { ["DittoFs:PortmapPort"] = "111" } : null);
            server.Start();
            return new NlmServer(server, own111 ? null : new HostRpcbind(server.NfsPort, (100021, 4)), plock);
        }

        /// <summary>The harness arguments; each of <paramref name="env"/> (K=V) exported to the guest script.</summary>
        public string[] GuestArgs(params string[] env) =>
        [
            "--env", $"NFS_PORT={Server.NfsPort}", "--env", $"MOUNT_PORT={Server.MountPort}", "--env", "PLOCK=" + _plock,
            .. env.SelectMany(e => new[] { "--env", e }),
            "--bin", _plock, "--bin", "/usr/sbin/rpcbind", "--bin", "/usr/sbin/rpc.statd", "--bin", "/usr/bin/flock",
            "--copy", "/etc/netconfig:/etc/netconfig", "--copy", "/etc/services:/etc/services", "--copy", "/etc/protocols:/etc/protocols",
            "--copy", Path.GetDirectoryName(KernelClient.E2e("nlm-setup.sh"))! + ":/e2e",
        ];

        public void Dispose()
        {
            _registered?.Dispose();
            Server.Dispose();
        }
    }
}
