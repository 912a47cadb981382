using System.Globalization;
using DittoFs.LoadGen;

if (args.Length > 0 && args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Options.Usage);
    return 0;
}
if (args.Length > 0 && args[0] == "report")
{
    string? dir = null, baseline = "ganesha";
    for (int i = 1; i < args.Length; i++)
    {
        if (args[i] == "--dir" && i + 1 < args.Length) dir = args[++i];
        else if (args[i] == "--baseline" && i + 1 < args.Length) baseline = args[++i];
        else { Console.Error.WriteLine($"unknown option {args[i]}\n{Options.Usage}"); return 2; }
    }
    if (dir is null) { Console.Error.WriteLine(Options.Usage); return 2; }
    Report.Write(dir, baseline);
    return 0;
}

Options o;
try
{
    o = Options.Parse(args.Length > 0 && args[0] == "run" ? args[1..] : args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"{e.Message}\n{Options.Usage}");
    return 2;
}

RunResult result;
using (var runner = new Runner(o))
{
    result = runner.Run();
}
string json = result.ToJson();
if (o.Out is not null)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(o.Out))!);
    File.WriteAllText(o.Out, json);
}
else
{
    Console.WriteLine(json);
}
Console.Error.WriteLine(Report.Table(result));
return result.Workloads.Any(w => w.Errors > 0 || w.VerifyFailures > 0) ? 1 : 0;

namespace DittoFs.LoadGen
{
    public static partial class Report
    {
        public static string Table(RunResult r)
        {
            var sb = new System.Text.StringBuilder();
            sb.AppendLine(CultureInfo.InvariantCulture, $"{r.System} {r.Protocol}: {r.Threads} threads, {r.BlockSize} B blocks, {r.FileSize >> 20} MiB per file, cap {r.DurationCapSec} s, warm-up {r.WarmupSec} s");
            sb.AppendLine(CultureInfo.InvariantCulture, $"{"workload",-12} {"ops/s",10} {"MB/s",8} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"ops",9} {"errors",6} {"retries",7} {"verify",6} {"secs",6} {"commit ms",9}");
            foreach (WorkloadResult w in r.Workloads)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"{w.Workload,-12} {w.OpsPerSec,10:F0} {w.MbPerSec,8:F1} {w.P50Ms,8:F3} {w.P95Ms,8:F3} {w.P99Ms,8:F3} {w.TotalOps,9} {w.Errors,6} {w.Retries,7} {w.VerifyFailures,6} {w.DurationSec,6:F2} {w.CommitMs,9:F1}");
            }
            foreach (WorkloadResult w in r.Workloads.Where(w => w.Steps is not null))
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {w.Workload} steps:");
                foreach (StepResult st in w.Steps!) sb.Append(CultureInfo.InvariantCulture, $"  {st.Step} {st.Ops} ops p50 {st.P50Ms:F3} p99 {st.P99Ms:F3} ms;");
                sb.AppendLine();
            }
            return sb.ToString();
        }
    }
}
