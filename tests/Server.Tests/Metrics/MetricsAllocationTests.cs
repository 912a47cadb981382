using System.Net;
using DittoFs.Server.Metrics;
using DittoFs.Server.Rpc;
using DittoFs.Storage.Diagnostics;
using DittoFs.Xdr;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Xunit;

namespace DittoFs.Server.Tests.Metrics;

/// <summary>Recording on the hot path allocates nothing, with the real OpenTelemetry SDK listening.</summary>
public sealed class MetricsAllocationTests
{
    private sealed class FakeConnection : IRpcConnection
    {
        public IPEndPoint? RemoteEndPoint => null;
        public int LocalPort => 2049;
        public string ConnectionId => "test";
    }

    [Fact]
    public void RecordingAllocatesNothing()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddDittoFsTelemetry();
        using ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<MeterProvider>();
        var rpc = provider.GetRequiredService<RpcMetrics>();
        var storage = provider.GetRequiredService<StorageMetrics>();

        var header = new CallHeader { Xid = 1, Program = RpcPrograms.Nfs, Version = 3, Procedure = 3 };
        using var call = new RpcCall(new byte[64], 64, header, new FakeConnection());
        XdrWriter writer = call.BeginSuccess();
        writer.WriteInt32(2); // NFS3ERR_NOENT
        writer.Flush();
        Assert.Equal("noent", RpcNames.StatusOf(RpcNames.Of(RpcPrograms.Nfs, 3, 3), call.ReplyBuffer));

        void RecordEverything()
        {
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            rpc.RecordReceived(100);
            rpc.CallStarted();
            rpc.CallCompleted(call, now);
            rpc.RecordSent(100);
            storage.FileRead(4096);
            storage.FileWritten(4096);
            storage.WalCommitted(3, now);
            storage.FsyncRound(2, now);
            storage.CheckpointTaken(full: false, now);
            storage.CacheHit();
            storage.CacheMiss();
            storage.CacheSizeChanged(4096);
            storage.CacheDirtyChanged(4096);
            storage.CacheEvicted(4096);
            storage.FlushQueueChanged(1, 4096);
            storage.BlockUploaded(4096);
            storage.S3Request(S3Operation.Put, now);
            storage.S3Request(S3Operation.Get, now, failed: true);
        }

        // The SDK listens: the instruments are enabled, so recording does the real work.
        foreach (string field in new[] { "_calls", "_duration" })
        {
            var instrument = (System.Diagnostics.Metrics.Instrument)typeof(RpcMetrics)
                .GetField(field, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(rpc)!;
            Assert.True(instrument.Enabled, field);
        }

        for (int i = 0; i < 100; i++) RecordEverything(); // first measurements create the metric points
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) RecordEverything();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
