using System.Text.Json;
using System.Text.Json.Serialization;

namespace DittoFs.LoadGen;

/// <summary>One run of all chosen workloads against one system over one protocol (one JSON file).</summary>
public sealed class RunResult
{
    public string Tool { get; set; } = "dittofs-loadgen";
    public string System { get; set; } = "";
    public string Protocol { get; set; } = "";
    public string Host { get; set; } = "";
    public int Threads { get; set; }
    public int BlockSize { get; set; }
    public long FileSize { get; set; }
    public double DurationCapSec { get; set; }
    public double WarmupSec { get; set; }
    public int MetadataFilesPerThread { get; set; }
    public int SmallFiles { get; set; }
    public DateTime StartedUtc { get; set; }
    public MachineInfo Machine { get; set; } = MachineInfo.Current();
    public List<WorkloadResult> Workloads { get; set; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunResult FromJson(string json) => JsonSerializer.Deserialize<RunResult>(json, Json) ?? throw new InvalidDataException("empty result");
}

/// <summary>
/// One workload's numbers. Ops and latencies count only the measured window (after the warm-up):
/// opsPerSec = totalOps / durationSec; mbPerSec = bytes moved in the window / 1e6 / durationSec
/// (seq-* and rand-* only, 0 otherwise); p50/p95/p99 are nearest-rank percentiles of every op's
/// latency in ms, retries included. errors: ops that failed (any status but OK after retries, or
/// an RPC failure), over the whole run including the warm-up; retries: JUKEBOX/DELAY answers
/// retried; verifyFailures: reads whose data (or stat whose size) did not match what was written.
/// </summary>
public sealed class WorkloadResult
{
    public string Workload { get; set; } = "";
    public double OpsPerSec { get; set; }
    public double MbPerSec { get; set; }
    public double P50Ms { get; set; }
    public double P95Ms { get; set; }
    public double P99Ms { get; set; }
    public double MeanMs { get; set; }
    public double MaxMs { get; set; }
    public long TotalOps { get; set; }
    public long Errors { get; set; }
    public long Retries { get; set; }
    public long VerifyFailures { get; set; }
    public double DurationSec { get; set; }
    /// <summary>Ops done during the warm-up (not in totalOps or the latencies).</summary>
    public long WarmupOps { get; set; }
    /// <summary>seq-write / rand-write: the slowest thread's final COMMIT, ms (not in the op latencies).</summary>
    public double CommitMs { get; set; }
    public bool TruncatedByCap { get; set; }
    /// <summary>CPU time of the load generator process per op (µs), warm-up and preparation included: the client's own cost.</summary>
    public double ClientCpuUsPerOp { get; set; }
    /// <summary>True when the workload ended inside the warm-up and was measured whole.</summary>
    public bool WarmupIncluded { get; set; }
    public string? FirstError { get; set; }
    /// <summary>
    /// With --metrics: S3 requests by operation (and "uploaded_bytes") from the workload's start until its
    /// uploads settled, preparation and warm-up included; s3RequestsPer1000Ops divides the requests by
    /// every op the workload made (warm-up included): the request cost of a real bucket.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, long>? S3Requests { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? S3RequestsPer1000Ops { get; set; }
    /// <summary>metadata / small-files: the measured ops and latencies of each step.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<StepResult>? Steps { get; set; }
}

public sealed class StepResult
{
    public string Step { get; set; } = "";
    public long Ops { get; set; }
    public double P50Ms { get; set; }
    public double P99Ms { get; set; }
    public double MeanMs { get; set; }
}

public sealed class MachineInfo
{
    public string Hostname { get; set; } = "";
    public int Cores { get; set; }
    public string Os { get; set; } = "";
    public string Cpu { get; set; } = "";
    public long MemoryBytes { get; set; }
    public string Runtime { get; set; } = "";

    public static MachineInfo Current()
    {
        string cpu = "";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return new MachineInfo
        {
            Hostname = Environment.MachineName,
            Cores = Environment.ProcessorCount,
            Os = global::System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            Cpu = cpu,
            MemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            Runtime = global::System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        };
    }
}
