using System.Diagnostics;
using Elide.Adaptive;
using Elide.Planning;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Server.Adaptive;

/// <summary>
/// The configurations a served model may run, from most accurate (level 0) to fastest, with their predicted
/// latencies. Built from the model's Pareto front when one is given (points below the accuracy floor dropped, and
/// points that are not faster than a more accurate one dropped), otherwise from a default ladder that skips one
/// more identity block per rung with unknown accuracy; in fixed mode it has exactly one rung.
/// </summary>
public sealed class OperatingLadder
{
    private OperatingLadder(IReadOnlyList<ServingPoint> points, LatencyModel latency, bool accuracyKnown, ParetoFront? front)
    {
        Points = points;
        Latency = latency;
        AccuracyKnown = accuracyKnown;
        Front = front;
    }

    /// <summary>A ladder from given rungs and latency model (tests and tools that calibrate elsewhere).</summary>
    internal static OperatingLadder Create(IReadOnlyList<ServingPoint> points, LatencyModel latency, ParetoFront? front = null) =>
        new(points, latency, points.All(p => p.Accuracy is not null), front);

    /// <summary>The rungs, level 0 first (most accurate).</summary>
    public IReadOnlyList<ServingPoint> Points { get; }

    /// <summary>Predicted and observed batch latencies.</summary>
    public LatencyModel Latency { get; }

    /// <summary>True when the accuracies come from a front; false for the default ladder.</summary>
    public bool AccuracyKnown { get; }

    /// <summary>The front the ladder came from, if any (reported in model metadata).</summary>
    public ParetoFront? Front { get; }

    /// <summary>Accuracy of the deepest rung (the reference for accuracy cost), or null.</summary>
    public double? ReferenceAccuracy => Points[0].Accuracy;

    /// <summary>
    /// Chooses the rungs and calibrates their latency: for every plan size, times the deepest and the shallowest
    /// rung (median of <see cref="Hosting.ServerOptions.CalibrationRuns"/> runs after one warm-up run).
    /// </summary>
    /// <param name="planFor">The plan for a batch size (cached by the caller).</param>
    /// <param name="blocks">Residual block count of the model (mask length).</param>
    /// <param name="front">The Pareto front, or null.</param>
    /// <param name="fixedConfig">A pinned mask, or null to adapt.</param>
    /// <param name="accuracyFloor">Lowest accuracy allowed, or null.</param>
    /// <param name="planSizes">Batch sizes to calibrate.</param>
    /// <param name="calibrationRuns">Timed runs per measurement.</param>
    /// <exception cref="ArgumentException">Masks that do not fit the model, a floor with no accuracies, or a floor no point meets.</exception>
    public static OperatingLadder Build(Func<int, ExecutionPlan> planFor, int blocks, ParetoFront? front, string? fixedConfig,
        double? accuracyFloor, IReadOnlyList<int> planSizes, int calibrationRuns)
    {
        var single = planFor(1);
        var masks = ChooseMasks(single, blocks, front, fixedConfig, accuracyFloor);
        var points = masks.Select((m, level) => new ServingPoint(level, m.Mask, m.Accuracy, m.TestAccuracy, Macs(single, m.Mask), m.Unscaled)).ToList();

        var calibration = new List<IReadOnlyList<(long, double)>>();
        foreach (int size in planSizes)
        {
            var plan = planFor(size);
            var chosen = points.Count == 1 ? [points[0]] : new[] { points[0], points[^1] };
            calibration.Add(chosen.Select(p => (p.MultiplyAccumulates, MedianMs(plan, p.Mask, calibrationRuns))).ToList());
        }
        var model = new LatencyModel(planSizes, points.Select(p => p.MultiplyAccumulates).ToList(), calibration);
        return new OperatingLadder(points, model, points.All(p => p.Accuracy is not null), front);
    }

    private sealed record Candidate(SkipMask Mask, double? Accuracy, double? TestAccuracy, bool Unscaled = false);

