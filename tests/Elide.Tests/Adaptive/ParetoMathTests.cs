using Elide.Adaptive;

namespace Elide.Tests.Adaptive;

public class ParetoMathTests
{
    private static Candidate C(string m, double acc, double cost) => new(SkipMask.Parse(m), acc, cost);

    [Fact]
    public void HypervolumeOfAStaircaseIsItsArea()
    {
        // Points (cost, acc): (1, .5), (2, .8), (4, .9); reference cost 5, accuracy 0.
        var pts = new[] { C("00", 0.5, 1), C("01", 0.8, 2), C("11", 0.9, 4), C("10", 0.6, 3) };
        Assert.Equal(1 * 0.5 + 2 * 0.8 + 1 * 0.9, ParetoMath.Hypervolume(pts, 5, 0), 12);
        Assert.Equal(1 * 0.3 + 2 * 0.6 + 1 * 0.7, ParetoMath.Hypervolume(pts, 5, 0.2), 12);
        Assert.Equal(0, ParetoMath.Hypervolume([], 5, 0));
    }

    [Fact]
    public void NonDominatedDropsDominatedAndTiedPoints()
    {
        var pts = new[] { C("00", 0.5, 1), C("01", 0.8, 2), C("10", 0.6, 3), C("11", 0.8, 2) };
        var front = ParetoMath.NonDominated(pts);
        Assert.Equal(["00", "01"], front.Select(c => c.Mask.ToString()));
    }

    [Fact]
    public void NonDominatedSortRanksLayers()
    {
        var pts = new[] { C("00", 0.5, 1), C("01", 0.4, 2), C("10", 0.3, 3), C("11", 0.9, 5) };
        var fronts = ParetoMath.NonDominatedSort(pts);
        Assert.Equal([0, 3], fronts[0].Order());
        Assert.Equal([1], fronts[1]);
        Assert.Equal([2], fronts[2]);
        var d = ParetoMath.CrowdingDistance(pts, [0, 1, 2]);
        Assert.True(double.IsPositiveInfinity(d[0]) && double.IsPositiveInfinity(d[2]));
        Assert.Equal(0.2 / 0.2 + 2.0 / 2.0, d[1], 12);
    }
}
