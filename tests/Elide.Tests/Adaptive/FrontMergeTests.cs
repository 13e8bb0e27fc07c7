using Elide.Adaptive;

namespace Elide.Tests.Adaptive;

public class FrontMergeTests
{
    private static OperatingPoint Point(string config, double accuracy, long macs, double ms) =>
        new() { Config = config, ValAccuracy = accuracy, TestAccuracy = accuracy - 0.002, Macs = macs, LatencyMsBatch1 = ms };

    private static ParetoFront Front(string model, params OperatingPoint[] points) => new() { Model = model, Blocks = 4, Front = points };

    [Fact]
    public void KeepsTheNonDominatedPointsOfBothVariantsAndMarksTheUnscaledOnes()
    {
        var scaled = Front("m",
            Point("1111", 0.94, 100, 1.0),
            Point("1101", 0.93, 80, 0.8),
            Point("1100", 0.85, 60, 0.6),
            Point("0100", 0.40, 40, 0.4));
        var unscaled = Front("m.unscaled",
            Point("1111", 0.92, 100, 1.3),  // dominated by scaled all blocks
            Point("1101", 0.93, 80, 0.9),   // ties the scaled one: the scaled point is kept
            Point("1100", 0.90, 60, 0.7),   // beats scaled 1100
            Point("1000", 0.60, 40, 0.5));  // beats scaled 0100 (same work, more accurate)
        var merged = ParetoFront.Merge(scaled, unscaled);
        Assert.Equal("m", merged.Model);
        Assert.Equal(["1000:unscaled", "1100:unscaled", "1101", "1111"], merged.Front.Select(p => p.Label));
        Assert.Same(scaled.AllBlocks, merged.AllBlocks);
        Assert.True(merged.IsMixed);
        Assert.False(merged.IsUnscaled);
        // The unscaled points keep their own accuracies.
        Assert.Equal(0.90, merged.Front[1].ValAccuracy);

        // The flag survives the JSON round trip and is absent from scaled points.
        string json = merged.ToJson();
        Assert.Equal(2, json.Split("\"unscaled\": true").Length - 1);
        Assert.DoesNotContain("\"unscaled\": false", json);
        Assert.Equal(merged.Front.Select(p => p.Label), ParetoFront.FromJson(json).Front.Select(p => p.Label));
    }

    [Fact]
    public void TheScaledAllBlocksPointStaysEvenWhenAnUnscaledOneDominatesIt()
    {
        var merged = ParetoFront.Merge(Front("m", Point("1111", 0.90, 100, 1.0)), Front("m.unscaled", Point("1111", 0.91, 100, 1.0), Point("1011", 0.905, 90, 0.9)));
        Assert.Equal(["1011:unscaled", "1111:unscaled", "1111"], merged.Front.Select(p => p.Label));
        Assert.False(merged.AllBlocks!.Unscaled);
    }

    [Fact]
    public void RefusesFrontsOfTheWrongVariantOrOfAnotherModel()
    {
        var scaled = Front("m", Point("1111", 0.94, 100, 1.0));
        var unscaled = Front("m.unscaled", Point("1111", 0.92, 100, 1.0));
        Assert.Contains("must come from `elide explore --unscaled`", Assert.Throws<ArgumentException>(() => ParetoFront.Merge(scaled, scaled)).Message);
        Assert.Contains("must be the scaled one", Assert.Throws<ArgumentException>(() => ParetoFront.Merge(unscaled, unscaled)).Message);
        Assert.Contains("different models", Assert.Throws<ArgumentException>(() => ParetoFront.Merge(scaled, Front("n.unscaled", Point("1111", 0.9, 100, 1)))).Message);
        var longer = new ParetoFront { Model = "m.unscaled", Blocks = 5, Front = [Point("11111", 0.9, 100, 1)] };
        Assert.Contains("4 and 5 blocks", Assert.Throws<ArgumentException>(() => ParetoFront.Merge(scaled, longer)).Message);
        var merged = ParetoFront.Merge(scaled, Front("m.unscaled", Point("1101", 0.92, 80, 0.8)));
        Assert.True(merged.IsMixed);
        Assert.Contains("must be the scaled one", Assert.Throws<ArgumentException>(() => ParetoFront.Merge(merged, unscaled)).Message);
    }
}
