using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DittoFs.Server.Metrics;

/// <summary>
/// Metrics of the NFS operations (meter <c>DittoFs.Nfs</c>): each NFSv3
/// procedure and each NFSv4.1 operation inside a COMPOUND, by the name the RFC
/// gives it and the name of the status it answered. Prometheus names:
/// <list type="bullet">
/// <item><c>dittofs_nfs_operations_total{version,op,status}</c> (<c>op="OPEN"</c>, <c>status="NFS4ERR_GRACE"</c>)</item>
/// <item><c>dittofs_nfs_operation_duration_seconds{version,op}</c> (histogram)</item>
/// </list>
/// Label values come from fixed tables (the operation tables, <see cref="NfsStatusNames"/>),
/// never from client input, and arrive as preallocated tag pairs: recording allocates nothing.
/// </summary>
internal sealed class NfsMetrics
{
    public const string MeterName = "DittoFs.Nfs";

    public static readonly KeyValuePair<string, object?> Version3 = new("version", "3");
    public static readonly KeyValuePair<string, object?> Version41 = new("version", "4.1");

    private readonly Counter<long> _operations;
    private readonly Histogram<double> _duration;

    public NfsMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(MeterName);
        _operations = meter.CreateCounter<long>("dittofs.nfs.operations", "{operation}", "NFS operations answered (NFSv4: each operation of a COMPOUND), by version, operation and status");
        _duration = meter.CreateHistogram("dittofs.nfs.operation.duration", "s", "Time an NFS operation took, by version and operation",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RpcMetrics.LatencyBuckets });
    }

    /// <summary>False while nobody listens: callers skip taking timestamps.</summary>
    public bool Enabled => _operations.Enabled || _duration.Enabled;

    public static KeyValuePair<string, object?> OpTag(string name) => new("op", name);

    public static KeyValuePair<string, object?> StatusTag(string name) => new("status", name);

    /// <summary>Counts one operation with its status and records its latency since <paramref name="startTimestamp"/>.</summary>
    public void OperationCompleted(
        in KeyValuePair<string, object?> version, in KeyValuePair<string, object?> op, in KeyValuePair<string, object?> status, long startTimestamp)
    {
        var tags = new TagList { version, op };
        if (_duration.Enabled) _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, in tags);
        if (_operations.Enabled)
        {
            tags.Add(status);
            _operations.Add(1, in tags);
        }
    }
}
