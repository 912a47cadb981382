namespace DittoFs.Server;

/// <summary>The server's own start-up and shutdown lines: what an operator needs to see once, in one line each.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information,
        "DittoFs {Version} serving: data {DataDirectory}, metadata {MetadataStore}, payload {PayloadStore}{Bucket}; " +
        "RPC (NFS, MOUNT, portmap) on {Address} ports {RpcPorts}, HTTP (/metrics, /readyz, /admin) on {HttpPort}; exports {Exports}; " +
        "limits: {MaxConnections} connections, {MaxConcurrentCalls} calls, record {MaxRecordSize} bytes")]
    public static partial void Serving(ILogger logger, string? version, string dataDirectory, string metadataStore, string payloadStore, string bucket,
        string address, string rpcPorts, string httpPort, string exports, int maxConnections, int maxConcurrentCalls, int maxRecordSize);

    [LoggerMessage(2, LogLevel.Information, "DittoFs stopped cleanly in {Seconds:0.0} s: metadata checkpointed; left dirty (not yet in the bucket): {Blocks} blocks, {Bytes} bytes")]
    public static partial void Stopped(ILogger logger, double seconds, long blocks, long bytes);
}
