using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Adaptive;

/// <summary>
/// Re-times a stored front's configurations on the machine and thread count at hand. A front's latencies were
/// measured where `elide explore` ran; a budget in milliseconds only means something against latencies of the
/// machine that enforces it, so `elide run` re-times the (few tens of) front points before choosing. Accuracy,
/// MACs and energy are properties of the configuration and are kept.
/// </summary>
public static class FrontRetiming
{
    /// <summary>
    /// <paramref name="front"/> with <see cref="OperatingPoint.LatencyMsBatch1"/> measured here and, when
    /// <paramref name="batch"/> is above 1, the large-batch latency measured at <paramref name="batch"/> (the front's
    /// <see cref="ParetoFront.LargeBatch"/> becomes <paramref name="batch"/>, so the policy's interpolation is exact at
    /// the batch in use). The stored predictions and cost models are dropped: they describe the other machine.
    /// </summary>
    /// <param name="front">The stored front.</param>
    /// <param name="session">The session that will run the configurations (its thread count is the one timed).</param>
    /// <param name="image">Shape of one input image: channels, height, width.</param>
    /// <param name="batch">Images per inference.</param>
    /// <param name="options">Rounds, runs and warm-up (default: 3 rounds of 3 runs, 0.2 s warm-up).</param>
    /// <param name="progress">Called with the fraction done (0..1), if given.</param>
    /// <exception cref="ArgumentException">A configuration does not fit the session's model.</exception>
    public static ParetoFront OnThisMachine(ParetoFront front, InferenceSession session, Data.ImageShape image, int batch,
        LatencyMeasurementOptions? options = null, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(front);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        options ??= new LatencyMeasurementOptions(Rounds: 3, RunsPerRound: 3, WarmupSeconds: 0.2);
        var masks = front.Front.Select(p => (SkipMask?)p.Mask).ToList();
        double share = batch > 1 ? 0.5 : 1.0;
        var one = MaskedLatency.MedianMilliseconds(session.GetPlan(new Shape(1, image.Channels, image.Height, image.Width)),
            masks, options, f => progress?.Invoke(share * f));
        var large = batch > 1
            ? MaskedLatency.MedianMilliseconds(session.GetPlan(new Shape(batch, image.Channels, image.Height, image.Width)),
                masks, options, f => progress?.Invoke(0.5 + 0.5 * f))
            : null;
        // At batch 1 only the batch-1 figure is used; keep the stored large-batch figure in proportion to it so the
        // (unused) interpolation stays sensible.
        var points = front.Front.Select((p, i) => p with
        {
            LatencyMsBatch1 = one[i],
            LatencyMsBatch64 = large?[i] ?? (p.LatencyMsBatch1 > 0 ? p.LatencyMsBatch64 * one[i] / p.LatencyMsBatch1 : p.LatencyMsBatch64),
            PredictedMsBatch1 = 0,
            PredictedMsBatch64 = 0,
        }).ToList();
        return front with
        {
            Front = points,
            LargeBatch = large is null ? front.LargeBatch : batch,
            CostModels = [],
        };
    }
}
