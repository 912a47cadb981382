using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Server.Tests.Protocol.Nfs4;
using Xunit;

namespace DittoFs.Server.Tests.Metrics;

/// <summary>
/// Each NFSv4.1 operation inside a COMPOUND, and each NFSv3 procedure, is counted on /metrics
/// with its RFC name and the RFC name of the status it answered (not <c>compound</c>/<c>error</c>).
/// </summary>
public sealed class NfsOperationMetricsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Operations = "dittofs_nfs_operations_total";
    private const string DurationCount = "dittofs_nfs_operation_duration_seconds_count";

    private static double Delta(PrometheusText before, PrometheusText after, string name, params string[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);

    [Fact]
    public async Task EachOperationInsideACompoundIsCountedWithItsStatus()
    {
        int http = fixture.Server.HttpPort;
        using var client = new Nfs4TestClient(fixture.Server.NfsPort);
        client.Establish("metrics-" + Guid.NewGuid().ToString("N")[..10]);
        PrometheusText before = await PrometheusText.ScrapeAsync(http);

        // SEQUENCE, PUTROOTFH, LOOKUP export, OPEN of a name that does not exist, without create.
        CompoundReply reply = client.Compound(4, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, "owner", "missing-" + Guid.NewGuid().ToString("N"), access: 1, create: false);
        });
        Assert.Equal(Nfs4Status.NoEnt, reply.Status);
        Assert.Equal(4, reply.Count);
        // An operation number no minor version defines: OP_ILLEGAL, labelled ILLEGAL whatever the number.
        CompoundReply illegal = client.Compound(2, b =>
        {
            client.Sequence(b);
            b.UInt32(4_000_000);
        });
        Assert.Equal(Nfs4Status.OpIllegal, illegal.Status);

        PrometheusText after = await PrometheusText.ScrapeAsync(http);
        Assert.Equal(1, Delta(before, after, Operations, "version=4.1", "op=OPEN", "status=NFS4ERR_NOENT"));
        Assert.Equal(1, Delta(before, after, Operations, "version=4.1", "op=PUTROOTFH", "status=NFS4_OK"));
        Assert.Equal(1, Delta(before, after, Operations, "version=4.1", "op=LOOKUP", "status=NFS4_OK"));
        Assert.Equal(2, Delta(before, after, Operations, "version=4.1", "op=SEQUENCE", "status=NFS4_OK"));
        Assert.Equal(1, Delta(before, after, Operations, "version=4.1", "op=ILLEGAL", "status=NFS4ERR_OP_ILLEGAL"));
        Assert.Equal(1, Delta(before, after, DurationCount, "version=4.1", "op=OPEN"));
        // The RPC layer still counts the COMPOUND itself, once per call.
        Assert.Equal(2, Delta(before, after, "dittofs_rpc_calls_total", "version=4", "procedure=compound"));
        // ... with its nfsstat4 named after RFC 8881 (OP_ILLEGAL is not an nfsstat3: it used to read "error").
        Assert.Equal(1, Delta(before, after, "dittofs_rpc_calls_total", "version=4", "procedure=compound", "status=op_illegal"));
        Assert.Equal(1, Delta(before, after, "dittofs_rpc_calls_total", "version=4", "procedure=compound", "status=noent"));
        // Label values come from the tables only.
        var names = Nfs4Program.Operations.Select(o => o.Name).Append("ILLEGAL").ToHashSet();
        var statuses = DittoFs.Server.Metrics.NfsStatusNames.Nfs4Names.ToHashSet();
        foreach (PromSample s in after.Samples.Where(s => s.Name == Operations && s.Labels["version"] == "4.1"))
        {
            Assert.Contains(s.Labels["op"], names);
            Assert.Contains(s.Labels["status"], statuses);
        }
    }

    [Fact]
    public async Task Nfs3ProceduresAreCountedWithNfsstat3Names()
    {
        int http = fixture.Server.HttpPort;
        using var client = new Nfs3Client(fixture.Server.NfsPort);
        byte[] root = client.Mount();
        PrometheusText before = await PrometheusText.ScrapeAsync(http);
        Assert.Equal(Nfs3Status.NoEnt, client.Lookup(root, "no-such-" + Guid.NewGuid().ToString("N")).Status);
        Assert.Equal(Nfs3Status.Ok, client.GetAttr(root).Status);
        Assert.Equal(Nfs3Status.Ok, client.GetAttr(root).Status);
        PrometheusText after = await PrometheusText.ScrapeAsync(http);

        Assert.Equal(1, Delta(before, after, Operations, "version=3", "op=LOOKUP", "status=NFS3ERR_NOENT"));
        Assert.Equal(2, Delta(before, after, Operations, "version=3", "op=GETATTR", "status=NFS3_OK"));
        Assert.Equal(1, Delta(before, after, DurationCount, "version=3", "op=LOOKUP"));
    }

    [Fact]
    public async Task OperationsAndFileBytesAreLabelledWithTheirExport()
    {
        int http = fixture.Server.HttpPort;
        using var client = new Nfs3Client(fixture.Server.NfsPort);
        byte[] root = client.Mount();
        byte[] file = client.CreateFile(root, "per-export-" + Guid.NewGuid().ToString("N")[..10]);
        using var v4 = new Nfs4TestClient(fixture.Server.NfsPort);
        v4.Establish("per-export-" + Guid.NewGuid().ToString("N")[..10]);
        PrometheusText before = await PrometheusText.ScrapeAsync(http);

        Assert.Equal(Nfs3Status.Ok, client.Write(file, 0, new byte[1000], DittoFs.Server.Protocol.Nfs3.StableHow.FileSync).Status);
        Assert.Equal(Nfs3Status.Ok, client.Read(file, 0, 600).Status);
        // A handle that is not ours has no export.
        Assert.Equal(Nfs3Status.BadHandle, client.GetAttr(new byte[] { 1, 2, 3 }).Status);
        // NFSv4: PUTROOTFH is on the pseudo-fs, LOOKUP of the export lands in it.
        CompoundReply reply = v4.Compound(3, b =>
        {
            v4.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        PrometheusText after = await PrometheusText.ScrapeAsync(http);

        Assert.Equal(1, Delta(before, after, Operations, "version=3", "op=WRITE", "status=NFS3_OK", "export=/export"));
        Assert.Equal(1, Delta(before, after, Operations, "version=3", "op=READ", "status=NFS3_OK", "export=/export"));
        Assert.Equal(1, Delta(before, after, DurationCount, "version=3", "op=WRITE", "export=/export"));
        Assert.Equal(1, Delta(before, after, Operations, "version=3", "op=GETATTR", "status=NFS3ERR_BADHANDLE", "export=none"));
        Assert.Equal(1000, Delta(before, after, "dittofs_nfs_written_bytes_total", "version=3", "export=/export"));
        Assert.Equal(600, Delta(before, after, "dittofs_nfs_read_bytes_total", "version=3", "export=/export"));
        Assert.Equal(1, Delta(before, after, Operations, "version=4.1", "op=PUTROOTFH", "export=pseudo"));
        Assert.Equal(1, Delta(before, after, Operations, "version=4.1", "op=LOOKUP", "export=/export"));
        Assert.Equal(1, Delta(before, after, Operations, "version=4.1", "op=SEQUENCE", "export=none"));
        // Bounded: only the export table's paths, "pseudo" and "none".
        Assert.All(after.Samples.Where(x => x.Name == Operations), x => Assert.Contains(x.Labels["export"], new[] { "/export", "pseudo", "none" }));
    }
}