    private static List<Candidate> ChooseMasks(ExecutionPlan plan, int blocks, ParetoFront? front, string? fixedConfig, double? floor)
    {
        if (fixedConfig is not null)
        {
            // MASK runs the model as loaded (scaled); MASK:unscaled (the label /metrics and merged fronts use) runs it
            // with the branch scales divided out. Only a point measured on the same variant describes its accuracy.
            (string maskText, bool unscaled) pinned;
            try { pinned = OperatingPoint.ParseLabel(fixedConfig); }
            catch (ArgumentException e) { throw new ArgumentException("--config " + e.Message, e); }
            var (maskText, unscaled) = pinned;
            var mask = CheckMask(plan, blocks, maskText, "--config");
            var known = front?.Front.FirstOrDefault(p => p.Config == mask.ToString() && (p.Unscaled || front.IsUnscaled) == unscaled);
            if (floor is { } f && known is not null && known.ValAccuracy < f)
                throw new ArgumentException($"--config {fixedConfig} has validation accuracy {known.ValAccuracy:0.####}, below --accuracy-floor {f}");
            return [new Candidate(mask, known?.ValAccuracy, known?.TestAccuracy, unscaled)];
        }
        if (front is null)
        {
            if (floor is not null)
                throw new ArgumentException("--accuracy-floor needs the model's Pareto front (<model>.front.json from `elide explore`); without one the accuracies of the default ladder are unknown");
            return DefaultLadder(plan, blocks).Select(m => new Candidate(m, null, null)).ToList();
        }
        if (front.Blocks != blocks)
            throw new ArgumentException($"the Pareto front is for a model with {front.Blocks} residual blocks but this model has {blocks}");
        var candidates = front.Front
            .Where(p => !double.IsNaN(p.ValAccuracy))
            .Select(p => new Candidate(CheckMask(plan, blocks, p.Config, "front configuration"), p.ValAccuracy, p.TestAccuracy, p.Unscaled || front.IsUnscaled))
            .ToList();
        if (floor is { } fl)
        {
            candidates = candidates.Where(c => c.Accuracy >= fl).ToList();
            if (candidates.Count == 0)
                throw new ArgumentException($"no configuration of the front reaches --accuracy-floor {fl} (best: {front.Front.Max(p => p.ValAccuracy):0.####})");
        }
        if (candidates.Count == 0) throw new ArgumentException("the Pareto front has no point with a validation accuracy");
        // Most accurate first; keep a point only if it does strictly less work than every more accurate one.
        var ladder = new List<Candidate>();
        long fewest = long.MaxValue;
        foreach (var c in candidates.OrderByDescending(c => c.Accuracy).ThenBy(c => Macs(plan, c.Mask)))
        {
            long m = Macs(plan, c.Mask);
            if (m >= fewest) continue;
            ladder.Add(c);
            fewest = m;
        }
        return ladder;
    }

    private static SkipMask CheckMask(ExecutionPlan plan, int blocks, string text, string what)
    {
        var mask = SkipMask.Parse(text);
        if (mask.Count != blocks) throw new ArgumentException($"{what} '{text}' has {mask.Count} flags but the model has {blocks} residual blocks");
        for (int b = 0; b < blocks; b++)
            if (!mask.Runs(b) && !plan.CanSkip(b))
                throw new ArgumentException($"{what} '{text}' skips block {b}, which cannot be skipped (a downsampling block)");
        return mask;
    }

    /// <summary>
    /// All blocks, then one more skipped identity block per rung. Stages are the runs of skippable blocks between
    /// downsampling blocks; each round skips the last still-running block of every stage in turn, because in
    /// stochastic-depth training the late blocks of a stage have the lowest survival probability and their removal
    /// costs the least accuracy (Huang et al. 2016, §4 and Fig. 8; Veit et al. 2016, §4).
    /// </summary>
    public static IReadOnlyList<SkipMask> DefaultLadder(ExecutionPlan plan, int blocks)
    {
        var stages = new List<List<int>>();
        var current = new List<int>();
        for (int b = 0; b < blocks; b++)
        {
            if (plan.CanSkip(b)) { current.Add(b); continue; }
            if (current.Count > 0) stages.Add(current);
            current = [];
        }
        if (current.Count > 0) stages.Add(current);

        var mask = SkipMask.All(blocks);
        var ladder = new List<SkipMask> { mask };
        int rounds = stages.Count == 0 ? 0 : stages.Max(s => s.Count);
        for (int r = 0; r < rounds; r++)
            foreach (var stage in stages)
                if (r < stage.Count)
                {
                    mask = mask.With(stage[stage.Count - 1 - r], false);
                    ladder.Add(mask);
                }
        return ladder;
    }

    /// <summary>MACs per image when running <paramref name="mask"/> on a batch-1 plan.</summary>
    public static long Macs(ExecutionPlan plan, SkipMask mask)
    {
        long total = plan.TotalMultiplyAccumulates;
        for (int b = 0; b < mask.Count; b++)
            if (!mask.Runs(b))
                foreach (int s in plan.StepsOfBlock(b)) total -= plan.Steps[s].MultiplyAccumulates;
        return total;
    }

    private static double MedianMs(ExecutionPlan plan, SkipMask mask, int runs)
    {
        var input = new float[plan.InputShapes[0].ElementCount];
        var rng = new Random(1);
        for (int i = 0; i < input.Length; i++) input[i] = (float)rng.NextDouble();
        var output = new float[plan.OutputShapes[0].ElementCount];
        plan.Run(input, output, mask); // warm-up: JIT tiers, first touch of the arena
        var times = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            plan.Run(input, output, mask);
            times[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return LatencyStats.Percentile(times.Order().ToArray(), 0.5);
    }
}
