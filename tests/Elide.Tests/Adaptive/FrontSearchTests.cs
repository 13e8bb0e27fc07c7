using Elide.Adaptive;

namespace Elide.Tests.Adaptive;

public class FrontSearchTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void FoundFrontReachesNinetyEightPercentOfTheExactHypervolume(int seed)
    {
        var model = new SyntheticAccuracyModel(12, seed, fixedBlocks: [4, 8]);
        var exact = model.All().Select(m => new Candidate(m, model.Accuracy(m), model.Cost(m))).ToList();
        Assert.Equal(1024, exact.Count);
        double refCost = exact.Max(c => c.Cost), refAccuracy = exact.Min(c => c.Accuracy);

        var memo = new MemoizingEvaluator(model);
        var result = FrontSearch.Run(memo, model.Cost, new FrontSearchOptions(Evolution: new Nsga2Options(Population: 24, Generations: 12, Seed: seed)));

        double found = ParetoMath.Hypervolume(result.Front, refCost, refAccuracy);
        double best = ParetoMath.Hypervolume(exact, refCost, refAccuracy);
        Assert.True(found >= 0.98 * best, $"hypervolume {found:F4} is {found / best:P2} of the exact {best:F4}");
        // Without exhaustive evaluation: well under half of the 1024 configurations.
        Assert.True(memo.NewEvaluations < 450, $"{memo.NewEvaluations} evaluations");
        Assert.Equal(memo.NewEvaluations, model.Calls); // memoized: nothing scored twice
    }

    [Fact]
    public void FrontIsNonDominatedAndSortedByCost()
    {
        var model = new SyntheticAccuracyModel(10, 5, fixedBlocks: [3]);
        var result = FrontSearch.Run(new MemoizingEvaluator(model), model.Cost, new FrontSearchOptions(Evolution: new Nsga2Options(Generations: 3)));
        for (int i = 1; i < result.Front.Count; i++)
        {
            Assert.True(result.Front[i].Cost > result.Front[i - 1].Cost);
            Assert.True(result.Front[i].Accuracy > result.Front[i - 1].Accuracy);
        }
        foreach (var f in result.Front)
            Assert.DoesNotContain(result.Evaluated, e => ParetoMath.Dominates(e, f));
        Assert.All(result.Evaluated, c => Assert.True(c.Mask.Runs(3)));
    }

    [Fact]
    public void SensitivityOrdersBlocksByAccuracyLost()
    {
        var model = new SyntheticAccuracyModel(8, 9, fixedBlocks: [2]);
        var s = SensitivityRanking.Measure(model);
        Assert.True(double.IsNaN(s.Drop[2]));
        Assert.DoesNotContain(2, s.Order);
        Assert.Equal(7, s.Order.Count);
        for (int i = 1; i < s.Order.Count; i++) Assert.True(s.Drop[s.Order[i]] >= s.Drop[s.Order[i - 1]]);
        var full = SkipMask.All(8);
        Assert.Equal(model.Accuracy(full) - model.Accuracy(full.With(s.Order[0], false)), s.Drop[s.Order[0]], 12);
    }

    [Fact]
    public void GreedyPathRemovesOneBlockPerStepUntilOnlyFixedBlocksRemain()
    {
        var model = new SyntheticAccuracyModel(9, 4, fixedBlocks: [0, 5]);
        var path = GreedyRemoval.Run(model, model.Cost);
        Assert.Equal(8, path.Count);
        for (int i = 1; i < path.Count; i++) Assert.Equal(path[i - 1].Mask.RunCount - 1, path[i].Mask.RunCount);
        Assert.Equal("100001000", path[^1].Mask.ToString());
    }

    [Fact]
    public void MemoizingEvaluatorResumesFromRememberedScores()
    {
        var model = new SyntheticAccuracyModel(6, 2, fixedBlocks: []);
        var first = new MemoizingEvaluator(model);
        first.Evaluate([SkipMask.Parse("111111"), SkipMask.Parse("101011")]);
        var resumed = new MemoizingEvaluator(model, first.Known);
        int before = model.Calls;
        Assert.Equal(model.Accuracy(SkipMask.Parse("101011")), resumed.Evaluate(SkipMask.Parse("101011")));
        Assert.Equal(before, model.Calls);
        resumed.Evaluate(SkipMask.Parse("001011"));
        Assert.Equal(before + 1, model.Calls);
        Assert.Throws<ArgumentException>(() => new MemoizingEvaluator(model, new Dictionary<string, double> { ["111"] = 0.5 }));
    }
}
