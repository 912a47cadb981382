using System.Net;
using DittoFs.Server.Metrics;
using DittoFs.Server.Rpc;
using DittoFs.Storage.Diagnostics;
using DittoFs.Xdr;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>Records one measurement on every instrument DittoFs defines (through their public recording methods).</summary>
internal sealed class MetricsSamples : IDisposable
{
    private sealed class FakeConnection : IRpcConnection
    {
        public IPEndPoint? RemoteEndPoint => null;
        public int LocalPort => 2049;
        public string ConnectionId => "test";
    }

    private readonly RpcMetrics _rpc;
    private readonly StorageMetrics _storage;
    private readonly NfsMetrics? _nfs;
    private static readonly KeyValuePair<string, object?> s_open = NfsMetrics.OpTag("OPEN");
    private static readonly KeyValuePair<string, object?> s_lookup = NfsMetrics.OpTag("LOOKUP");

    public MetricsSamples(RpcMetrics rpc, StorageMetrics storage, NfsMetrics? nfs = null)
    {
        _rpc = rpc;
        _storage = storage;
        _nfs = nfs;
        var header = new CallHeader { Xid = 1, Program = RpcPrograms.Nfs, Version = 3, Procedure = 3 };
        Call = new RpcCall(new byte[64], 64, header, new FakeConnection());
        XdrWriter writer = Call.BeginSuccess();
        writer.WriteInt32(2); // NFS3ERR_NOENT
        writer.Flush();
    }

    /// <summary>An NFSv3 LOOKUP call answered NOENT.</summary>
    public RpcCall Call { get; }

    public void RecordEverything()
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        _rpc.RecordReceived(100);
        _rpc.CallStarted();
        _rpc.CallCompleted(Call, now);
        _rpc.RecordSent(100);
        _rpc.ConnectionOpened();
        _rpc.ConnectionClosed();
        _rpc.ConnectionRefused("per_address");
        _rpc.ConnectionDropped("idle_timeout");
        _rpc.ReplyWait();
        _nfs?.OperationCompleted(NfsMetrics.Version41, s_open, NfsStatusNames.Nfs4(10013), NfsMetrics.ExportTag("/export"), now); // NFS4ERR_GRACE
        _nfs?.OperationCompleted(NfsMetrics.Version3, s_lookup, NfsStatusNames.Nfs3(2), NfsMetrics.ExportNone, now);     // NFS3ERR_NOENT
        _nfs?.DataRead(NfsMetrics.Version3, NfsMetrics.ExportTag("/export"), 4096);
        _nfs?.DataWritten(NfsMetrics.Version41, NfsMetrics.ExportTag("/export"), 4096);
        _storage.FileRead(4096);
        _storage.FileWritten(4096);
        _storage.WalCommitted(3, 4, now);
        _storage.FsyncRound(2, now);
        _storage.CheckpointTaken(full: false, now);
        _storage.CheckpointFailed();
        _storage.CacheHit();
        _storage.CacheMiss();
        _storage.CacheSizeChanged(4096);
        _storage.CacheDirtyChanged(4096);
        _storage.CacheEvicted(4096);
        _storage.ReadAhead(ReadAheadResult.Hit);
        _storage.FlushQueueChanged(1, 4096);
        _storage.BlockUploaded(4096);
        _storage.S3Request(S3Operation.Put, now);
        _storage.S3Request(S3Operation.Get, now, failed: true);
    }

    public void Dispose() => Call.Dispose();
}
