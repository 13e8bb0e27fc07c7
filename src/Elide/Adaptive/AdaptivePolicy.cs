using System.Runtime.CompilerServices;

namespace Elide.Adaptive;

/// <summary>
/// The run-time conditions a configuration must fit. Every bound is optional; a budget with none selects the most
/// accurate point.
/// </summary>
/// <param name="LatencyMs">Deadline for one inference of <paramref name="Batch"/> images, in milliseconds.</param>
/// <param name="Batch">Images per inference the latency bound applies to (1: per image).</param>
/// <param name="EnergyMillijoules">Energy per image, in millijoules (measured where available, else modelled).</param>
/// <param name="PowerWatts">Average power while inferring back to back: energy per batch / latency per batch.</param>
/// <param name="MinAccuracy">Accuracy floor (0..1, validation accuracy).</param>
public sealed record Budget(double? LatencyMs = null, int Batch = 1, double? EnergyMillijoules = null, double? PowerWatts = null, double? MinAccuracy = null)
{
    /// <summary>True when some bound other than the accuracy floor is set.</summary>
    public bool HasResourceBound => LatencyMs is not null || EnergyMillijoules is not null || PowerWatts is not null;

    /// <inheritdoc/>
    public override string ToString()
    {
        var parts = new List<string>();
        if (LatencyMs is { } l) parts.Add(Batch == 1 ? $"≤ {l:G4} ms" : $"≤ {l:G4} ms per batch of {Batch}");
        if (EnergyMillijoules is { } e) parts.Add($"≤ {e:G4} mJ/image");
        if (PowerWatts is { } p) parts.Add($"≤ {p:G4} W");
        if (MinAccuracy is { } a) parts.Add($"accuracy ≥ {a:P1}");
        return parts.Count == 0 ? "unbounded" : string.Join(", ", parts);
    }
}

/// <summary>A policy's choice.</summary>
/// <param name="Point">The chosen operating point.</param>
/// <param name="Mask">Its configuration, parsed once when the policy was built (switching costs no allocation).</param>
/// <param name="Feasible">False when no point met the budget and the policy fell back (see <see cref="Reason"/>).</param>
/// <param name="Budget">The budget it was chosen for.</param>
public sealed record PolicyDecision(OperatingPoint Point, SkipMask Mask, bool Feasible, Budget Budget)
{
    /// <summary>Why this point (formatted on demand, so choosing allocates no strings).</summary>
    public string Reason => (Feasible, Budget.HasResourceBound || Budget.MinAccuracy is null) switch
    {
        (true, true) => $"most accurate within {Budget}",
        (true, false) => $"fastest with {Budget}",
        (false, true) => $"nothing fits {Budget}; running the fastest configuration",
        (false, false) => $"nothing reaches {Budget}; running the most accurate configuration",
    };
}

/// <summary>
/// Chooses a configuration from a Pareto front to fit a <see cref="Budget"/> (PAPERS.md §1: configurations selected at
/// design time, a lightweight policy at run time). Rules, in order:
/// <list type="number">
/// <item>With a latency, energy or power bound: the most accurate point meeting every bound (and the floor, if any);
/// ties go to the faster point.</item>
/// <item>With only an accuracy floor: the fastest point meeting it (least latency, then least energy).</item>
/// <item>No point meets the budget: with a resource bound, the fastest point (never miss a deadline by more than
/// necessary); with only a floor, the most accurate point. <see cref="PolicyDecision.Feasible"/> is then false.</item>
/// </list>
/// Latency at batch B interpolates linearly between the measured batch-1 and large-batch latencies:
/// t(B) = t₁ + (t_L − t₁)·(B − 1)/(L − 1), exact at both measured batches because latency is affine in the batch
/// to first order (per-image work plus per-inference overhead).
/// Choosing costs a scan of the front (tens of points): well under a microsecond.
/// </summary>
public sealed class AdaptivePolicy
{
    private readonly OperatingPoint[] points;
    private readonly SkipMask[] masks;
    private readonly int largeBatch;

    /// <summary>A policy over <paramref name="front"/>.</summary>
    /// <exception cref="ArgumentException">The front is empty.</exception>
    public AdaptivePolicy(ParetoFront front)
    {
        ArgumentNullException.ThrowIfNull(front);
        if (front.Front.Count == 0) throw new ArgumentException("the Pareto front has no points", nameof(front));
        points = front.Front.OrderBy(p => p.LatencyMsBatch1).ToArray();
        masks = points.Select(p => p.Mask).ToArray();
        largeBatch = Math.Max(2, front.LargeBatch);
    }

    /// <summary>The points, by increasing batch-1 latency.</summary>
    public IReadOnlyList<OperatingPoint> Points => points;

    /// <summary>Latency of one inference of <paramref name="batch"/> images at <paramref name="point"/> (interpolated; see the class remarks).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch below 1.</exception>
    public double LatencyMs(OperatingPoint point, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return point.LatencyMsBatch1 + (point.LatencyMsBatch64 - point.LatencyMsBatch1) * (batch - 1) / (largeBatch - 1);
    }

    /// <summary>Energy per image: measured package energy where available, else modelled.</summary>
    public static double EnergyMillijoules(OperatingPoint point) => point.MeasuredEnergyMillijoules ?? point.EnergyMillijoules;

    /// <summary>Average power in watts while running batches of <paramref name="batch"/> back to back.</summary>
    public double PowerWatts(OperatingPoint point, int batch) => EnergyMillijoules(point) * batch / LatencyMs(point, batch);

    /// <summary>The point to run under <paramref name="budget"/> (rules on the class).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch below 1.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimized from the first call: a run-time decision is on the hot path
    public PolicyDecision Choose(Budget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget.Batch, 1);
        int best = -1;
        for (int i = 0; i < points.Length; i++)
        {
            if (!Fits(points[i], budget)) continue;
            if (best < 0) { best = i; continue; }
            if (budget.HasResourceBound || budget.MinAccuracy is null)
            {
                // Most accurate; points are in latency order so the first of equals is the fastest.
                if (points[i].ValAccuracy > points[best].ValAccuracy) best = i;
            }
            else if (LatencyMs(points[i], budget.Batch) < LatencyMs(points[best], budget.Batch)
                  || (LatencyMs(points[i], budget.Batch) == LatencyMs(points[best], budget.Batch) && EnergyMillijoules(points[i]) < EnergyMillijoules(points[best])))
            {
                best = i;
            }
        }
        if (best >= 0)
            return new PolicyDecision(points[best], masks[best], true, budget);
        if (budget.HasResourceBound)
        {
            int fastest = 0;
            for (int i = 1; i < points.Length; i++)
                if (LatencyMs(points[i], budget.Batch) < LatencyMs(points[fastest], budget.Batch)) fastest = i;
            return new PolicyDecision(points[fastest], masks[fastest], false, budget);
        }
        int accurate = 0;
        for (int i = 1; i < points.Length; i++) if (points[i].ValAccuracy > points[accurate].ValAccuracy) accurate = i;
        return new PolicyDecision(points[accurate], masks[accurate], false, budget);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Fits(OperatingPoint p, Budget b) =>
        (b.LatencyMs is not { } l || LatencyMs(p, b.Batch) <= l)
        && (b.EnergyMillijoules is not { } e || EnergyMillijoules(p) <= e)
        && (b.PowerWatts is not { } w || PowerWatts(p, b.Batch) <= w)
        && (b.MinAccuracy is not { } a || p.ValAccuracy >= a);
}
