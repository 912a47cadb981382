using System.Globalization;
using System.Text;
using ScottPlot;

namespace DittoFs.LoadGen;

/// <summary>Charts (PNG, ScottPlot) and summary.md from the result files of one round.</summary>
public static partial class Report
{
    private static readonly Color[] ProtocolColors = [new Color(0x1f, 0x77, 0xb4), new Color(0xff, 0x7f, 0x0e), new Color(0x2c, 0xa0, 0x2c), new Color(0xd6, 0x27, 0x28)];

    public static void Write(string dir, string baseline)
    {
        List<RunResult> runs = [.. Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal)
            .Where(f => !Path.GetFileName(f).StartsWith("crosscheck", StringComparison.Ordinal) && !f.EndsWith(".s3.json", StringComparison.Ordinal))
            .Select(f => { try { return RunResult.FromJson(File.ReadAllText(f)); } catch (System.Text.Json.JsonException) { return null; } })
            .Where(r => r is { Tool: "dittofs-loadgen", System.Length: > 0 }).Cast<RunResult>()];
        if (runs.Count == 0) throw new InvalidOperationException($"no loadgen results in {dir}");
        string[] systems = [.. runs.Select(r => r.System).Distinct().OrderBy(s => s == baseline ? 1 : 0).ThenBy(s => s, StringComparer.Ordinal)];
        string[] protocols = [.. runs.Select(r => r.Protocol).Distinct().Order(StringComparer.Ordinal)];
        string[] workloads = [.. Options.AllWorkloads.Where(w => runs.Any(r => r.Workloads.Any(x => x.Workload == w)))];

        double? Ops(string system, string protocol, string workload) =>
            runs.FirstOrDefault(r => r.System == system && r.Protocol == protocol)?.Workloads.FirstOrDefault(w => w.Workload == workload)?.OpsPerSec;
        WorkloadResult? Get(string system, string protocol, string workload) =>
            runs.FirstOrDefault(r => r.System == system && r.Protocol == protocol)?.Workloads.FirstOrDefault(w => w.Workload == workload);

        foreach (string workload in workloads)
        {
            var plot = new Plot();
            var bars = new List<Bar>();
            var ticks = new List<Tick>();
            for (int s = 0; s < systems.Length; s++)
            {
                double center = s * (protocols.Length + 1) + (protocols.Length - 1) / 2.0;
                ticks.Add(new Tick(center, systems[s]));
                for (int p = 0; p < protocols.Length; p++)
                {
                    double v = Ops(systems[s], protocols[p], workload) ?? 0;
                    bars.Add(new Bar
                    {
                        Position = s * (protocols.Length + 1) + p, Value = v, FillColor = ProtocolColors[p % ProtocolColors.Length],
                        Label = v.ToString("N0", CultureInfo.InvariantCulture),
                    });
                }
            }
            var bp = plot.Add.Bars(bars);
            bp.ValueLabelStyle.FontSize = 11;
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
            plot.Axes.Bottom.MajorTickStyle.Length = 0;
            plot.Axes.Margins(bottom: 0, top: 0.15);
            plot.Title($"{workload}: ops/s (higher is better)");
            plot.YLabel("ops/s");
            for (int p = 0; p < protocols.Length; p++) plot.Legend.ManualItems.Add(new LegendItem { LabelText = protocols[p], FillColor = ProtocolColors[p % ProtocolColors.Length] });
            plot.Legend.Alignment = Alignment.UpperRight;
            plot.ShowLegend();
            plot.SavePng(Path.Combine(dir, $"chart-{workload}.png"), 900, 520);
        }

        // Summary: each non-baseline system and protocol, ops/s divided by the baseline's for the same protocol.
        string[] others = [.. systems.Where(s => s != baseline)];
        var series = (from s in others from p in protocols select (s, p)).ToList();
        {
            var plot = new Plot();
            var bars = new List<Bar>();
            var ticks = new List<Tick>();
            for (int w = 0; w < workloads.Length; w++)
            {
                ticks.Add(new Tick(w * (series.Count + 1) + (series.Count - 1) / 2.0, workloads[w]));
                for (int k = 0; k < series.Count; k++)
                {
                    double? a = Ops(series[k].s, series[k].p, workloads[w]), b = Ops(baseline, series[k].p, workloads[w]);
                    double ratio = a is { } x && b is > 0 ? x / b.Value : 0;
                    bars.Add(new Bar
                    {
                        Position = w * (series.Count + 1) + k, Value = ratio, FillColor = ProtocolColors[k % ProtocolColors.Length],
                        Label = ratio.ToString("0.00", CultureInfo.InvariantCulture),
                    });
                }
            }
            var bp = plot.Add.Bars(bars);
            bp.ValueLabelStyle.FontSize = 10;
            var line = plot.Add.HorizontalLine(1);
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Black;
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
            plot.Axes.Bottom.MajorTickStyle.Length = 0;
            plot.Axes.Margins(bottom: 0, top: 0.15);
            plot.Title($"ops/s relative to {baseline} (same protocol; 1.0 = equal)");
            plot.YLabel($"ratio vs {baseline}");
            for (int k = 0; k < series.Count; k++)
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{series[k].s} {series[k].p}", FillColor = ProtocolColors[k % ProtocolColors.Length] });
            plot.Legend.Alignment = Alignment.UpperRight;
            plot.ShowLegend();
            plot.SavePng(Path.Combine(dir, "summary-ratio.png"), 1200, 560);
        }

