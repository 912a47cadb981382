using System.Globalization;
using System.Text.RegularExpressions;

namespace DittoFs.LoadGen;

/// <summary>
/// What a DittoFs server spent on S3 for one workload, from its Prometheus /metrics: requests by
/// operation (the S3 latency histogram's counts) and data bytes uploaded. The delta is taken from
/// before the workload to after its uploads settled (no dirty bytes left, or a cap), so uploads a
/// workload caused after it ended are charged to it, not to the next one.
/// </summary>
internal sealed partial class ServerMetrics(string url, TextWriter log)
{
    private static readonly TimeSpan SettleCap = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [GeneratedRegex("""^dittofs_s3_request_duration_seconds_count\{[^}]*operation="([^"]+)"[^}]*\}\s+(\S+)""")]
    private static partial Regex S3Count();

    [GeneratedRegex("""^dittofs_flush_uploaded(?:_bytes)?(?:_total)?(?:\{[^}]*\})?\s+(\S+)""")]
    private static partial Regex Uploaded();

    [GeneratedRegex("""^dittofs_cache_dirty(?:_bytes)?(?:\{[^}]*\})?\s+(\S+)""")]
    private static partial Regex Dirty();

    /// <summary>S3 requests by operation and "uploaded_bytes"; null when the server does not answer.</summary>
    public Dictionary<string, long>? Snapshot(out long dirtyBytes)
    {
        dirtyBytes = 0;
        string text;
        try { text = _http.GetStringAsync(url).GetAwaiter().GetResult(); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            log.WriteLine($"metrics: {url}: {e.Message}");
            return null;
        }
        var counts = new Dictionary<string, long>();
        foreach (string line in text.Split('\n'))
        {
            if (S3Count().Match(line) is { Success: true } s3) Add(counts, s3.Groups[1].Value, s3.Groups[2].Value);
            else if (Uploaded().Match(line) is { Success: true } up) Add(counts, "uploaded_bytes", up.Groups[1].Value);
            else if (Dirty().Match(line) is { Success: true } dirty) dirtyBytes += (long)double.Parse(dirty.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return counts;
    }

    /// <summary>Waits until the server has no dirty bytes left (its uploads of the workload are done), up to a cap.</summary>
    public Dictionary<string, long>? Settled()
    {
        DateTime until = DateTime.UtcNow + SettleCap;
        while (true)
        {
            Dictionary<string, long>? counts = Snapshot(out long dirty);
            if (counts is null || dirty == 0 || DateTime.UtcNow > until) return counts;
            Thread.Sleep(500);
        }
    }

    public static Dictionary<string, long> Delta(Dictionary<string, long> before, Dictionary<string, long> after) =>
        after.ToDictionary(kv => kv.Key, kv => kv.Value - before.GetValueOrDefault(kv.Key));

    private static void Add(Dictionary<string, long> counts, string key, string value) =>
        counts[key] = counts.GetValueOrDefault(key) + (long)double.Parse(value, CultureInfo.InvariantCulture);
}
