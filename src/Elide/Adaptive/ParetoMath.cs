namespace Elide.Adaptive;

/// <summary>A scored configuration: accuracy to maximize, cost (latency, energy, MACs) to minimize.</summary>
/// <param name="Mask">The configuration.</param>
/// <param name="Accuracy">Its accuracy (higher is better).</param>
/// <param name="Cost">Its cost (lower is better).</param>
public readonly record struct Candidate(SkipMask Mask, double Accuracy, double Cost);

/// <summary>Two-objective Pareto utilities: dominance, the non-dominated set, hypervolume, and NSGA-II's ranking.</summary>
public static class ParetoMath
{
    /// <summary>a dominates b: at least as accurate and as cheap, and strictly better in one.</summary>
    public static bool Dominates(in Candidate a, in Candidate b) =>
        a.Accuracy >= b.Accuracy && a.Cost <= b.Cost && (a.Accuracy > b.Accuracy || a.Cost < b.Cost);

    /// <summary>The candidates no other candidate dominates, sorted by increasing cost (one per (accuracy, cost) pair).</summary>
    public static IReadOnlyList<Candidate> NonDominated(IEnumerable<Candidate> candidates)
    {
        // Sort by cost, then accuracy descending; sweep keeping each point that beats the best accuracy seen so far.
        var sorted = candidates.OrderBy(c => c.Cost).ThenByDescending(c => c.Accuracy).ThenBy(c => c.Mask.ToString(), StringComparer.Ordinal).ToList();
        var front = new List<Candidate>();
        double best = double.NegativeInfinity;
        foreach (var c in sorted)
        {
            if (c.Accuracy <= best) continue;
            front.Add(c);
            best = c.Accuracy;
        }
        return front;
    }

    /// <summary>
    /// Area of the (cost, accuracy) region dominated by <paramref name="candidates"/> and bounded by the reference point
    /// (cost ≤ <paramref name="referenceCost"/>, accuracy ≥ <paramref name="referenceAccuracy"/>): the 2-D
    /// hypervolume indicator (Zitzler &amp; Thiele 1998). Points outside the reference box contribute nothing.
    /// </summary>
    public static double Hypervolume(IEnumerable<Candidate> candidates, double referenceCost, double referenceAccuracy)
    {
        var front = NonDominated(candidates.Where(c => c.Cost <= referenceCost && c.Accuracy >= referenceAccuracy));
        double volume = 0;
        for (int i = 0; i < front.Count; i++)
        {
            double nextCost = i + 1 < front.Count ? front[i + 1].Cost : referenceCost;
            volume += (nextCost - front[i].Cost) * (front[i].Accuracy - referenceAccuracy);
        }
        return volume;
    }

    /// <summary>
    /// NSGA-II's fast non-dominated sort (Deb et al., IEEE TEC 6(2), 2002, §III-A): rank 0 holds the candidates nobody
    /// dominates, rank 1 those dominated only by rank 0, and so on. Returns the index lists of each rank.
    /// </summary>
    public static List<List<int>> NonDominatedSort(IReadOnlyList<Candidate> population)
    {
        int n = population.Count;
        var dominated = new List<int>[n];
        var dominationCount = new int[n];
        var fronts = new List<List<int>> { new() };
        for (int p = 0; p < n; p++)
        {
            dominated[p] = [];
            for (int q = 0; q < n; q++)
            {
                if (p == q) continue;
                if (Dominates(population[p], population[q])) dominated[p].Add(q);
                else if (Dominates(population[q], population[p])) dominationCount[p]++;
            }
            if (dominationCount[p] == 0) fronts[0].Add(p);
        }
        for (int i = 0; fronts[i].Count > 0; i++)
        {
            var next = new List<int>();
            foreach (int p in fronts[i])
                foreach (int q in dominated[p])
                    if (--dominationCount[q] == 0) next.Add(q);
            fronts.Add(next);
        }
        fronts.RemoveAt(fronts.Count - 1);
        return fronts;
    }

    /// <summary>
    /// NSGA-II crowding distance (Deb et al. 2002, §III-B) of the candidates <paramref name="front"/> indexes: per
    /// objective, the normalized gap between each point's two neighbours; boundary points get +∞ so they survive.
    /// </summary>
    public static double[] CrowdingDistance(IReadOnlyList<Candidate> population, IReadOnlyList<int> front)
    {
        var distance = new double[front.Count];
        foreach (var objective in new Func<Candidate, double>[] { c => c.Accuracy, c => c.Cost })
        {
            var order = Enumerable.Range(0, front.Count).OrderBy(i => objective(population[front[i]])).ToArray();
            double lo = objective(population[front[order[0]]]), hi = objective(population[front[order[^1]]]);
            distance[order[0]] = distance[order[^1]] = double.PositiveInfinity;
            if (hi <= lo) continue;
            for (int k = 1; k < order.Length - 1; k++)
                distance[order[k]] += (objective(population[front[order[k + 1]]]) - objective(population[front[order[k - 1]]])) / (hi - lo);
        }
        return distance;
    }
}
