using Elide.Adaptive;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Adaptive;

public class RealNetworkSearchTests
{
    [Theory]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public void SearchOnAResNet26ReachesNinetyEightPercentOfTheExhaustiveHypervolume(int dataSeed)
    {
        // ResNet-26: 12 residual blocks, 2 of them downsampling, so 2^10 = 1024 valid configurations.
        var graph = TinyNetworks.Build(26);
        var options = new SessionOptions { Threads = 1 };
        var session = new InferenceSession(graph, options);
        Assert.Equal(12, session.Blocks.Count);
        var data = TinyNetworks.SelfLabelled(session, 48, dataSeed);
        var evaluator = new CachingEvaluator(SegmentedModel.TryCreate(graph, session.Blocks, options)!, data, batchSize: 48);
        var work = ConfigurationWork.Of(session, session.GetPlan(new Shape(1, 1, 9, 9)));
        double Cost(SkipMask m) => work.MacsPerImage(m); // deterministic cost: tests never time anything

        var everything = new List<SkipMask>();
        for (int bits = 0; bits < 1 << 12; bits++)
        {
            var m = new SkipMask(Enumerable.Range(0, 12).Select(b => (bits >> b & 1) == 1));
            if (m.Runs(4) && m.Runs(8)) everything.Add(m);
        }
        Assert.Equal(1024, everything.Count);
        var scores = evaluator.Evaluate(everything);
        var exact = everything.Select((m, i) => new Candidate(m, scores[i], Cost(m))).ToList();
        double refCost = exact.Max(c => c.Cost), refAccuracy = exact.Min(c => c.Accuracy);

        var memo = new MemoizingEvaluator(evaluator);
        var result = FrontSearch.Run(memo, Cost, new FrontSearchOptions(Evolution: new Nsga2Options(Population: 32, Generations: 20)));
        double found = ParetoMath.Hypervolume(result.Front, refCost, refAccuracy);
        double best = ParetoMath.Hypervolume(exact, refCost, refAccuracy);
        Assert.True(found >= 0.98 * best, $"hypervolume {found:g4} is {found / best:P2} of the exact {best:g4}; {memo.NewEvaluations} evals\nexact: " + string.Join(" ", ParetoMath.NonDominated(exact).Select(c => $"{c.Mask}:{c.Accuracy:F3}@{c.Cost/1e3:F0}")) + "\nfound: " + string.Join(" ", result.Front.Select(c => $"{c.Mask}:{c.Accuracy:F3}@{c.Cost/1e3:F0}")));
        Assert.True(memo.NewEvaluations < 512, $"{memo.NewEvaluations} evaluations");
        // Found accuracies are the same numbers exhaustive evaluation gives.
        foreach (var c in result.Front) Assert.Equal(exact.First(e => e.Mask.Equals(c.Mask)).Accuracy, c.Accuracy, 12);
    }
}
