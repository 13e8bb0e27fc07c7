namespace Elide.Adaptive;

/// <summary>Which search stages run.</summary>
/// <param name="Greedy">Run greedy backward elimination (about S²/2 evaluations for S skippable blocks).</param>
/// <param name="GreedyCandidateLimit">If &gt; 0, greedy tries only this many least-sensitive blocks per step (about k·S evaluations).</param>
/// <param name="Evolution">NSGA-II settings (null: defaults).</param>
/// <param name="RefinementPasses">Passes of local refinement after evolution: every front configuration's one-block
/// neighbours (one flag flipped) are scored and the front recomputed, until it stops changing or the passes run out.</param>
public sealed record FrontSearchOptions(bool Greedy = true, int GreedyCandidateLimit = 0, Nsga2Options? Evolution = null, int RefinementPasses = 3);

/// <summary>What a search found.</summary>
/// <param name="Sensitivity">Per-block sensitivity.</param>
/// <param name="GreedyPath">Greedy removal path (empty if not run).</param>
/// <param name="Evaluated">Every configuration scored (this run and remembered ones).</param>
/// <param name="Front">The non-dominated configurations among them, by increasing cost.</param>
/// <param name="NewEvaluations">Configurations scored by this run (not remembered).</param>
public sealed record FrontSearchResult(BlockSensitivity Sensitivity, IReadOnlyList<Candidate> GreedyPath,
    IReadOnlyList<Candidate> Evaluated, IReadOnlyList<Candidate> Front, int NewEvaluations);

/// <summary>
/// Finds near-Pareto-optimal skip configurations among 2^S without exhaustive evaluation, in three stages that feed
/// each other: per-block sensitivity (S+1 evaluations) → greedy removal seeded by it → NSGA-II seeded with both
/// paths → local refinement of the front (one-flip neighbourhoods, a Pareto local search that fills the gaps the
/// evolution leaves between front points). Every evaluation goes through one <see cref="MemoizingEvaluator"/>, so no configuration is scored twice and
/// an interrupted search resumes where it stopped.
/// </summary>
public static class FrontSearch
{
    /// <summary>Runs the stages. <paramref name="progress"/> receives (stage name, fraction of the stage done).</summary>
    public static FrontSearchResult Run(MemoizingEvaluator evaluator, Func<SkipMask, double> cost, FrontSearchOptions? options = null,
        Action<string, double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(cost);
        options ??= new FrontSearchOptions();
        int before = evaluator.NewEvaluations;

        progress?.Invoke("sensitivity", 0);
        var sensitivity = SensitivityRanking.Measure(evaluator);
        progress?.Invoke("sensitivity", 1);

        IReadOnlyList<Candidate> greedy = [];
        if (options.Greedy)
        {
            progress?.Invoke("greedy", 0);
            greedy = GreedyRemoval.Run(evaluator, cost, options.GreedyCandidateLimit, options.GreedyCandidateLimit > 0 ? sensitivity : null);
            progress?.Invoke("greedy", 1);
        }

        var seeds = greedy.Select(c => c.Mask).Concat(SensitivityRanking.CumulativePath(sensitivity, evaluator.BlockCount));
        var evolution = options.Evolution ?? new Nsga2Options();
        progress?.Invoke("evolution", 0);
        Nsga2Search.Run(evaluator, cost, seeds, evolution, (g, total) => progress?.Invoke("evolution", g / (double)Math.Max(1, total)));
        progress?.Invoke("evolution", 1);

        for (int pass = 0; pass < options.RefinementPasses; pass++)
        {
            var front = ParetoMath.NonDominated(Scored(evaluator, cost));
            var neighbours = front.SelectMany(c => Enumerable.Range(0, c.Mask.Count).Where(evaluator.CanSkip).Select(b => c.Mask.With(b, !c.Mask.Runs(b))))
                .Where(m => !evaluator.TryGet(m, out _)).DistinctBy(m => m.ToString()).ToList();
            if (neighbours.Count == 0) break;
            evaluator.Evaluate(neighbours);
            progress?.Invoke("refinement", (pass + 1.0) / options.RefinementPasses);
        }

        var evaluated = evaluator.Known.Select(kv => { var m = SkipMask.Parse(kv.Key); return new Candidate(m, kv.Value, cost(m)); }).ToList();
        return new FrontSearchResult(sensitivity, greedy, evaluated, ParetoMath.NonDominated(evaluated), evaluator.NewEvaluations - before);
    }

    private static IEnumerable<Candidate> Scored(MemoizingEvaluator evaluator, Func<SkipMask, double> cost) =>
        evaluator.Known.Select(kv => { var m = SkipMask.Parse(kv.Key); return new Candidate(m, kv.Value, cost(m)); });
}
