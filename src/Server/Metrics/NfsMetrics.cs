using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DittoFs.Server.Metrics;

/// <summary>
/// Metrics of the NFS operations (meter <c>DittoFs.Nfs</c>): each NFSv3
/// procedure and each NFSv4.1 operation inside a COMPOUND, by the name the RFC
/// gives it and the name of the status it answered. Prometheus names:
/// <list type="bullet">
/// <item><c>dittofs_nfs_operations_total{version,op,status,export}</c> (<c>op="OPEN"</c>, <c>status="NFS4ERR_GRACE"</c>, <c>export="/data"</c>)</item>
/// <item><c>dittofs_nfs_operation_duration_seconds{version,op,export}</c> (histogram)</item>
/// <item><c>dittofs_nfs_read_bytes_total{version,export}</c>, <c>dittofs_nfs_written_bytes_total{version,export}</c>: file data READ and WRITE moved</item>
/// <item><c>dittofs_nfs4_copy_bytes_total{mode}</c>: bytes NFSv4.2 COPY and CLONE did, <c>mode="clone"</c> by sharing the source's
/// block objects (nothing moved), <c>mode="copy"</c> by copying through the server (edges, unaligned ranges, unflushed blocks)</item>
/// </list>
/// Label values come from fixed tables (the operation tables, <see cref="NfsStatusNames"/>, the
/// export table: an export's path, "pseudo" for the NFSv4 pseudo-fs, "none" for no or a stale
/// handle), never from client input, and arrive as preallocated tag pairs: recording allocates nothing.
/// </summary>
internal sealed class NfsMetrics
{
    public const string MeterName = "DittoFs.Nfs";

    public static readonly KeyValuePair<string, object?> Version3 = new("version", "3");
    public static readonly KeyValuePair<string, object?> Version40 = new("version", "4.0");
    public static readonly KeyValuePair<string, object?> Version41 = new("version", "4.1");
    public static readonly KeyValuePair<string, object?> Version42 = new("version", "4.2");

    /// <summary>The label of an NFSv4 COMPOUND's minor version.</summary>
    public static KeyValuePair<string, object?> Version4(uint minor) => minor switch { 0 => Version40, 1 => Version41, _ => Version42 };

    /// <summary>No export: NULL, a bad or stale handle, an operation before PUTFH.</summary>
    public static readonly KeyValuePair<string, object?> ExportNone = new("export", "none");

    /// <summary>NFSv4's pseudo-fs above the exports.</summary>
    public static readonly KeyValuePair<string, object?> ExportPseudo = new("export", "pseudo");

    private readonly Counter<long> _operations;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _readBytes;
    private readonly Counter<long> _writtenBytes;
    private readonly Counter<long> _copyBytes;
    private static readonly KeyValuePair<string, object?> s_modeClone = new("mode", "clone");
    private static readonly KeyValuePair<string, object?> s_modeCopy = new("mode", "copy");

    public NfsMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(MeterName);
        _operations = meter.CreateCounter<long>("dittofs.nfs.operations", "{operation}", "NFS operations answered (NFSv4: each operation of a COMPOUND), by version, operation and status");
        _duration = meter.CreateHistogram("dittofs.nfs.operation.duration", "s", "Time an NFS operation took, by version and operation",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RpcMetrics.LatencyBuckets });
        _readBytes = meter.CreateCounter<long>("dittofs.nfs.read.bytes", "By", "File data returned by READ, by version and export");
        _writtenBytes = meter.CreateCounter<long>("dittofs.nfs.written.bytes", "By", "File data accepted by WRITE, by version and export");
        _copyBytes = meter.CreateCounter<long>("dittofs.nfs4.copy.bytes", "By", "Bytes NFSv4.2 COPY and CLONE did, by mode: clone (shared block objects) or copy (through the server)");
    }

    /// <summary>False while nobody listens: callers skip taking timestamps.</summary>
    public bool Enabled => _operations.Enabled || _duration.Enabled;

    public static KeyValuePair<string, object?> OpTag(string name) => new("op", name);

    public static KeyValuePair<string, object?> StatusTag(string name) => new("status", name);

    /// <summary>An export's label (made once per export, kept by it).</summary>
    public static KeyValuePair<string, object?> ExportTag(string path) => new("export", path);

    /// <summary>Counts one operation with its status and records its latency since <paramref name="startTimestamp"/>.</summary>
    public void OperationCompleted(
        in KeyValuePair<string, object?> version, in KeyValuePair<string, object?> op, in KeyValuePair<string, object?> status,
        in KeyValuePair<string, object?> export, long startTimestamp)
    {
        var tags = new TagList { version, op, export };
        if (_duration.Enabled) _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, in tags);
        if (_operations.Enabled)
        {
            tags.Add(status);
            _operations.Add(1, in tags);
        }
    }

    /// <summary>Bytes a READ returned from an export's files.</summary>
    public void DataRead(in KeyValuePair<string, object?> version, in KeyValuePair<string, object?> export, long bytes)
    {
        if (_readBytes.Enabled) _readBytes.Add(bytes, version, export);
    }

    /// <summary>Bytes a COPY or CLONE did: <paramref name="shared"/> by sharing block objects, <paramref name="copied"/> through the server.</summary>
    public void Copied(ulong shared, ulong copied)
    {
        if (!_copyBytes.Enabled) return;
        if (shared > 0) _copyBytes.Add((long)shared, s_modeClone);
        if (copied > 0) _copyBytes.Add((long)copied, s_modeCopy);
    }

    /// <summary>Bytes a WRITE wrote to an export's files.</summary>
    public void DataWritten(in KeyValuePair<string, object?> version, in KeyValuePair<string, object?> export, long bytes)
    {
        if (_writtenBytes.Enabled) _writtenBytes.Add(bytes, version, export);
    }
}
