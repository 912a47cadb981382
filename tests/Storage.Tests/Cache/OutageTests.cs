using DittoFs.Storage.Diagnostics;
using Xunit;
using static DittoFs.Storage.Diagnostics.Outage.Change;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>When a background retry loop logs: on a change of state, once an interval while failing, quiet while flapping.</summary>
public sealed class OutageTests
{
    [Fact]
    public void OneLinePerChange_OnePerIntervalWhileFailing_QuietWhileFlapping()
    {
        var o = new Outage();
        long t = 1_000_000;
        Assert.Equal(None, o.Succeeded(t, out _, out _));
        Assert.Equal(Started, o.Failed(t, out _, out _));
        Assert.Equal(None, o.Failed(t + 100, out _, out _));
        Assert.Equal(None, o.Failed(t + 59_000, out _, out _));
        Assert.Equal(StillFailing, o.Failed(t + 60_000, out TimeSpan down, out long failures));
        Assert.Equal(TimeSpan.FromSeconds(60), down);
        Assert.Equal(4, failures);
        Assert.Equal(Recovered, o.Succeeded(t + 61_000, out down, out failures));
        Assert.Equal((TimeSpan.FromSeconds(61), 4L), (down, failures));
        t += 61_000;
        // Flapping: a failure right after a logged recovery starts a silent episode, ended silently...
        Assert.Equal(None, o.Failed(t + 1_000, out _, out _));
        Assert.Equal(None, o.Succeeded(t + 1_100, out _, out _));
        Assert.Equal(None, o.Failed(t + 2_000, out _, out _));
        // ... and said once it has lasted an interval.
        Assert.Equal(Started, o.Failed(t + 62_000, out _, out _));
        Assert.Equal(Recovered, o.Succeeded(t + 63_000, out _, out _));
        // After the quiet window, a new failure is a new line.
        Assert.Equal(Started, o.Failed(t + 63_000 + 5_000, out _, out _));
    }
}
