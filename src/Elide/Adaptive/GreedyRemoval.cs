namespace Elide.Adaptive;

/// <summary>
/// Greedy backward elimination: start from all blocks; at each step try removing each remaining skippable block and
/// keep the removal that loses the least accuracy per unit of cost saved; repeat until nothing is left to skip. The
/// path visits one configuration per depth, each a good trade-off given the previous one. Each step's candidates
/// are scored as one batch so a prefix-caching evaluator shares their common prefixes.
/// </summary>
public static class GreedyRemoval
{
    /// <summary>The greedy path from all blocks to the fewest, with each configuration's accuracy and cost.</summary>
    /// <param name="evaluator">Scores configurations.</param>
    /// <param name="cost">The cost to trade against (e.g. predicted latency); must be lower when a block is removed.</param>
    /// <param name="candidateLimit">If &gt; 0, only the this-many least sensitive remaining blocks (per <paramref name="sensitivity"/>) are tried per step.</param>
    /// <param name="sensitivity">Ranking used by <paramref name="candidateLimit"/>.</param>
    public static IReadOnlyList<Candidate> Run(IAccuracyEvaluator evaluator, Func<SkipMask, double> cost, int candidateLimit = 0, BlockSensitivity? sensitivity = null)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(cost);
        if (candidateLimit > 0 && sensitivity is null) throw new ArgumentException("a candidate limit needs a sensitivity ranking", nameof(sensitivity));
        var current = SkipMask.All(evaluator.BlockCount);
        var path = new List<Candidate> { new(current, evaluator.Evaluate([current])[0], cost(current)) };
        while (true)
        {
            IEnumerable<int> remaining = Enumerable.Range(0, current.Count).Where(b => current.Runs(b) && evaluator.CanSkip(b));
            if (candidateLimit > 0) remaining = sensitivity!.Order.Where(b => current.Runs(b)).Take(candidateLimit);
            var blocks = remaining.ToArray();
            if (blocks.Length == 0) break;
            var masks = blocks.Select(b => current.With(b, false)).ToList();
            var scores = evaluator.Evaluate(masks);
            var here = path[^1];
            int best = -1;
            double bestScore = double.PositiveInfinity;
            for (int i = 0; i < masks.Count; i++)
            {
                double saved = Math.Max(here.Cost - cost(masks[i]), 1e-12);
                double score = (here.Accuracy - scores[i]) / saved;
                if (score < bestScore) { bestScore = score; best = i; }
            }
            current = masks[best];
            path.Add(new Candidate(current, scores[best], cost(current)));
        }
        return path;
    }
}
