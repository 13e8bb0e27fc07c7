namespace Elide.Adaptive;

/// <summary>How much accuracy skipping each block alone costs.</summary>
/// <param name="FullAccuracy">Accuracy with every block.</param>
/// <param name="Drop">Per block: FullAccuracy − accuracy with only that block skipped (NaN for blocks that cannot be skipped).</param>
/// <param name="Order">Skippable blocks from least to most sensitive (ties: later block first, since later blocks are
/// the ones Stochastic Depth drops most often in training).</param>
public sealed record BlockSensitivity(double FullAccuracy, IReadOnlyList<double> Drop, IReadOnlyList<int> Order);

/// <summary>
/// Per-block sensitivity: score all-blocks and each "all but block b" configuration (one evaluation per block).
/// The follow-up work on this line (PAPERS.md §1) found measured per-block sensitivity the best ordering for
/// choosing blocks to skip, ahead of weight-norm, Fisher, Hessian and random orderings.
/// </summary>
public static class SensitivityRanking
{
    /// <summary>Measures the sensitivity of every skippable block.</summary>
    public static BlockSensitivity Measure(IAccuracyEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        int n = evaluator.BlockCount;
        var all = SkipMask.All(n);
        var skippable = Enumerable.Range(0, n).Where(evaluator.CanSkip).ToArray();
        var masks = new List<SkipMask> { all };
        masks.AddRange(skippable.Select(b => all.With(b, false)));
        var scores = evaluator.Evaluate(masks);
        var drop = Enumerable.Repeat(double.NaN, n).ToArray();
        for (int i = 0; i < skippable.Length; i++) drop[skippable[i]] = scores[0] - scores[i + 1];
        var order = skippable.OrderBy(b => drop[b]).ThenByDescending(b => b).ToArray();
        return new BlockSensitivity(scores[0], drop, order);
    }

    /// <summary>The configurations that skip the k least sensitive blocks, k = 0 … all skippable (cumulative removal in ranking order).</summary>
    public static IReadOnlyList<SkipMask> CumulativePath(BlockSensitivity sensitivity, int blockCount)
    {
        var path = new List<SkipMask> { SkipMask.All(blockCount) };
        foreach (int b in sensitivity.Order) path.Add(path[^1].With(b, false));
        return path;
    }
}
