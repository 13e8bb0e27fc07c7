namespace Elide.Training;

/// <summary>How the survival probability p_l of residual block l follows from p_L.</summary>
public enum StochasticDepthRule
{
    /// <summary>p_l = 1 − (l/L)·(1 − p_L): early blocks almost always kept (Huang et al. 2016, the default).</summary>
    Linear = 0,

    /// <summary>p_l = p_L for every droppable block (Huang et al. 2016 §4 compare it with linear decay; LayerDrop, Fan et al. 2019,
    /// drops every layer at one rate so that any of them can be pruned at inference).</summary>
    Uniform = 1,
}

/// <summary>
/// Stochastic Depth (Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016, §3): during training residual
/// block l of L (1-based) survives with probability p_l = 1 − (l/L)·(1 − p_L), the linear decay rule; a dropped block
/// passes its input through unchanged. At test time every block runs with its residual branch scaled by p_l.
/// </summary>
/// <remarks>
/// Draws are reproducible per (seed, step) with SplitMix64 (Steele et al. 2014), so a training run can be replayed
/// and a step's drop pattern does not depend on how many steps ran before it in this process.
/// </remarks>
public static class StochasticDepth
{
    /// <summary>p_l = 1 − (l/L)·(1 − p_L) for the block at zero-based <paramref name="index"/> (l = index + 1) of <paramref name="blockCount"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [0, L) or p_L is outside [0, 1].</exception>
    public static double LinearDecay(int index, int blockCount, double finalSurvivalProbability)
    {
        if ((uint)index >= (uint)blockCount) throw new ArgumentOutOfRangeException(nameof(index), index, $"block index must be in [0, {blockCount})");
        if (finalSurvivalProbability is < 0 or > 1 || double.IsNaN(finalSurvivalProbability))
            throw new ArgumentOutOfRangeException(nameof(finalSurvivalProbability), finalSurvivalProbability, "p_L must be in [0, 1]");
        return 1.0 - (index + 1.0) / blockCount * (1.0 - finalSurvivalProbability);
    }

    /// <summary>p_l of the block at zero-based <paramref name="index"/> of <paramref name="blockCount"/> under <paramref name="rule"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [0, L), p_L is outside [0, 1] or the rule is unknown.</exception>
    public static double SurvivalProbability(StochasticDepthRule rule, int index, int blockCount, double finalSurvivalProbability)
    {
        double linear = LinearDecay(index, blockCount, finalSurvivalProbability); // validates the index and p_L for both rules
        return rule switch
        {
            StochasticDepthRule.Linear => linear,
            StochasticDepthRule.Uniform => finalSurvivalProbability,
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "unknown Stochastic Depth rule"),
        };
    }

    /// <summary>
    /// Which blocks survive at training step <paramref name="step"/>: block i is kept iff u_i &lt; p_i, with u_i a
    /// uniform draw in [0, 1) from the SplitMix64 stream seeded by (<paramref name="seed"/>, step).
    /// </summary>
    public static bool[] SampleSurvivors(IReadOnlyList<double> survivalProbabilities, int seed, long step)
    {
        ulong state = Mix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)step));
        var kept = new bool[survivalProbabilities.Count];
        for (int i = 0; i < kept.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            double u = (Mix(state) >> 11) * (1.0 / (1UL << 53));
            kept[i] = u < survivalProbabilities[i];
        }
        return kept;
    }

    /// <summary>The SplitMix64 output function.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
