namespace Elide.Adaptive;

/// <summary>
/// Remembers every configuration scored by an inner evaluator, so a search never pays twice for the same mask, and so
/// an interrupted exploration resumes from the configurations already scored (<see cref="Known"/> is what
/// <see cref="ExplorationState"/> persists).
/// </summary>
public sealed class MemoizingEvaluator : IAccuracyEvaluator
{
    private readonly IAccuracyEvaluator inner;
    private readonly Dictionary<string, double> known = new(StringComparer.Ordinal);

    /// <summary>Wraps <paramref name="inner"/>, starting from previously scored configurations (mask string → accuracy).</summary>
    /// <exception cref="ArgumentException">A remembered configuration has the wrong length.</exception>
    public MemoizingEvaluator(IAccuracyEvaluator inner, IReadOnlyDictionary<string, double>? remembered = null)
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (remembered is null) return;
        foreach (var (mask, accuracy) in remembered)
        {
            if (SkipMask.Parse(mask).Count != inner.BlockCount)
                throw new ArgumentException($"remembered configuration '{mask}' has {mask.Length} flags but the model has {inner.BlockCount} blocks", nameof(remembered));
            known[mask] = accuracy;
        }
    }

    /// <summary>Called after each batch of new evaluations with the number of distinct configurations scored so far.</summary>
    public Action<int>? Evaluated { get; set; }

    /// <summary>Every configuration scored so far (including remembered ones).</summary>
    public IReadOnlyDictionary<string, double> Known => known;

    /// <summary>Configurations the inner evaluator actually scored in this process.</summary>
    public int NewEvaluations { get; private set; }

    /// <inheritdoc/>
    public int BlockCount => inner.BlockCount;

    /// <inheritdoc/>
    public bool CanSkip(int block) => inner.CanSkip(block);

    /// <summary>The remembered accuracy of <paramref name="mask"/>, if it was scored.</summary>
    public bool TryGet(SkipMask mask, out double accuracy) => known.TryGetValue(mask.ToString(), out accuracy);

    /// <inheritdoc/>
    public IReadOnlyList<double> Evaluate(IReadOnlyList<SkipMask> masks)
    {
        var missing = masks.Select(m => m.ToString()).Where(k => !known.ContainsKey(k)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            var scores = inner.Evaluate(missing.Select(SkipMask.Parse).ToList());
            for (int i = 0; i < missing.Count; i++) known[missing[i]] = scores[i];
            NewEvaluations += missing.Count;
            Evaluated?.Invoke(known.Count);
        }
        return masks.Select(m => known[m.ToString()]).ToArray();
    }

    /// <summary>The accuracy of one configuration.</summary>
    public double Evaluate(SkipMask mask) => Evaluate([mask])[0];
}
