namespace Elide.Server.Adaptive;

/// <summary>
/// Predicted batch latency per (ladder level, plan size). Before any traffic the prediction is a line in MACs
/// fitted per plan size to two calibration runs (deepest and shallowest configuration): compute time scales with
/// the work a mask leaves, plus a fixed part (stem, classifier, copies) the fit absorbs. Once a pair has been
/// observed, an exponentially weighted mean of its measured latencies replaces the line, and every observation
/// also rescales the line for the pairs not yet seen, so predictions follow the machine's actual speed (other
/// processes, thermal state) while traffic flows. A pair's own mean fades back into the rescaled line as it goes
/// unobserved (time constant <see cref="StaleTimeConstantMs"/>): a pair measured once during a stall would otherwise
/// keep its stalled figure for good, since the controller avoids what it predicts slow and so never measures it
/// again. Thread-safe.
/// </summary>
public sealed class LatencyModel
{
    /// <summary>Weight of a new observation in the running means.</summary>
    private const double Smoothing = 0.2;

    private readonly long[] macs;
    private readonly double[] intercept, slope, ratio;
    private readonly double[,] observed, observedAtMs;
    private readonly int[,] observations;
    private readonly Func<double> clockMs;
    private readonly object gate = new();

    /// <summary>Time constant with which an unobserved pair's own mean gives way to the rescaled line.</summary>
    public const double StaleTimeConstantMs = 2000;

    /// <param name="planSizes">Batch sizes plans exist for, ascending.</param>
    /// <param name="levelMacs">MACs per image of each ladder level.</param>
    /// <param name="calibration">Per plan size: (MACs, measured ms) pairs; one or more points.</param>
    /// <param name="clockMs">A monotonic clock in milliseconds (default: the stopwatch); only differences matter.</param>
    public LatencyModel(IReadOnlyList<int> planSizes, IReadOnlyList<long> levelMacs, IReadOnlyList<IReadOnlyList<(long Macs, double Ms)>> calibration,
        Func<double>? clockMs = null)
    {
        this.clockMs = clockMs ?? (() => System.Diagnostics.Stopwatch.GetElapsedTime(0).TotalMilliseconds);
        if (calibration.Count != planSizes.Count) throw new ArgumentException("one calibration set per plan size is required", nameof(calibration));
        PlanSizes = planSizes.ToArray();
        macs = levelMacs.ToArray();
        intercept = new double[PlanSizes.Count];
        slope = new double[PlanSizes.Count];
        ratio = Enumerable.Repeat(1.0, PlanSizes.Count).ToArray();
        observed = new double[macs.Length, PlanSizes.Count];
        observedAtMs = new double[macs.Length, PlanSizes.Count];
        observations = new int[macs.Length, PlanSizes.Count];
        for (int s = 0; s < PlanSizes.Count; s++)
        {
            var pts = calibration[s];
            if (pts.Count == 0) throw new ArgumentException($"no calibration for plan size {PlanSizes[s]}", nameof(calibration));
            var lo = pts.MinBy(p => p.Macs);
            var hi = pts.MaxBy(p => p.Macs);
            if (hi.Macs == lo.Macs) { intercept[s] = pts.Average(p => p.Ms); continue; }
            // Least squares would do the same with two points; timing noise can make the slope negative, which
            // would predict deeper = faster, so clamp to a flat line in that case.
            slope[s] = Math.Max(0, (hi.Ms - lo.Ms) / (hi.Macs - lo.Macs));
            intercept[s] = Math.Max(0, hi.Ms - slope[s] * hi.Macs);
        }
    }

    /// <summary>Batch sizes plans exist for, ascending.</summary>
    public IReadOnlyList<int> PlanSizes { get; }

    /// <summary>Predicted milliseconds to run one batch of plan size index <paramref name="sizeIndex"/> at <paramref name="level"/>.</summary>
    public double PredictMs(int level, int sizeIndex)
    {
        lock (gate) return Predict(level, sizeIndex, clockMs());
    }

    /// <summary><see cref="PredictMs"/> at <paramref name="nowMs"/>; the caller holds the lock.</summary>
    private double Predict(int level, int sizeIndex, double nowMs)
    {
        double line = Math.Max(1e-3, (intercept[sizeIndex] + slope[sizeIndex] * macs[level]) * ratio[sizeIndex]);
        if (observations[level, sizeIndex] == 0) return line;
        double own = Math.Exp(-Math.Max(0, nowMs - observedAtMs[level, sizeIndex]) / StaleTimeConstantMs);
        return own * observed[level, sizeIndex] + (1 - own) * line;
    }

    /// <summary>Records a measured batch latency.</summary>
    public void Observe(int level, int sizeIndex, double ms)
    {
        if (!(ms >= 0) || double.IsInfinity(ms)) return;
        lock (gate)
        {
            double line = Math.Max(1e-3, intercept[sizeIndex] + slope[sizeIndex] * macs[level]);
            ratio[sizeIndex] = (1 - Smoothing) * ratio[sizeIndex] + Smoothing * (ms / line);
            double now = clockMs();
            // A stale mean first fades as PredictMs would show it, so a long-unobserved pair restarts near the line.
            observed[level, sizeIndex] = observations[level, sizeIndex] == 0 ? ms
                : (1 - Smoothing) * Predict(level, sizeIndex, now) + Smoothing * ms;
            observations[level, sizeIndex]++;
            observedAtMs[level, sizeIndex] = now;
        }
    }

    /// <summary>Index of the largest plan size ≤ <paramref name="images"/> (0 when images &lt; the smallest).</summary>
    public int SizeIndexAtMost(int images)
    {
        int best = 0;
        for (int s = 0; s < PlanSizes.Count; s++) if (PlanSizes[s] <= images) best = s;
        return best;
    }

    /// <summary>Index of the smallest plan size ≥ <paramref name="images"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">More images than the largest plan holds.</exception>
    public int SizeIndexAtLeast(int images)
    {
        for (int s = 0; s < PlanSizes.Count; s++) if (PlanSizes[s] >= images) return s;
        throw new ArgumentOutOfRangeException(nameof(images), $"{images} images exceed the largest batch {PlanSizes[^1]}");
    }

    /// <summary>Plan sizes for a maximum batch: powers of two below it, and the maximum itself.</summary>
    public static int[] PlanSizesFor(int maxBatch)
    {
        var sizes = new List<int>();
        for (int b = 1; b < maxBatch; b *= 2) sizes.Add(b);
        sizes.Add(maxBatch);
        return sizes.ToArray();
    }
}
