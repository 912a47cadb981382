using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nlm;
using DittoFs.Server.Protocol.Nsm;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Server.Tests.Protocol.Nfs4;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nlm;

/// <summary>After a restart (SIGKILL) the hosts that held locks are sent SM_NOTIFY, and only reclaims are granted during grace (NFSv4 locks wait too).</summary>
public sealed class NlmGraceTests
{
    [Fact]
    public void AfterARestartHoldersAreNotifiedAndOnlyReclaimsAreGrantedDuringGrace()
    {
        using var host = new FakeClientHost();
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nlm:ClientPortmapPort"] = host.Port.ToString() });
        server.Start();
        byte[] fh;
        using (var v3 = new Nfs3Client(server.NfsPort))
        {
            Create3Res created = v3.Create(v3.Mount(), "graced");
            Assert.Equal(Nfs3Status.Ok, created.Status);
            fh = created.ResOk.Obj.Handle!.Value.Data.ToArray();
        }
        using (var a = new NlmTestClient(server.NfsPort, "host-grace"))
        {
            Assert.Equal(Nlm4Status.Granted, a.Lock(fh, svid: 1, offset: 0, length: 10));
        }
        // The monitored host is written in the background: wait for it before the kill.
        string hosts = Path.Combine(server.DataDirectory, "data", "nlm", "hosts");
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!(File.Exists(hosts) && File.ReadAllText(hosts).Contains("host-grace", StringComparison.Ordinal)) && DateTime.UtcNow < until) Thread.Sleep(50);
        Assert.Contains("host-grace@127.0.0.1 127.0.0.1", File.ReadAllText(hosts));

        server.Kill();
        server.Start();

        byte[]? notify = host.WaitFor(NlmTestClient.NsmProgram, (uint)NsmProcedure.Notify, TimeSpan.FromSeconds(30));
        Assert.NotNull(notify);
        var reader = new DittoFs.Xdr.XdrReader(notify);
        SmStatChange change = SmStatChange.Decode(ref reader);
        Assert.Equal(3, change.State); // 1 for the first start, 3 after the restart
        Assert.NotEqual(0, change.MonName.Length);

        using var again = new NlmTestClient(server.NfsPort, "host-grace");
        using var other = new NlmTestClient(server.NfsPort, "host-new");
        Assert.Equal(Nlm4Status.DeniedGracePeriod, other.Lock(fh, svid: 5, offset: 100, length: 1));
        Assert.Equal(Nlm4Status.DeniedGracePeriod, other.Test(fh, svid: 5).Reply.Status);
        Assert.Equal(Nlm4Status.Granted, again.Lock(fh, svid: 1, offset: 0, length: 10, reclaim: true));
        Assert.Equal(Nlm4Status.Denied, other.Lock(fh, svid: 5, offset: 5, length: 1, reclaim: true)); // a reclaim does not take what another holds

        // One grace for both protocols: an NFSv4.1 client (none held state before the restart) opens, but its LOCK waits too.
        using var v4 = new Nfs4TestClient(server.NfsPort);
        v4.Establish("nlm-grace-v4");
        var (handle, stateid) = Nfs4LeaseAndGraceTests.OpenResult(Nfs4LeaseAndGraceTests.OpenIn(v4, "o", "graced", create: false));
        Assert.Equal(Nfs4Status.Grace, NlmTests.V4Lock(v4, handle, stateid, 100, 1));
    }
}
