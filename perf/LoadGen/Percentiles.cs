namespace DittoFs.LoadGen;

/// <summary>
/// Exact percentiles of recorded latencies (every sample is kept, then sorted).
/// Definition (nearest-rank): for N samples sorted ascending x[1] &lt;= ... &lt;= x[N] and 0 &lt; p &lt;= 100,
/// the p-th percentile is x[k] with k = ceil(p / 100 * N); p = 0 gives x[1]; N = 0 gives 0.
/// So for 1..100, p50 = 50, p95 = 95, p99 = 99; for 1..10, p95 = p99 = 10 and p50 = 5.
/// </summary>
public static class Percentiles
{
    /// <summary>Nearest-rank percentile of ascending-sorted <paramref name="sorted"/>.</summary>
    public static long NearestRank(ReadOnlySpan<long> sorted, double p)
    {
        if (p < 0 || p > 100 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p));
        if (sorted.IsEmpty) return 0;
        // Integer arithmetic where possible so that e.g. 0.95 * 100 does not round up to rank 96.
        long rank = (long)Math.Ceiling(Math.Round(p / 100.0 * sorted.Length, 9));
        if (rank < 1) rank = 1;
        return sorted[(int)Math.Min(rank, sorted.Length) - 1];
    }
}

/// <summary>A growable array of latency samples (nanoseconds) owned by one thread: no per-op allocation.</summary>
public sealed class LatencyRecorder
{
    private long[] _samples = new long[1 << 16];

    public int Count { get; private set; }

    public void Add(long nanoseconds)
    {
        if (Count == _samples.Length) Array.Resize(ref _samples, _samples.Length * 2);
        _samples[Count++] = nanoseconds;
    }

    public ReadOnlySpan<long> Samples => _samples.AsSpan(0, Count);

    /// <summary>All samples of all recorders, sorted ascending.</summary>
    public static long[] MergeSorted(IEnumerable<LatencyRecorder> recorders)
    {
        var all = new long[recorders.Sum(r => r.Count)];
        int at = 0;
        foreach (LatencyRecorder r in recorders)
        {
            r.Samples.CopyTo(all.AsSpan(at));
            at += r.Count;
        }
        Array.Sort(all);
        return all;
    }
}
