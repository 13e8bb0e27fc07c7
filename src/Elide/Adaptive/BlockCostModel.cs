using System.Text.Json.Serialization;
using Elide.Planning;

namespace Elide.Adaptive;

/// <summary>How <see cref="BlockCostModel.Calibrate"/> chooses and times its configurations.</summary>
/// <param name="RandomConfigurations">Random configurations timed besides all-blocks and fewest-blocks; 0 picks
/// 2·(skippable blocks + 1) + 8, twice the unknowns plus a margin, so the fit is overdetermined.</param>
/// <param name="Seed">Seed of the random configurations.</param>
/// <param name="Measurement">Rounds and runs per configuration.</param>
public sealed record CostCalibrationOptions(int RandomConfigurations = 0, int Seed = 1, LatencyMeasurementOptions? Measurement = null);

/// <summary>
/// Time-predictability: latency of a configuration = a fixed cost (stem, classifier, downsampling blocks, input and
/// output copies) plus the cost of each kept skippable block. Because skipping removes a block's steps and nothing
/// else (no gates, no copies), this linear model is exact up to cache effects, which the calibration absorbs.
/// </summary>
/// <param name="Batch">Images per run the costs are for.</param>
/// <param name="FixedMs">Cost of everything that always runs, in milliseconds.</param>
/// <param name="BlockMs">Cost of each block in milliseconds (0 for blocks that cannot be skipped: theirs is in <see cref="FixedMs"/>).</param>
public sealed record BlockCostModel(
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("fixed_ms")] double FixedMs,
    [property: JsonPropertyName("block_ms")] IReadOnlyList<double> BlockMs)
{
    /// <summary>Predicted latency of one run: FixedMs + Σ_{b kept} BlockMs[b] (null mask: all blocks).</summary>
    /// <exception cref="ArgumentException">The mask length differs from the block count.</exception>
    public double PredictMs(SkipMask? mask)
    {
        if (mask is not null && mask.Count != BlockMs.Count)
            throw new ArgumentException($"skip configuration '{mask}' has {mask.Count} flags but the cost model has {BlockMs.Count} blocks", nameof(mask));
        double t = FixedMs;
        for (int b = 0; b < BlockMs.Count; b++)
            if (mask is null || mask.Runs(b)) t += BlockMs[b];
        return t;
    }

    /// <summary>
    /// Measures the fixed and per-block costs of <paramref name="plan"/> once: times all-blocks, fewest-blocks and
    /// random configurations (<see cref="MaskedLatency"/>) and fits t = fixed + Σ kept·cost by relative least squares
    /// (each equation weighted by 1/t², so every configuration's error counts as a fraction of its latency, which is
    /// how the 5% prediction target is stated). Costs that come out negative (noise on a nearly free block) are
    /// pinned to 0 and the rest refitted.
    /// </summary>
    /// <param name="plan">The plan (its batch is the model's batch).</param>
    /// <param name="options">Design and measurement options.</param>
    /// <param name="progress">Fraction done (0..1).</param>
    public static BlockCostModel Calibrate(ExecutionPlan plan, CostCalibrationOptions? options = null, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        options ??= new CostCalibrationOptions();
        var masks = DesignMasks(plan, options);
        var times = MaskedLatency.MedianMilliseconds(plan, masks.Cast<SkipMask?>().ToList(), options.Measurement, progress);
        return Fit(plan, masks, times);
    }

    /// <summary>
    /// The configurations calibration times: all blocks, fewest blocks, and random ones in which each skippable
    /// block runs with probability ½ (a balanced design: every block's cost is separated from the others' by about
    /// half the measurements).
    /// </summary>
    public static IReadOnlyList<SkipMask> DesignMasks(ExecutionPlan plan, CostCalibrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        options ??= new CostCalibrationOptions();
        int skippable = Enumerable.Range(0, plan.BlockCount).Count(plan.CanSkip);
        int extra = options.RandomConfigurations > 0 ? options.RandomConfigurations : 2 * (skippable + 1) + 8;
        var masks = new List<SkipMask> { SkipMask.All(plan.BlockCount), Minimal(plan) };
        var rng = new Random(options.Seed);
        for (int i = 0; i < extra; i++)
        {
            var flags = new bool[plan.BlockCount];
            for (int b = 0; b < flags.Length; b++) flags[b] = !plan.CanSkip(b) || rng.Next(2) == 1;
            masks.Add(new SkipMask(flags));
        }
        return masks;
    }

    /// <summary>
    /// Fits the model of <paramref name="plan"/>'s blocks to measured times of <paramref name="masks"/>, with one cost per
    /// <see cref="BlockClasses">class of identical blocks</see>.
    /// </summary>
    public static BlockCostModel Fit(ExecutionPlan plan, IReadOnlyList<SkipMask> masks, IReadOnlyList<double> milliseconds) =>
        Fit(plan.InputShapes[0][0], plan.BlockCount, Enumerable.Range(0, plan.BlockCount).Where(plan.CanSkip).ToArray(), masks, milliseconds,
            BlockClasses(plan));

    /// <summary>
    /// Groups blocks that run the same steps: equal sequences of (operation, output shape, multiply-accumulates, kernel
    /// method). Such blocks do the same work on the same shapes, so they get one cost: a ResNet stage's identity
    /// blocks are one class. Without the tie every block's cost is fitted on its own, and with tens of blocks and a
    /// shared, noisy machine the individual costs come out scattered (some pinned to 0, others double), which shows as
    /// 25 % prediction errors on configurations that keep few blocks; tying them leaves one unknown per stage.
    /// </summary>
    /// <returns>Class index per block (blocks that cannot be skipped get classes too; they are never fitted).</returns>
    public static int[] BlockClasses(ExecutionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var classes = new int[plan.BlockCount];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < plan.BlockCount; b++)
        {
            string signature = string.Join(";", plan.StepsOfBlock(b).Select(i => plan.Steps[i])
                .Select(st => $"{st.Operation}|{st.OutputShape}|{st.MultiplyAccumulates}|{st.Method}"));
            if (!seen.TryGetValue(signature, out int c)) seen[signature] = c = seen.Count;
            classes[b] = c;
        }
        return classes;
    }

    /// <summary>Fits the model to measured (configuration, milliseconds) pairs as described on <see cref="Calibrate"/>.</summary>
    /// <param name="batch">Images per run.</param>
    /// <param name="blockCount">Blocks in the model.</param>
    /// <param name="skippableBlocks">The blocks whose cost is fitted.</param>
    /// <param name="masks">Timed configurations.</param>
    /// <param name="milliseconds">Their median times.</param>
    /// <param name="blockClasses">Blocks with the same class share one cost (null: every block its own).</param>
    /// <exception cref="ArgumentException">Fewer measurements than unknowns, or mismatched lengths.</exception>
    public static BlockCostModel Fit(int batch, int blockCount, IReadOnlyList<int> skippableBlocks, IReadOnlyList<SkipMask> masks,
        IReadOnlyList<double> milliseconds, IReadOnlyList<int>? blockClasses = null)
    {
        if (masks.Count != milliseconds.Count) throw new ArgumentException($"{masks.Count} configurations but {milliseconds.Count} times");
        if (blockClasses is not null && blockClasses.Count != blockCount)
            throw new ArgumentException($"{blockClasses.Count} block classes for {blockCount} blocks");
        // The unknowns: one cost per class of skippable blocks, plus the fixed cost.
        var free = skippableBlocks.Select(b => blockClasses?[b] ?? b).Distinct().ToList();
        if (masks.Count < free.Count + 1)
            throw new ArgumentException($"{masks.Count} measurements cannot determine {free.Count + 1} costs");
        int ClassOf(int block) => blockClasses?[block] ?? block;
        double[] solution;
        while (true)
        {
            int n = free.Count + 1;
            var ata = new double[n, n];
            var atb = new double[n];
            var row = new double[n];
            for (int m = 0; m < masks.Count; m++)
            {
                Array.Clear(row);
                row[0] = 1;
                foreach (int b in skippableBlocks)
                {
                    int j = free.IndexOf(ClassOf(b));
                    if (j >= 0 && masks[m].Runs(b)) row[j + 1] += 1;
                }
                double w = 1.0 / (milliseconds[m] * milliseconds[m]);
                for (int i = 0; i < n; i++)
                {
                    atb[i] += w * row[i] * milliseconds[m];
                    for (int j = 0; j < n; j++) ata[i, j] += w * row[i] * row[j];
                }
            }
            solution = LinearSolve.Symmetric(ata, atb);
            int worst = -1;
            for (int j = 0; j < free.Count; j++)
                if (solution[j + 1] < 0 && (worst < 0 || solution[j + 1] < solution[worst + 1])) worst = j;
            if (worst < 0) break;
            free.RemoveAt(worst);
        }
        var costs = new double[blockCount];
        foreach (int b in skippableBlocks)
        {
            int j = free.IndexOf(ClassOf(b));
            if (j >= 0) costs[b] = solution[j + 1];
        }
        return new BlockCostModel(batch, solution[0], costs);
    }

    /// <summary>Every block that can be skipped is skipped.</summary>
    public static SkipMask Minimal(ExecutionPlan plan) =>
        new(Enumerable.Range(0, plan.BlockCount).Select(b => !plan.CanSkip(b)));
}
