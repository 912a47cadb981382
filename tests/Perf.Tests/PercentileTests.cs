using DittoFs.LoadGen;
using Xunit;

namespace DittoFs.Perf.Tests;

public class PercentileTests
{
    private static long[] Range(int from, int to) => [.. Enumerable.Range(from, to - from + 1).Select(i => (long)i)];

    [Theory]
    [InlineData(50, 50)]
    [InlineData(95, 95)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(99.5, 100)]
    public void NearestRankOfOneToHundred(double p, long expected) => Assert.Equal(expected, Percentiles.NearestRank(Range(1, 100), p));

    [Fact]
    public void NearestRankOfTenSamples()
    {
        long[] s = Range(1, 10);
        Assert.Equal(5, Percentiles.NearestRank(s, 50));   // ceil(0.5 * 10) = 5
        Assert.Equal(10, Percentiles.NearestRank(s, 95));  // ceil(9.5) = 10
        Assert.Equal(10, Percentiles.NearestRank(s, 99));
        Assert.Equal(1, Percentiles.NearestRank(s, 10));   // exactly rank 1, not 2
    }

    [Fact]
    public void NearestRankOfThousandSamples()
    {
        long[] s = [.. Range(1, 1000).Select(v => v * 10)];
        Assert.Equal(5000, Percentiles.NearestRank(s, 50));
        Assert.Equal(9500, Percentiles.NearestRank(s, 95));
        Assert.Equal(9900, Percentiles.NearestRank(s, 99));
    }

    [Fact]
    public void EmptyAndSingle()
    {
        Assert.Equal(0, Percentiles.NearestRank([], 99));
        Assert.Equal(7, Percentiles.NearestRank([7], 50));
        Assert.Equal(7, Percentiles.NearestRank([7], 99));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRank([1], 101));
    }

    [Fact]
    public void RecordersMergeIntoOneSortedArray()
    {
        var a = new LatencyRecorder();
        var b = new LatencyRecorder();
        foreach (long v in new long[] { 9, 1, 5 }) a.Add(v);
        for (long v = 100_000; v > 0; v--) b.Add(v * 2);   // grows past the initial capacity
        long[] all = LatencyRecorder.MergeSorted([a, b]);
        Assert.Equal(100_003, all.Length);
        Assert.True(all.AsSpan().SequenceEqual([.. all.Order()]));
        Assert.Equal(1, all[0]);
        Assert.Equal(200_000, all[^1]);
        // p50 of the merged set: rank ceil(0.5 * 100003) = 50002.
        Assert.Equal(all[50_001], Percentiles.NearestRank(all, 50));
    }
}
