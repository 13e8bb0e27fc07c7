using Elide.Adaptive;

namespace Elide.Tests.Adaptive;

/// <summary>
/// A stand-in for a trained ResNet with known ground truth: each block has a sensitivity (early blocks hurt more
/// when skipped, as Stochastic Depth's linear decay makes them), consecutive skipped blocks hurt extra (interaction),
/// and accuracy saturates at chance level. Non-skippable blocks at the given positions.
/// </summary>
internal sealed class SyntheticAccuracyModel : IAccuracyEvaluator
{
    private readonly double[] sensitivity;
    private readonly bool[] skippable;
    private readonly double pairPenalty;

    public SyntheticAccuracyModel(int blocks, int seed, int[] fixedBlocks, double pairPenalty = 0.02)
    {
        var rng = new Random(seed);
        sensitivity = Enumerable.Range(0, blocks).Select(b => (0.002 + 0.05 * rng.NextDouble()) * (1.5 - (double)b / blocks)).ToArray();
        skippable = Enumerable.Range(0, blocks).Select(b => !fixedBlocks.Contains(b)).ToArray();
        BlockCost = Enumerable.Range(0, blocks).Select(b => 1.0 + 0.5 * rng.NextDouble()).ToArray();
        this.pairPenalty = pairPenalty;
    }

    public double[] BlockCost { get; }

    public int Calls { get; private set; }

    public int BlockCount => sensitivity.Length;

    public bool CanSkip(int block) => skippable[block];

    public double Cost(SkipMask m) => 2.0 + Enumerable.Range(0, BlockCount).Where(m.Runs).Sum(b => BlockCost[b]);

    public double Accuracy(SkipMask m)
    {
        double loss = 0;
        for (int b = 0; b < BlockCount; b++)
        {
            if (m.Runs(b)) continue;
            loss += sensitivity[b];
            if (b > 0 && !m.Runs(b - 1)) loss += pairPenalty * (1 + sensitivity[b] * 10);
        }
        return 0.1 + 0.85 * Math.Exp(-loss * 3);
    }

    public IReadOnlyList<double> Evaluate(IReadOnlyList<SkipMask> masks)
    {
        Calls += masks.Count;
        return masks.Select(Accuracy).ToArray();
    }

    /// <summary>Every valid configuration.</summary>
    public IEnumerable<SkipMask> All()
    {
        int n = BlockCount;
        for (int bits = 0; bits < 1 << n; bits++)
        {
            var flags = Enumerable.Range(0, n).Select(b => (bits >> b & 1) == 1).ToArray();
            if (Enumerable.Range(0, n).All(b => flags[b] || skippable[b])) yield return new SkipMask(flags);
        }
    }
}
