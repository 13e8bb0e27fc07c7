namespace Elide.Adaptive;

/// <summary>Settings of the evolutionary search.</summary>
/// <param name="Population">Configurations kept per generation.</param>
/// <param name="Generations">Generations after the initial population.</param>
/// <param name="CrossoverProbability">Probability that a child mixes two parents (uniform crossover) rather than copying one.</param>
/// <param name="MutationRate">Per-block flip probability; 0 picks 1 / (skippable blocks), one flip per child on average.</param>
/// <param name="Seed">Random seed (the search is deterministic for a seed and evaluator).</param>
/// <param name="MaxEvaluations">Stop once the evaluator has scored this many new configurations (0: no limit).</param>
public sealed record Nsga2Options(int Population = 32, int Generations = 20, double CrossoverProbability = 0.9,
    double MutationRate = 0, int Seed = 7, int MaxEvaluations = 0)
{
    /// <summary>Validates the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A population below 4, negative generations, or a probability outside [0, 1].</exception>
    public void Validate()
    {
        if (Population < 4) throw new ArgumentOutOfRangeException(nameof(Population), Population, "population must be ≥ 4");
        if (Generations < 0) throw new ArgumentOutOfRangeException(nameof(Generations), Generations, "generations must be ≥ 0");
        if (CrossoverProbability is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(CrossoverProbability), CrossoverProbability, "must be in [0, 1]");
        if (MutationRate is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(MutationRate), MutationRate, "must be in [0, 1]");
    }
}

/// <summary>
/// NSGA-II (Deb, Pratap, Agarwal, Meyarivan, "A fast and elitist multiobjective genetic algorithm: NSGA-II",
/// IEEE TEC 6(2), 2002) over skip masks with two objectives, accuracy (maximize) and cost (minimize): binary
/// tournament on (rank, crowding distance), uniform crossover, bit-flip mutation restricted to skippable blocks,
/// and elitist (μ+λ) survival by non-dominated rank then crowding. Duplicate masks are not admitted twice, so the
/// population keeps its diversity when few distinct masks are near the front.
/// </summary>
public static class Nsga2Search
{
    /// <summary>Evolves a population seeded with <paramref name="seeds"/> (topped up with random masks of every density).</summary>
    /// <returns>The final population, scored.</returns>
    public static IReadOnlyList<Candidate> Run(MemoizingEvaluator evaluator, Func<SkipMask, double> cost, IEnumerable<SkipMask> seeds,
        Nsga2Options? options = null, Action<int, int>? generationDone = null)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(cost);
        options ??= new Nsga2Options();
        options.Validate();
        var rng = new Random(options.Seed);
        int n = evaluator.BlockCount;
        var skippable = Enumerable.Range(0, n).Where(evaluator.CanSkip).ToArray();
        if (skippable.Length == 0) return [new Candidate(SkipMask.All(n), evaluator.Evaluate(SkipMask.All(n)), cost(SkipMask.All(n)))];
        double mutation = options.MutationRate > 0 ? options.MutationRate : 1.0 / skippable.Length;
        int budgetStart = evaluator.NewEvaluations;
        bool OverBudget() => options.MaxEvaluations > 0 && evaluator.NewEvaluations - budgetStart >= options.MaxEvaluations;

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var initial = new List<SkipMask>();
        foreach (var s in seeds)
            if (initial.Count < options.Population && seen.Add(s.ToString())) initial.Add(s);
        for (int attempts = 0; initial.Count < options.Population && attempts < 100 * options.Population; attempts++)
        {
            // Random masks with a keep-probability drawn uniformly, so every depth is represented (a fixed 1/2 would
            // cluster the initial population around half depth).
            double keep = rng.NextDouble();
            var flags = new bool[n];
            for (int b = 0; b < n; b++) flags[b] = !evaluator.CanSkip(b) || rng.NextDouble() < keep;
            var m = new SkipMask(flags);
            if (seen.Add(m.ToString())) initial.Add(m);
        }
        var population = Score(evaluator, cost, initial);

        for (int g = 0; g < options.Generations && !OverBudget(); g++)
        {
            var (rank, crowd) = RankAndCrowd(population);
            var children = new List<SkipMask>();
            var childKeys = new HashSet<string>(population.Select(c => c.Mask.ToString()), StringComparer.Ordinal);
            for (int attempts = 0; children.Count < options.Population && attempts < 20 * options.Population; attempts++)
            {
                var a = population[Tournament(rng, rank, crowd)].Mask;
                var b = population[Tournament(rng, rank, crowd)].Mask;
                var flags = new bool[n];
                bool cross = rng.NextDouble() < options.CrossoverProbability;
                for (int i = 0; i < n; i++) flags[i] = cross ? (rng.Next(2) == 0 ? a.Runs(i) : b.Runs(i)) : a.Runs(i);
                foreach (int i in skippable) if (rng.NextDouble() < mutation) flags[i] = !flags[i];
                var child = new SkipMask(flags);
                if (childKeys.Add(child.ToString())) children.Add(child);
            }
            var merged = population.Concat(Score(evaluator, cost, children)).ToList();
            population = Survivors(merged, options.Population);
            generationDone?.Invoke(g + 1, options.Generations);
        }
        return population;
    }

    private static List<Candidate> Score(IAccuracyEvaluator evaluator, Func<SkipMask, double> cost, List<SkipMask> masks)
    {
        var scores = evaluator.Evaluate(masks);
        return masks.Select((m, i) => new Candidate(m, scores[i], cost(m))).ToList();
    }

    private static (int[] Rank, double[] Crowd) RankAndCrowd(IReadOnlyList<Candidate> population)
    {
        var rank = new int[population.Count];
        var crowd = new double[population.Count];
        var fronts = ParetoMath.NonDominatedSort(population);
        for (int r = 0; r < fronts.Count; r++)
        {
            var d = ParetoMath.CrowdingDistance(population, fronts[r]);
            for (int k = 0; k < fronts[r].Count; k++) { rank[fronts[r][k]] = r; crowd[fronts[r][k]] = d[k]; }
        }
        return (rank, crowd);
    }

    /// <summary>Binary tournament: lower rank wins, then larger crowding distance (Deb et al. 2002, crowded-comparison operator).</summary>
    private static int Tournament(Random rng, int[] rank, double[] crowd)
    {
        int a = rng.Next(rank.Length), b = rng.Next(rank.Length);
        if (rank[a] != rank[b]) return rank[a] < rank[b] ? a : b;
        return crowd[a] >= crowd[b] ? a : b;
    }

    private static List<Candidate> Survivors(List<Candidate> merged, int size)
    {
        var next = new List<Candidate>(size);
        foreach (var front in ParetoMath.NonDominatedSort(merged))
        {
            if (next.Count + front.Count <= size) { next.AddRange(front.Select(i => merged[i])); continue; }
            var d = ParetoMath.CrowdingDistance(merged, front);
            next.AddRange(Enumerable.Range(0, front.Count).OrderByDescending(k => d[k]).Take(size - next.Count).Select(k => merged[front[k]]));
            break;
        }
        return next;
    }
}
