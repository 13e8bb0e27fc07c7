namespace Elide.Server.Adaptive;

/// <summary>
/// Latency feedback for one served model: learns how far answered requests finish behind the queue model's
/// prediction, and shrinks the planning budget (admission and controller) by that margin so that a request admitted
/// at the edge of the budget still meets the SLO at the 99th percentile.
/// <para>
/// Why: the queue model predicts batch times from running means, but not the time a request spends outside the queue
/// (reading and parsing its body, writing its response) nor the spread of batch times when HTTP work and other
/// processes share the engine's cores. Measured under 2x overload on one shared core, batches of one configuration
/// took 9 ms at the median and 23.5 ms at p99 (6 ms alone), so requests admitted at the edge of an 0.8 × SLO budget
/// finished 15–30 ms after it and p99 ran over the SLO.
/// </para>
/// <para>
/// How: for every answered request the error (end-to-end latency at the server minus the completion predicted when it
/// was admitted) enters a window of the last <see cref="Window"/> errors; every <see cref="Refresh"/> records the
/// margin becomes the window's 99th percentile. The budget is then <c>min(configured, target · SLO − margin)</c>,
/// reported as <see cref="Scale"/> (its ratio to the configured budget, at least <see cref="MinScale"/>). The margin
/// is a property of the machine's noise, not of the budget, so shrinking the budget does not feed back into ever more
/// shrinking (a first version scaled the budget by the observed p99 itself and starved the engine: under a spread
/// that admission cannot remove, it kept shrinking).
/// </para>
/// Thread-safe: HTTP threads record, the batch worker and admission read <see cref="Scale"/>.
/// </summary>
public sealed class TailGuard
{
    /// <summary>Errors the margin is computed over.</summary>
    public const int Window = 512;

    /// <summary>Records between recomputations of the margin; also the records needed before the first.</summary>
    public const int Refresh = 64;

    /// <summary>Lowest scale of the configured budget.</summary>
    public const double MinScale = 0.25;

    private readonly double[] errors = new double[Window];
    private readonly double[] sorted = new double[Window];
    private readonly object gate = new();
    private readonly double targetMs, budgetMs;
    private int next, count, sinceRefresh;
    private long recorded;
    private double scale = 1, margin = double.NaN;

    /// <param name="sloMs">The p99 objective.</param>
    /// <param name="budgetMs">The configured planning budget (headroom × SLO) the scale applies to.</param>
    /// <param name="targetFraction">Fraction of the SLO the server's own p99 is held under (the client adds its
    /// share: connection handling and its own scheduling).</param>
    public TailGuard(double sloMs, double budgetMs, double targetFraction = 0.9)
    {
        if (!(sloMs > 0) || double.IsInfinity(sloMs)) throw new ArgumentOutOfRangeException(nameof(sloMs), $"SLO must be a positive number of ms, got {sloMs}");
        if (!(budgetMs > 0 && budgetMs <= sloMs)) throw new ArgumentOutOfRangeException(nameof(budgetMs), $"budget must be in (0, SLO {sloMs}] ms, got {budgetMs}");
        if (!(targetFraction is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(targetFraction), $"target fraction must be in (0, 1], got {targetFraction}");
        targetMs = targetFraction * sloMs;
        this.budgetMs = budgetMs;
    }

    /// <summary>The latency the server's own p99 is held under.</summary>
    public double TargetMs => targetMs;

    /// <summary>Factor (<see cref="MinScale"/>..1) on the configured planning budget.</summary>
    public double Scale => Volatile.Read(ref scale);

    /// <summary>99th percentile of (latency − predicted completion) over the window, NaN before <see cref="Refresh"/> records.</summary>
    public double MarginMs => Volatile.Read(ref margin);

    /// <summary>Requests recorded so far.</summary>
    public long Recorded => Interlocked.Read(ref recorded);

    /// <summary>Records an answered request; non-finite or negative values are ignored.</summary>
    /// <param name="latencyMs">Its end-to-end latency at the server.</param>
    /// <param name="predictedMs">The completion predicted when it was admitted.</param>
    public void Record(double latencyMs, double predictedMs)
    {
        if (!(latencyMs >= 0) || !(predictedMs >= 0) || double.IsInfinity(latencyMs) || double.IsInfinity(predictedMs)) return;
        lock (gate)
        {
            Interlocked.Increment(ref recorded);
            errors[next] = latencyMs - predictedMs;
            next = (next + 1) % Window;
            count = Math.Min(count + 1, Window);
            if (++sinceRefresh < Refresh) return;
            sinceRefresh = 0;
            Array.Copy(errors, sorted, count);
            Array.Sort(sorted, 0, count);
            double m = Math.Max(0, sorted[(int)Math.Ceiling(0.99 * count) - 1]);
            Volatile.Write(ref margin, m);
            Volatile.Write(ref scale, Math.Clamp((targetMs - m) / budgetMs, MinScale, 1));
        }
    }
}
