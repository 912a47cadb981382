using System.Diagnostics;
using System.Diagnostics.Metrics;
using DittoFs.Server.Rpc;

namespace DittoFs.Server.Metrics;

/// <summary>
/// Metrics of the RPC layer (meter <c>DittoFs.Rpc</c>). Prometheus names, as
/// the OpenTelemetry exporter writes them:
/// <list type="bullet">
/// <item><c>dittofs_rpc_calls_total{program,version,procedure,status}</c></item>
/// <item><c>dittofs_rpc_duration_seconds{program,version,procedure}</c> (histogram, from the record read to the reply built)</item>
/// <item><c>dittofs_rpc_in_flight</c>, <c>dittofs_rpc_connections</c> (gauges), <c>dittofs_rpc_connections_opened_total</c></item>
/// <item><c>dittofs_rpc_received_bytes_total</c>, <c>dittofs_rpc_sent_bytes_total</c> (records on the wire)</item>
/// <item><c>dittofs_rpc_connections_refused_total{reason}</c> (over MaxConnections: <c>total</c>, over MaxConnectionsPerAddress: <c>per_address</c>),
/// <c>dittofs_rpc_connections_dropped_total{reason}</c> (closed by a deadline: <c>record_timeout</c>, <c>reply_timeout</c>, <c>idle_timeout</c>)</item>
/// <item><c>dittofs_rpc_reply_bytes</c> (reply bytes queued or expected, server-wide), <c>dittofs_rpc_reply_waits_total</c> (calls that waited for reply room),
/// <c>dittofs_rpc_buffer_pool_bytes</c> (large buffers kept for reuse)</item>
/// </list>
/// Label values are shared strings (<see cref="RpcNames"/>) and tags go in a
/// <see cref="TagList"/> on the stack: recording allocates nothing.
/// </summary>
internal sealed class RpcMetrics
{
    public const string MeterName = "DittoFs.Rpc";

    /// <summary>Bucket bounds for latencies, 50 µs to 10 s, roughly 1-2.5-5 per decade.</summary>
    public static readonly IReadOnlyList<double> LatencyBuckets =
    [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ];

    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _inFlight;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _connectionsOpened;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _replyWaits;
    private Func<long>? _replyBytes;

    public RpcMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(MeterName);
        _calls = meter.CreateCounter<long>("dittofs.rpc.calls", "{call}", "RPC calls answered, by program, version, procedure and status");
        _duration = meter.CreateHistogram("dittofs.rpc.duration", "s", "Time from a call's record read to its reply built",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _inFlight = meter.CreateUpDownCounter<long>("dittofs.rpc.in_flight", "{call}", "Calls being processed");
        _connections = meter.CreateUpDownCounter<long>("dittofs.rpc.connections", "{connection}", "Open RPC connections");
        _connectionsOpened = meter.CreateCounter<long>("dittofs.rpc.connections.opened", "{connection}", "RPC connections accepted");
        _received = meter.CreateCounter<long>("dittofs.rpc.received", "By", "RPC record bytes received (with record marks)");
        _sent = meter.CreateCounter<long>("dittofs.rpc.sent", "By", "RPC reply bytes sent (with record marks)");
        _refused = meter.CreateCounter<long>("dittofs.rpc.connections.refused", "{connection}", "RPC connections closed at once: over MaxConnections or MaxConnectionsPerAddress");
        _dropped = meter.CreateCounter<long>("dittofs.rpc.connections.dropped", "{connection}", "RPC connections closed by a deadline (record, reply or idle timeout)");
        _replyWaits = meter.CreateCounter<long>("dittofs.rpc.reply_waits", "{call}", "Calls that waited for reply room (backpressure)");
        meter.CreateObservableGauge("dittofs.rpc.reply_bytes", () => _replyBytes?.Invoke() ?? 0, "By", "Reply bytes queued or expected, all connections");
        meter.CreateObservableGauge("dittofs.rpc.buffer_pool", () => Buffers.BufferPool.Retained, "By", "Large record and reply buffers kept for reuse");
    }

    /// <summary>
    /// Makes every series without labels exist from the start (at 0), so
    /// dashboards and alerts see zero rather than no data. Call once the meter
    /// provider listens.
    /// </summary>
    public void Prime()
    {
        _inFlight.Add(0);
        _connections.Add(0);
        _connectionsOpened.Add(0);
        _received.Add(0);
        _sent.Add(0);
        _replyWaits.Add(0);
    }

    /// <summary>Where the reply-bytes gauge reads (the server-wide budget).</summary>
    public void ObserveReplyBytes(Func<long> read) => _replyBytes = read;

    public void ConnectionRefused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void ConnectionDropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void ReplyWait() => _replyWaits.Add(1);

    public void ConnectionOpened()
    {
        _connections.Add(1);
        _connectionsOpened.Add(1);
    }

    public void ConnectionClosed() => _connections.Add(-1);

    public void RecordReceived(int recordLength)
    {
        if (_received.Enabled) _received.Add(recordLength + 4);
    }

    public void RecordSent(int replyLength)
    {
        if (_sent.Enabled) _sent.Add(replyLength + 4);
    }

    public void CallStarted() => _inFlight.Add(1);

    /// <summary>Counts the call with the status its reply carries and records its latency since <paramref name="startTimestamp"/>.</summary>
    public void CallCompleted(RpcCall call, long startTimestamp)
    {
        _inFlight.Add(-1);
        if (!_calls.Enabled && !_duration.Enabled) return;
        ProcedureLabels labels = RpcNames.Of(call.Header.Program, call.Header.Version, call.Header.Procedure);
        var tags = new TagList
        {
            { "program", labels.Program },
            { "version", labels.Version },
            { "procedure", labels.Procedure },
        };
        if (_duration.Enabled) _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, in tags);
        if (_calls.Enabled)
        {
            tags.Add("status", RpcNames.StatusOf(labels, call.ReplyBuffer));
            _calls.Add(1, in tags);
        }
    }
}
