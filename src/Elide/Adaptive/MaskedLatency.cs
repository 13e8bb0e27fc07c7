using System.Diagnostics;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Adaptive;

/// <summary>How latencies of skip configurations are measured.</summary>
/// <param name="Rounds">Passes over all configurations, each in a new seeded random order; each pass times every
/// configuration, so slow drifts in machine load (other processes, frequency) spread evenly over them instead of
/// biasing whichever was timed last.</param>
/// <param name="RunsPerRound">Timed runs of one configuration per pass.</param>
/// <param name="WarmupSeconds">Untimed runs of the full model first (JIT tiers, caches, worker spin-up).</param>
public sealed record LatencyMeasurementOptions(int Rounds = 5, int RunsPerRound = 5, double WarmupSeconds = 0.3)
{
    /// <summary>Validates the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count below 1 or a negative warm-up.</exception>
    public void Validate()
    {
        if (Rounds < 1) throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, "rounds must be ≥ 1");
        if (RunsPerRound < 1) throw new ArgumentOutOfRangeException(nameof(RunsPerRound), RunsPerRound, "runs per round must be ≥ 1");
        if (WarmupSeconds < 0) throw new ArgumentOutOfRangeException(nameof(WarmupSeconds), WarmupSeconds, "warm-up must be ≥ 0");
    }
}

/// <summary>Median wall-clock latency of skip configurations on one plan (median of many runs, interleaved).</summary>
public static class MaskedLatency
{
    /// <summary>
    /// The median latency in milliseconds of one run of <paramref name="plan"/> under each mask (null: all blocks),
    /// on a seeded random input. The first run after a mask switch is not timed (it pays the cache misses of the
    /// newly bound buffers, not the configuration's steady cost).
    /// </summary>
    /// <param name="plan">The plan to time.</param>
    /// <param name="masks">Configurations to time.</param>
    /// <param name="options">Rounds, runs and warm-up.</param>
    /// <param name="progress">Called with the fraction done (0..1), if given.</param>
    /// <exception cref="ArgumentException">A mask does not fit the plan.</exception>
    public static double[] MedianMilliseconds(ExecutionPlan plan, IReadOnlyList<SkipMask?> masks,
        LatencyMeasurementOptions? options = null, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(masks);
        options ??= new LatencyMeasurementOptions();
        options.Validate();
        var inputs = plan.InputShapes.Select((s, i) => (ReadOnlyMemory<float>)Tensor.Random(s, 1234 + i, 0f, 1f).Data).ToList();
        var outputs = plan.OutputShapes.Select(s => (Memory<float>)new float[s.ElementCount]).ToList();
        foreach (var m in masks) plan.Run(inputs, outputs, m); // validates every mask before any timing
        var warm = Stopwatch.StartNew();
        do plan.Run(inputs, outputs, null); while (warm.Elapsed.TotalSeconds < options.WarmupSeconds);

        var times = masks.Select(_ => new List<double>(options.Rounds * options.RunsPerRound)).ToArray();
        int total = options.Rounds * masks.Count, done = 0;
        var order = Enumerable.Range(0, masks.Count).ToArray();
        var shuffle = new Random(97);
        for (int r = 0; r < options.Rounds; r++)
        {
            // A fresh order every round: whatever depends on the position within a round (the mask timed before, the
            // progress display between masks, periodic load on the other core) spreads over all masks instead of
            // biasing the ones always timed first (measured: a uniform 9 % at batch 1 on the masks listed first).
            shuffle.Shuffle(order);
            foreach (int i in order)
            {
                plan.Run(inputs, outputs, masks[i]);
                for (int k = 0; k < options.RunsPerRound; k++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    plan.Run(inputs, outputs, masks[i]);
                    times[i].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                progress?.Invoke(++done / (double)total);
            }
        }
        return times.Select(Median).ToArray();
    }

    /// <summary>
    /// <see cref="Runtime.LatencyBenchmark.Run"/> for one configuration: warm-up, then timed runs of
    /// <paramref name="plan"/> under <paramref name="mask"/> until both <paramref name="minIterations"/> and
    /// <paramref name="minSeconds"/> are reached (`elide bench --config`).
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not fit the plan.</exception>
    public static Runtime.LatencyStats Benchmark(ExecutionPlan plan, SkipMask? mask, int threads, int minIterations = 20, double minSeconds = 2.0,
        double warmupSeconds = 0.5, Action<double>? progress = null, int maxIterations = 100_000)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var inputs = plan.InputShapes.Select((s, i) => (ReadOnlyMemory<float>)Tensor.Random(s, 1234 + i, 0f, 1f).Data).ToList();
        var outputs = plan.OutputShapes.Select(s => (Memory<float>)new float[s.ElementCount]).ToList();
        var warm = Stopwatch.StartNew();
        int warmRuns = 0;
        while (warmRuns < 2 || warm.Elapsed.TotalSeconds < warmupSeconds) { plan.Run(inputs, outputs, mask); warmRuns++; }
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while ((times.Count < minIterations || total.Elapsed.TotalSeconds < minSeconds) && times.Count < maxIterations)
        {
            long t0 = Stopwatch.GetTimestamp();
            plan.Run(inputs, outputs, mask);
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            progress?.Invoke(Math.Min(1.0, Math.Min(times.Count / (double)minIterations, total.Elapsed.TotalSeconds / minSeconds)));
        }
        return Runtime.LatencyStats.From(plan.InputShapes[0][0], threads, times);
    }

    /// <summary>The median of <paramref name="values"/> (mean of the middle two for an even count).</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }
}