        var md = new StringBuilder();
        RunResult first = runs[0];
        md.AppendLine(CultureInfo.InvariantCulture, $"# Benchmark summary: {Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/'))}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{first.Threads} threads (one connection, one request in flight each), {first.BlockSize} B blocks, {first.FileSize >> 20} MiB file per thread, {first.DurationCapSec} s cap per workload, {first.WarmupSec} s warm-up excluded, {first.MetadataFilesPerThread} metadata files per thread, {first.SmallFiles} small files. Machine: {first.Machine.Cores} cores, {first.Machine.Cpu}, {first.Machine.Os}. Generator: perf/LoadGen.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Ratio = ops/s of the system / ops/s of {baseline} over the same protocol (> 1: faster than {baseline}).");
        md.AppendLine();
        foreach (string p in protocols)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {p}");
            md.AppendLine();
            var header = new StringBuilder("| workload |");
            var rule = new StringBuilder("|---|");
            foreach (string s in systems)
            {
                header.Append(CultureInfo.InvariantCulture, $" {s} ops/s | p99 ms |");
                rule.Append("---:|---:|");
                if (s != baseline) { header.Append(CultureInfo.InvariantCulture, $" ratio |"); rule.Append("---:|"); }
            }
            header.Append(" errors / retries / verify |");
            rule.Append("---|");
            md.AppendLine(header.ToString());
            md.AppendLine(rule.ToString());
            foreach (string w in workloads)
            {
                var row = new StringBuilder($"| {w} |");
                var bad = new List<string>();
                foreach (string s in systems)
                {
                    WorkloadResult? x = Get(s, p, w);
                    double? b = Ops(baseline, p, w);
                    row.Append(x is null ? " - | - |" : string.Create(CultureInfo.InvariantCulture, $" {x.OpsPerSec:F0} | {x.P99Ms:F2} |"));
                    if (s != baseline) row.Append(x is not null && b is > 0 ? string.Create(CultureInfo.InvariantCulture, $" {x.OpsPerSec / b.Value:F2} |") : " - |");
                    if (x is not null) bad.Add($"{x.Errors}/{x.Retries}/{x.VerifyFailures}");
                }
                row.Append(CultureInfo.InvariantCulture, $" {string.Join(", ", bad)} |");
                md.AppendLine(row.ToString());
            }
            md.AppendLine();
        }
        AppendS3Cost(md, systems, protocols, workloads, Get);
        md.AppendLine("Errors / retries / verify are listed per system in the column order above. Charts: `chart-WORKLOAD.png`, `summary-ratio.png`.");
        md.AppendLine();
        md.AppendLine("Raw tables:");
        md.AppendLine();
        md.AppendLine("```");
        foreach (RunResult r in runs) md.AppendLine(Table(r));
        md.AppendLine("```");
        File.WriteAllText(Path.Combine(dir, "summary.md"), md.ToString());
    }

    /// <summary>S3 requests per 1,000 ops (what a real bucket charges), for the systems whose results carry them (--metrics).</summary>
    private static void AppendS3Cost(StringBuilder md, string[] systems, string[] protocols, string[] workloads,
        Func<string, string, string, WorkloadResult?> get)
    {
        foreach (string p in protocols)
        {
            List<string> s3 = systems.Where(s => workloads.Any(w => get(s, p, w)?.S3RequestsPer1000Ops is not null)).ToList();
            if (s3.Count == 0) continue;
            md.AppendLine(CultureInfo.InvariantCulture, $"### S3 requests per 1,000 ops, {p} (PUT / GET / DELETE / LIST of the workload, until its uploads settled)");
            md.AppendLine();
            md.AppendLine("| workload |" + string.Concat(s3.Select(s => $" {s} req/1k ops | {s} PUT/GET/DELETE/LIST |")));
            md.AppendLine("|---|" + string.Concat(s3.Select(_ => "---:|---|")));
            foreach (string w in workloads)
            {
                var row = new StringBuilder($"| {w} |");
                foreach (string s in s3)
                {
                    WorkloadResult? x = get(s, p, w);
                    if (x?.S3Requests is not { } r) { row.Append(" - | - |"); continue; }
                    long Op(string name) => r.Where(kv => kv.Key.Contains(name, StringComparison.OrdinalIgnoreCase)).Sum(kv => kv.Value);
                    row.Append(CultureInfo.InvariantCulture, $" {x.S3RequestsPer1000Ops:F1} | {Op("put")}/{Op("get")}/{Op("delete")}/{Op("list")} |");
                }
                md.AppendLine(row.ToString());
            }
            md.AppendLine();
        }
    }
}
