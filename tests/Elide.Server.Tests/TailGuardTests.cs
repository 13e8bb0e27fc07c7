using Elide.Server.Adaptive;

namespace Elide.Server.Tests;

/// <summary>Latency feedback: the margin is the p99 of (latency − prediction); the budget shrinks by it.</summary>
public sealed class TailGuardTests
{
    /// <summary>SLO 100 ms, budget 80 ms, target 90 ms.</summary>
    private static TailGuard Guard() => new(sloMs: 100, budgetMs: 80);

    private static void Record(TailGuard guard, double errorMs, int count)
    {
        for (int i = 0; i < count; i++) guard.Record(20 + errorMs, 20);
    }

    [Fact]
    public void TheBudgetShrinksByTheNinetyNinthPercentileOfTheError()
    {
        var guard = Guard();
        Assert.Equal(90, guard.TargetMs, 9);
        Record(guard, 30, TailGuard.Refresh - 1);
        Assert.Equal(1, guard.Scale); // no margin before a full refresh
        Assert.True(double.IsNaN(guard.MarginMs));
        Record(guard, 30, 1);
        Assert.Equal(30, guard.MarginMs, 9);
        Assert.Equal((90 - 30) / 80.0, guard.Scale, 9);
    }

    [Fact]
    public void RareOutliersDoNotSetTheMarginButOnePercentDo()
    {
        var guard = Guard();
        // A full window of 512: 5 outliers are under 1 %, the p99 (rank 507) is the ordinary error.
        Record(guard, 4, TailGuard.Window - 5);
        Record(guard, 500, 5);
        Assert.Equal(4, guard.MarginMs, 9);
        Assert.Equal(1, guard.Scale); // 90 − 4 > 80: the configured budget already fits
        // 6 outliers in the window are over 1 %: the margin is an outlier's and the scale hits its floor.
        Record(guard, 500, TailGuard.Refresh);
        Assert.Equal(500, guard.MarginMs, 9);
        Assert.Equal(TailGuard.MinScale, guard.Scale);
    }

    [Fact]
    public void TheMarginFollowsTheWindowBackDown()
    {
        var guard = Guard();
        Record(guard, 60, TailGuard.Window);
        Assert.Equal((90 - 60) / 80.0, guard.Scale, 9);
        Record(guard, 0, TailGuard.Window); // the old errors leave the window
        Assert.Equal(0, guard.MarginMs, 9);
        Assert.Equal(1, guard.Scale);
        Record(guard, -15, TailGuard.Window); // faster than predicted: no negative margin
        Assert.Equal(0, guard.MarginMs, 9);
    }

    [Fact]
    public void InvalidValuesAreIgnored()
    {
        var guard = Guard();
        guard.Record(double.NaN, 1);
        guard.Record(-1, 1);
        guard.Record(1, double.PositiveInfinity);
        guard.Record(double.PositiveInfinity, 1);
        Assert.Equal(0, guard.Recorded);
        Record(guard, 1, 3);
        Assert.Equal(3, guard.Recorded);
    }

    [Theory]
    [InlineData(0, 50, 0.9)]
    [InlineData(double.NaN, 50, 0.9)]
    [InlineData(100, 0, 0.9)]
    [InlineData(100, 150, 0.9)]
    [InlineData(100, 50, 0)]
    [InlineData(100, 50, 1.5)]
    public void OutOfRangeSettingsAreRefused(double slo, double budget, double target)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TailGuard(slo, budget, target));
        Assert.Contains("must be", e.Message);
    }
}
