using System.Diagnostics;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Runtime;

/// <summary>Latency statistics of repeated runs.</summary>
/// <param name="Batch">Images per run.</param>
/// <param name="Threads">Kernel threads.</param>
/// <param name="Iterations">Timed runs.</param>
/// <param name="MedianMs">Median latency of one run.</param>
/// <param name="P90Ms">90th percentile latency.</param>
/// <param name="MinMs">Fastest run.</param>
/// <param name="MeanMs">Mean latency.</param>
public sealed record LatencyStats(int Batch, int Threads, int Iterations, double MedianMs, double P90Ms, double MinMs, double MeanMs)
{
    /// <summary>Throughput at the median latency.</summary>
    public double ImagesPerSecond => Batch / (MedianMs / 1000.0);

    /// <summary>Summary statistics of per-run durations in milliseconds.</summary>
    public static LatencyStats From(int batch, int threads, IReadOnlyList<double> timesMs)
    {
        if (timesMs.Count == 0) throw new ArgumentException("no timed runs", nameof(timesMs));
        var sorted = timesMs.Order().ToArray();
        return new LatencyStats(batch, threads, sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.9), sorted[0], sorted.Average());
    }

    /// <summary>Linear-interpolated percentile of sorted data.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

/// <summary>Times a plan: warm-up, then runs until both a minimum count and a minimum duration are reached.</summary>
public static class LatencyBenchmark
{
    /// <summary>Benchmarks <paramref name="plan"/> on a seeded random input.</summary>
    /// <param name="plan">The plan (input 0's first dimension is the batch).</param>
    /// <param name="threads">Threads, recorded in the result.</param>
    /// <param name="minIterations">At least this many timed runs.</param>
    /// <param name="minSeconds">And at least this much timed wall-clock time.</param>
    /// <param name="warmupSeconds">Untimed runs first (JIT tiers, caches, worker spin-up).</param>
    /// <param name="progress">Called after each timed run with the fraction done (0..1), if given.</param>
    /// <param name="maxIterations">Hard cap on timed runs.</param>
    public static LatencyStats Run(ExecutionPlan plan, int threads, int minIterations = 20, double minSeconds = 2.0,
        double warmupSeconds = 0.5, Action<double>? progress = null, int maxIterations = 100_000)
    {
        var inputs = plan.InputShapes.Select((s, i) => (ReadOnlyMemory<float>)Tensor.Random(s, 1234 + i, 0f, 1f).Data).ToList();
        var outputs = plan.OutputShapes.Select(s => (Memory<float>)new float[s.ElementCount]).ToList();
        var warm = Stopwatch.StartNew();
        int warmRuns = 0;
        while (warmRuns < 2 || warm.Elapsed.TotalSeconds < warmupSeconds)
        {
            plan.Run(inputs, outputs);
            warmRuns++;
        }
        var times = new List<double>(Math.Min(maxIterations, 4096));
        var total = Stopwatch.StartNew();
        while ((times.Count < minIterations || total.Elapsed.TotalSeconds < minSeconds) && times.Count < maxIterations)
        {
            long t0 = Stopwatch.GetTimestamp();
            plan.Run(inputs, outputs);
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            progress?.Invoke(Math.Min(1.0, Math.Min(times.Count / (double)minIterations, total.Elapsed.TotalSeconds / minSeconds)));
        }
        return LatencyStats.From(plan.InputShapes[0][0], threads, times);
    }
}
