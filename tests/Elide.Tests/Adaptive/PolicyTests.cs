using Elide.Adaptive;

namespace Elide.Tests.Adaptive;

public class PolicyTests
{
    private static OperatingPoint P(string config, double acc, double ms1, double ms64, double mj, double? measured = null) => new()
    {
        Config = config, ValAccuracy = acc, LatencyMsBatch1 = ms1, LatencyMsBatch64 = ms64, EnergyMillijoules = mj, MeasuredEnergyMillijoules = measured,
    };

    private static readonly ParetoFront Front = new()
    {
        Model = "m", Blocks = 4,
        Front =
        [
            P("1111", 0.93, 2.0, 64.0, 0.40),
            P("1010", 0.80, 1.0, 33.5, 0.20),
            P("1110", 0.91, 1.5, 48.0, 0.30),
            P("1011", 0.90, 1.5, 47.0, 0.29),
        ],
    };

    [Theory]
    [InlineData(10.0, "1111")]
    [InlineData(1.9, "1110")]
    [InlineData(1.5, "1110")]
    [InlineData(1.2, "1010")]
    public void LatencyBoundPicksTheMostAccurateThatFits(double ms, string expected)
    {
        var d = new AdaptivePolicy(Front).Choose(new Budget(LatencyMs: ms));
        Assert.True(d.Feasible);
        Assert.Equal(expected, d.Mask.ToString());
        Assert.Contains("most accurate", d.Reason);
    }

    [Fact]
    public void InfeasibleBoundsFallBackToTheFastestOrMostAccurate()
    {
        var policy = new AdaptivePolicy(Front);
        var d = policy.Choose(new Budget(LatencyMs: 0.5));
        Assert.False(d.Feasible);
        Assert.Equal("1010", d.Point.Config);
        var floor = policy.Choose(new Budget(MinAccuracy: 0.99));
        Assert.False(floor.Feasible);
        Assert.Equal("1111", floor.Point.Config);
    }

    [Fact]
    public void AccuracyFloorAlonePicksTheCheapestPointAboveIt()
    {
        var policy = new AdaptivePolicy(Front);
        Assert.Equal("1011", policy.Choose(new Budget(MinAccuracy: 0.85)).Point.Config); // ties 1.5 ms with 1110; less energy
        Assert.Equal("1010", policy.Choose(new Budget(MinAccuracy: 0.5)).Point.Config);
        // Floor and deadline together: most accurate meeting both.
        Assert.Equal("1110", policy.Choose(new Budget(LatencyMs: 1.6, MinAccuracy: 0.85)).Point.Config);
    }

    [Fact]
    public void BatchLatencyInterpolatesAndEnergyAndPowerBoundsApply()
    {
        var policy = new AdaptivePolicy(Front);
        var all = Front.Front[0];
        Assert.Equal(2.0, policy.LatencyMs(all, 1), 12);
        Assert.Equal(64.0, policy.LatencyMs(all, 64), 12);
        Assert.Equal(2.0 + 62.0 * 31 / 63, policy.LatencyMs(all, 32), 12);
        Assert.Equal("1110", policy.Choose(new Budget(LatencyMs: 48.5, Batch: 64)).Point.Config);
        Assert.Equal("1011", policy.Choose(new Budget(EnergyMillijoules: 0.295)).Point.Config);
        // Power at batch 1: 0.4 mJ / 2 ms = 0.2 W; 0.3/1.5 = 0.2 W; 0.29/1.5 = 0.193 W; 0.2/1 = 0.2 W.
        Assert.Equal("1011", policy.Choose(new Budget(PowerWatts: 0.195)).Point.Config);
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.Choose(new Budget(Batch: 0)));
    }

    [Fact]
    public void MeasuredEnergyTakesPrecedenceOverTheModel()
    {
        Assert.Equal(0.7, AdaptivePolicy.EnergyMillijoules(P("1", 1, 1, 1, 0.2, 0.7)));
        Assert.Equal(0.2, AdaptivePolicy.EnergyMillijoules(P("1", 1, 1, 1, 0.2)));
    }

    [Fact]
    public void AnEmptyFrontIsRejected() =>
        Assert.Throws<ArgumentException>(() => new AdaptivePolicy(new ParetoFront { Blocks = 1 }));

    [Fact]
    public void RetimingMeasuresEveryPointHereAndKeepsWhatDoesNotDependOnTheMachine()
    {
        // TinyNetworks' depth-14 ResNet has 6 blocks; blocks 3 and 5 downsample (kept in every configuration).
        var session = new Runtime.InferenceSession(TinyNetworks.Build(14), new Runtime.SessionOptions { Threads = 1 });
        var stored = new ParetoFront
        {
            Model = "tiny", Blocks = 6, LargeBatch = 64,
            Front = [P("111111", 0.9, 1000, 64000, 0.5), P("001010", 0.5, 900, 60000, 0.2)],
        };
        var options = new LatencyMeasurementOptions(Rounds: 1, RunsPerRound: 3, WarmupSeconds: 0);

        var here = FrontRetiming.OnThisMachine(stored, session, new Elide.Data.ImageShape(1, 9, 9), batch: 8, options);

        Assert.Equal(8, here.LargeBatch);
        Assert.Equal(stored.Front.Select(p => (p.Config, p.ValAccuracy, p.EnergyMillijoules)), here.Front.Select(p => (p.Config, p.ValAccuracy, p.EnergyMillijoules)));
        Assert.All(here.Front, p => Assert.InRange(p.LatencyMsBatch1, 1e-6, 100));
        Assert.All(here.Front, p => Assert.InRange(p.LatencyMsBatch64, 1e-6, 100));
        var policy = new AdaptivePolicy(here);
        Assert.Equal(here.Front[0].LatencyMsBatch64, policy.LatencyMs(here.Front[0], 8), 12);

        var batchOne = FrontRetiming.OnThisMachine(stored, session, new Elide.Data.ImageShape(1, 9, 9), batch: 1, options);
        Assert.Equal(64, batchOne.LargeBatch);
        Assert.All(batchOne.Front, p => Assert.InRange(p.LatencyMsBatch1, 1e-6, 100));
        Assert.Throws<ArgumentException>(() => FrontRetiming.OnThisMachine(stored with { Front = [P("11", 0.9, 1, 2, 0.1)] },
            session, new Elide.Data.ImageShape(1, 9, 9), 1, options));
    }
}
