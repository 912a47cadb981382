using DittoFs.Server.Rpc;
using Xunit;

namespace DittoFs.Server.Tests.Rpc;

public sealed class ReplyBudgetTests
{
    [Fact]
    public void TakesUpToTheCapacityAndOneCallAlwaysFits()
    {
        var budget = new ReplyBudget(100);
        Assert.True(budget.TryTake(60));
        Assert.True(budget.TryTake(40));
        Assert.False(budget.TryTake(1));
        Assert.Equal(100, budget.Used);
        budget.Release(100);
        Assert.True(budget.TryTake(500)); // nothing charged: a reply larger than the cap still goes, alone
        Assert.False(budget.TryTake(1));
        budget.Adjust(-400);
        Assert.Equal(100, budget.Used);
        budget.Adjust(50);
        Assert.Equal(150, budget.Used);
    }

    [Fact]
    public async Task WhenReleasedCompletesAtTheNextRelease()
    {
        var budget = new ReplyBudget(10);
        Assert.True(budget.TryTake(10));
        Task released = budget.WhenReleased();
        Assert.False(released.IsCompleted);
        Assert.False(budget.TryTake(5));
        Assert.False(released.IsCompleted); // a failed take wakes nobody (the waiter would spin)
        budget.Release(10);
        await released.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(budget.TryTake(5));
    }
}
