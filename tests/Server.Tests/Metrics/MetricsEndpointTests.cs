using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Metrics;

/// <summary>NFS traffic against the real server moves the counters and histograms on /metrics by exactly what was sent.</summary>
public sealed class MetricsEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Calls = "dittofs_rpc_calls_total";
    private const string DurationCount = "dittofs_rpc_duration_seconds_count";
    private const string DurationBucket = "dittofs_rpc_duration_seconds_bucket";

    [Fact]
    public async Task NfsTrafficMovesCountersAndHistograms()
    {
        int http = fixture.Server.HttpPort;
        PrometheusText before = await PrometheusText.ScrapeAsync(http);

        const int getattrs = 25;
        byte[] payload = new byte[10_000];
        Random.Shared.NextBytes(payload);
        using (var client = new Nfs3Client(fixture.Server.NfsPort))
        {
            byte[] root = client.Mount();
            for (int i = 0; i < getattrs; i++) Assert.Equal(Nfs3Status.Ok, client.GetAttr(root).Status);
            Assert.Equal(Nfs3Status.NoEnt, client.Lookup(root, "no-such-file-" + Guid.NewGuid().ToString("N")).Status);
            byte[] file = client.CreateFile(root, "metrics-" + Guid.NewGuid().ToString("N"));
            Assert.Equal(Nfs3Status.Ok, client.Write(file, 0, payload, StableHow.FileSync).Status);
            Read3Res read = client.Read(file, 0, (uint)payload.Length);
            Assert.Equal(Nfs3Status.Ok, read.Status);
            Assert.Equal(payload.Length, (int)read.ResOk.Count);
            // A procedure NFSv3 does not have: PROC_UNAVAIL, counted with its status.
            RpcReply unavailable = client.Rpc.Call(Nfs3Client.NfsProgram, 3, 99);
            Assert.Equal(3, unavailable.Status);

            PrometheusText during = await PrometheusText.ScrapeAsync(http);
            Assert.True(during.Sum("dittofs_rpc_connections") >= 1, "an open connection is counted");
        }

        PrometheusText after = await PrometheusText.ScrapeAsync(http);
        double Delta(string name, params string[] labels) => after.Sum(name, labels) - before.Sum(name, labels);

        string[] getattr = ["program=nfs", "version=3", "procedure=getattr"];
        Assert.Equal(getattrs, Delta(Calls, [.. getattr, "status=ok"]));
        Assert.Equal(getattrs, Delta(DurationCount, getattr));
        Assert.Equal(getattrs, Delta(DurationBucket, [.. getattr, "le=+Inf"]));
        Assert.True(Delta("dittofs_rpc_duration_seconds_sum", getattr) > 0);
        // Every getattr took less than 10 s and more than nothing: the buckets in between hold them.
        Assert.Equal(getattrs, Delta(DurationBucket, [.. getattr, "le=10"]));

        Assert.Equal(1, Delta(Calls, "program=nfs", "procedure=lookup", "status=noent"));
        Assert.Equal(1, Delta(Calls, "program=nfs", "procedure=create", "status=ok"));
        Assert.Equal(1, Delta(Calls, "program=nfs", "procedure=write", "status=ok"));
        Assert.Equal(1, Delta(Calls, "program=nfs", "procedure=read", "status=ok"));
        Assert.Equal(1, Delta(Calls, "program=nfs", "procedure=unknown", "status=proc_unavail"));
        Assert.Equal(1, Delta(Calls, "program=mount", "version=3", "procedure=mnt", "status=ok"));
        Assert.Equal(getattrs + 6, Delta(Calls));

        Assert.Equal(payload.Length, Delta("dittofs_fs_written_bytes_total"));
        Assert.Equal(payload.Length, Delta("dittofs_fs_read_bytes_total"));
        Assert.True(Delta("dittofs_rpc_received_bytes_total") > payload.Length, "the WRITE's record was counted");
        Assert.True(Delta("dittofs_rpc_sent_bytes_total") > payload.Length, "the READ's reply was counted");
        Assert.Equal(1, Delta("dittofs_rpc_connections_opened_total"));
        Assert.Equal(0, after.Sum("dittofs_rpc_in_flight"));
        // CREATE and the FILE_SYNC WRITE wait for the WAL: at least one group commit, batch sizes recorded with it.
        Assert.True(Delta("dittofs_wal_commits_total") >= 1);
        Assert.Equal(Delta("dittofs_wal_commits_total"), Delta("dittofs_wal_commit_batch_size_count"));
        Assert.True(Delta("dittofs_payload_fsync_batch_size_count") >= 1, "the FILE_SYNC write fsynced its block");
        Assert.True(after.Sum("dittofs_metadata_log_size_bytes") > 0);
        Assert.True(after.Has("dotnet_gc_collections_total") || after.Has("dotnet_gc_heap_total_allocated_bytes_total"), "runtime metrics are exported");
        Assert.True(after.Has("dotnet_thread_pool_thread_count"), "thread pool metrics are exported");
    }
}
