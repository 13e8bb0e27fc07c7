namespace Elide.Adaptive;

/// <summary>Something that scores skip configurations by top-1 accuracy (a real network on data, or a synthetic model).</summary>
public interface IAccuracyEvaluator
{
    /// <summary>Mask length.</summary>
    int BlockCount { get; }

    /// <summary>True when block <paramref name="block"/> may be skipped.</summary>
    bool CanSkip(int block);

    /// <summary>Top-1 accuracy (0..1) of each configuration, in the order given. Implementations may reorder the work
    /// internally (e.g. to share prefixes) but return results in input order.</summary>
    IReadOnlyList<double> Evaluate(IReadOnlyList<SkipMask> masks);
}
