using DittoFs.LoadGen;
using Xunit;

namespace DittoFs.Perf.Tests;

public class WorkloadPlanTests
{
    [Fact]
    public void SmallFileSizesAreWithinOneToThirtyTwoKiBAndDeterministic()
    {
        int[] sizes = WorkloadPlan.SmallFileSizes(42, 0, 10_000, 1024, 32 * 1024);
        Assert.All(sizes, s => Assert.InRange(s, 1024, 32 * 1024));
        Assert.Equal(sizes, WorkloadPlan.SmallFileSizes(42, 0, 10_000, 1024, 32 * 1024));
        Assert.NotEqual(sizes, WorkloadPlan.SmallFileSizes(42, 1, 10_000, 1024, 32 * 1024));
        // Spread over the range, not stuck at one end.
        Assert.True(sizes.Min() < 2048 && sizes.Max() > 31 * 1024);
        Assert.InRange(sizes.Average(), 15_000, 18_800);
    }

    [Theory]
    [InlineData(10_000, 4)]
    [InlineData(50, 3)]
    [InlineData(7, 8)]
    public void SmallFilesSplitOverThreadsAddUpToTheTotal(int total, int threads)
    {
        int[] per = [.. Enumerable.Range(0, threads).Select(t => WorkloadPlan.SmallFilesFor(t, threads, total))];
        Assert.Equal(total, per.Sum());
        Assert.True(per.Max() - per.Min() <= 1);
    }

    [Fact]
    public void RandomOffsetsAreAlignedAndInsideTheWrittenRange()
    {
        var rng = new Rng(7);
        const long written = 1_000_000 * 4096L + 100;   // a partial last block is never chosen
        var seen = new HashSet<ulong>();
        for (int i = 0; i < 100_000; i++)
        {
            ulong off = WorkloadPlan.RandomOffset(ref rng, written, 4096);
            Assert.Equal(0UL, off % 4096);
            Assert.True(off + 4096 <= written);
            seen.Add(off);
        }
        Assert.True(seen.Count > 90_000);   // spread, not a few hot offsets
        var small = new Rng(1);
        for (int i = 0; i < 1000; i++) Assert.InRange(WorkloadPlan.RandomOffset(ref small, 3 * 4096, 4096), 0UL, 2 * 4096UL);
    }

    [Fact]
    public void MetadataCycleIsCreateAllThenStatAllThenDeleteAll()
    {
        var steps = WorkloadPlan.MetadataCycle(3).ToList();
        Assert.Equal(
            [("create", 0), ("create", 1), ("create", 2), ("stat", 0), ("stat", 1), ("stat", 2), ("delete", 0), ("delete", 1), ("delete", 2)],
            steps);
        Assert.Equal(3000, WorkloadPlan.MetadataCycle(1000).Count());
        Assert.Equal(["create+write", "read", "stat", "delete"], WorkloadPlan.SmallFilePhases);
    }

    [Fact]
    public void PatternBlocksCheckOnlyAtTheirOwnFileAndOffset()
    {
        byte[] whole = new byte[3 * 4096 + 13];
        Pattern.Fill(whole, 5, 0);
        // Any aligned block generated alone equals the same range of the whole file.
        byte[] block = new byte[4096];
        Pattern.Fill(block, 5, 4096);
        Assert.True(block.AsSpan().SequenceEqual(whole.AsSpan(4096, 4096)));
        Assert.True(Pattern.Check(whole, 5, 0));
        Assert.True(Pattern.Check(whole.AsSpan(8192), 5, 8192));   // odd tail length
        Assert.False(Pattern.Check(whole.AsSpan(4096, 4096), 5, 0));
        Assert.False(Pattern.Check(whole, 6, 0));
        whole[^1] ^= 1;
        Assert.False(Pattern.Check(whole, 5, 0));
        Assert.False(Pattern.Check(new byte[4096], 5, 0));          // zeros (a hole) are not the pattern
    }

    [Theory]
    [InlineData("4096", 4096)]
    [InlineData("4K", 4096)]
    [InlineData("4KiB", 4096)]
    [InlineData("64M", 64L << 20)]
    [InlineData("256MiB", 256L << 20)]
    [InlineData("1G", 1L << 30)]
    public void Sizes(string text, long bytes) => Assert.Equal(bytes, Options.ParseSize(text));

    [Fact]
    public void CommandLine()
    {
        Options o = Options.Parse(["--host", "10.0.0.1", "--port", "2050", "--mount-port", "20048", "--protocol", "v41", "--export", "/x",
            "--threads", "8", "--duration", "5", "--file-size", "1M", "--workloads", "metadata,small-files", "--system", "s", "--out", "o.json"]);
        Assert.Equal(("10.0.0.1", 2050, 20048, "v41", "/x", 8, 5.0, 1L << 20), (o.Host, o.Port, o.MountPort, o.Protocol, o.Export, o.Threads, o.DurationSec, o.FileSize));
        Assert.Equal(["metadata", "small-files"], o.Workloads);
        Assert.Equal(Options.AllWorkloads, Options.Parse(["--workloads", "all"]).Workloads);
        Assert.Throws<ArgumentException>(() => Options.Parse(["--workloads", "nope"]));
        Assert.Throws<ArgumentException>(() => Options.Parse(["--protocol", "v2"]));
    }
}
