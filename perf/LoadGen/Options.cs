using System.Globalization;

namespace DittoFs.LoadGen;

public sealed class Options
{
    public static readonly string[] AllWorkloads = ["seq-write", "seq-read", "rand-write", "rand-read", "metadata", "small-files"];

    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 2049;
    public int MountPort { get; set; } = 2049;
    /// <summary>"v3" or "v41".</summary>
    public string Protocol { get; set; } = "v3";
    public string Export { get; set; } = "/export";
    public int Threads { get; set; } = 4;
    public double DurationSec { get; set; } = 20;
    public double WarmupSec { get; set; } = 1;
    public long FileSize { get; set; } = 256L << 20;
    public int BlockSize { get; set; } = 4096;
    public int MetadataFiles { get; set; } = 1000;
    public int SmallFiles { get; set; } = 10_000;
    public int SmallMin { get; set; } = 1024;
    public int SmallMax { get; set; } = 32 * 1024;
    public List<string> Workloads { get; set; } = [.. AllWorkloads];
    public string System { get; set; } = "unknown";
    public string? Out { get; set; }
    public ulong Seed { get; set; } = 0x5EED;
    public int RetrySleepMs { get; set; } = 10;
    public bool Verify { get; set; } = true;
    /// <summary>A DittoFs server's /metrics: each workload records the S3 requests it caused.</summary>
    public string? MetricsUrl { get; set; }

    public const string Usage = """
        dittofs-loadgen [run] --host H --port P [--mount-port P] --protocol v3|v41 [--export /export]
                        [--threads 4] [--duration 20] [--warmup 1] [--file-size 256M] [--block-size 4K]
                        [--metadata-files 1000] [--small-files 10000] [--small-min 1K] [--small-max 32K]
                        [--workloads all|seq-write,seq-read,rand-write,rand-read,metadata,small-files]
                        [--system NAME] [--out FILE.json] [--seed N] [--retry-sleep-ms 10] [--no-verify]
                        [--metrics http://HOST:HTTP/metrics]  (DittoFs: S3 requests per workload)
        dittofs-loadgen report --dir perf/results/ROUND [--baseline ganesha]
            PNG charts (one per workload + summary-ratio.png) and summary.md from the *.json in DIR.
        """;

    public static Options Parse(IReadOnlyList<string> args)
    {
        var o = new Options();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            switch (a)
            {
                case "--host": o.Host = Next(); break;
                case "--port": o.Port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--mount-port": o.MountPort = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--protocol":
                    o.Protocol = Next() switch
                    {
                        "v3" or "3" => "v3",
                        "v41" or "4.1" or "v4.1" => "v41",
                        var p => throw new ArgumentException($"unknown protocol {p} (v3 or v41)"),
                    };
                    break;
                case "--export": o.Export = Next(); break;
                case "--threads": o.Threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--duration": o.DurationSec = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": o.WarmupSec = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--file-size": o.FileSize = ParseSize(Next()); break;
                case "--block-size": o.BlockSize = checked((int)ParseSize(Next())); break;
                case "--metadata-files": o.MetadataFiles = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--small-files": o.SmallFiles = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--small-min": o.SmallMin = checked((int)ParseSize(Next())); break;
                case "--small-max": o.SmallMax = checked((int)ParseSize(Next())); break;
                case "--metrics": o.MetricsUrl = Next(); break;
                case "--workloads":
                    string w = Next();
                    o.Workloads = w == "all" ? [.. AllWorkloads] : [.. w.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    foreach (string name in o.Workloads)
                    {
                        if (!AllWorkloads.Contains(name)) throw new ArgumentException($"unknown workload {name}");
                    }
                    break;
                case "--system": o.System = Next(); break;
                case "--out": o.Out = Next(); break;
                case "--seed": o.Seed = ulong.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--retry-sleep-ms": o.RetrySleepMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--no-verify": o.Verify = false; break;
                default: throw new ArgumentException($"unknown option {a}");
            }
        }
        if (o.Threads < 1) throw new ArgumentException("--threads must be >= 1");
        if (o.BlockSize < 8 || o.BlockSize % 8 != 0) throw new ArgumentException("--block-size must be a multiple of 8");
        if (o.FileSize < o.BlockSize) throw new ArgumentException("--file-size must hold at least one block");
        if (o.SmallMin < 1 || o.SmallMax < o.SmallMin) throw new ArgumentException("bad --small-min / --small-max");
        return o;
    }

    /// <summary>"4096", "4K", "4KiB", "64M", "1G" (binary units).</summary>
    public static long ParseSize(string s)
    {
        s = s.Trim();
        if (s.EndsWith("iB", StringComparison.OrdinalIgnoreCase)) s = s[..^2];
        else if (s.Length > 1 && char.IsLetter(s[^2]) && (s[^1] is 'B' or 'b')) s = s[..^1];
        long mult = 1;
        char last = char.ToUpperInvariant(s[^1]);
        if (last is 'K' or 'M' or 'G')
        {
            mult = last switch { 'K' => 1L << 10, 'M' => 1L << 20, _ => 1L << 30 };
            s = s[..^1];
        }
        return checked(long.Parse(s, CultureInfo.InvariantCulture) * mult);
    }
}
