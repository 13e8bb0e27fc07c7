namespace Elide.Server.Adaptive;

/// <summary>One queued request as the controller sees it.</summary>
/// <param name="AgeMs">Time it has waited so far.</param>
/// <param name="Images">Images it carries.</param>
public readonly record struct QueuedWork(double AgeMs, int Images);

/// <summary>What the controller did at one decision.</summary>
public enum ControllerAction
{
    /// <summary>Kept the level.</summary>
    Hold,
    /// <summary>Moved one level faster: the queue's predicted completion exceeded the planning budget.</summary>
    Degrade,
    /// <summary>Jumped at once to the deepest level that meets the SLO: the current level would already miss it.</summary>
    EmergencyDegrade,
    /// <summary>Moved deeper after low load persisted for the hold time: to the deepest level that keeps up with the
    /// arrival rate and fits the recovery budget.</summary>
    Recover,
}

/// <summary>A controller decision, reported in metrics, logs and responses.</summary>
/// <param name="Level">The level to run this batch at.</param>
/// <param name="RequiredLevel">The deepest level whose predicted completion fits the budget now.</param>
/// <param name="PredictedMs">Predicted completion of the slowest queued request at <paramref name="Level"/>.</param>
/// <param name="Action">How the level changed.</param>
/// <param name="SustainableLevel">The deepest level whose throughput keeps up with the arrival rate (recovery stops there).</param>
public sealed record ControllerDecision(int Level, int RequiredLevel, double PredictedMs, ControllerAction Action, int SustainableLevel = 0);

/// <summary>
/// Chooses a ladder level per batch so that queued requests complete within the p99 SLO.
/// <para>
/// For a level, the predicted completion of the queue is simulated batch by batch with the same grouping the
/// batcher uses: a request in batch k finishes at (its age) + (sum of predicted latencies of batches 1..k). The
/// <em>required</em> level is the deepest whose worst completion fits <c>headroom · SLO</c>. Degradation is gradual
/// (one level per batch) unless the current level would miss the SLO outright, in which case it jumps to the deepest
/// level that meets the SLO. Requests late even at the fastest level are left out of these predictions. Recovery is
/// hysteretic: the requirement must stay below the current level for <c>recoveryHold</c>, and the next deeper level
/// must fit the tighter <c>recoveryFraction · SLO</c>; depth then comes back in one move, to the deepest level that
/// fits that budget and whose throughput keeps up with the arrival rate.
/// </para>
/// Not thread-safe: one batch worker owns it; <see cref="Level"/> may be read from anywhere.
/// </summary>
public sealed class AdaptiveController
{
    private readonly OperatingLadder ladder;
    private readonly TailGuard? guard;
    private readonly double slo, budget, recoveryBudget, holdMs;
    private volatile int level;
    private double lowSinceMs = double.NaN;
    private double arrivalWeight, lastArrivalMs = double.NaN, firstArrivalMs = double.NaN;

    /// <summary>Time constant of the arrival-rate estimate.</summary>
    public const double RateTimeConstantMs = 2000;

    /// <summary>Service must exceed the arrival rate by this factor for a level to count as sustainable.</summary>
    public const double RateMargin = 1.1;

    /// <param name="ladder">The rungs and their latency model.</param>
    /// <param name="sloMs">The p99 objective.</param>
    /// <param name="headroom">Fraction of the SLO to plan with.</param>
    /// <param name="recoveryFraction">Fraction the deeper level must fit before recovering.</param>
    /// <param name="recoveryHoldMs">How long low load must persist per recovery step.</param>
    /// <param name="maxBatch">Largest batch the batcher forms.</param>
    /// <param name="guard">Latency feedback scaling both budgets (the SLO itself, which triggers emergency moves, is
    /// never scaled); null plans with the budgets as given.</param>
    public AdaptiveController(OperatingLadder ladder, double sloMs, double headroom, double recoveryFraction, double recoveryHoldMs, int maxBatch, TailGuard? guard = null)
    {
        this.ladder = ladder;
        this.guard = guard;
        slo = sloMs;
        budget = headroom * sloMs;
        recoveryBudget = recoveryFraction * sloMs;
        holdMs = recoveryHoldMs;
        MaxBatch = maxBatch;
    }

    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }

    /// <summary>The level in force.</summary>
    public int Level => level;

    /// <summary>The last decision, or null before the first batch.</summary>
    public ControllerDecision? Last { get; private set; }

    /// <summary>Decides the level for the next batch.</summary>
    /// <param name="queue">Queued requests in FIFO order (the next batch is taken from the front).</param>
    /// <param name="nowMs">A monotonic clock in milliseconds (only differences matter).</param>
    public ControllerDecision Decide(IReadOnlyList<QueuedWork> queue, double nowMs)
    {
        int fastest = ladder.Points.Count - 1;
        int current = level;
        // Requests that miss the SLO even at the fastest level are late whatever runs; they must not drag everyone
        // else down to the shallowest configuration. Their batches still count in everyone else's completion, and in
        // that of a request arriving now, so a backlog that would make new arrivals late is still cleared fast.
        MarkLate(queue);
        double scale = guard?.Scale ?? 1;
        int required = fastest;
        for (int l = 0; l < ladder.Points.Count; l++)
            if (Worst(l, queue, excludeLate: true) <= budget * scale) { required = l; break; }

        int sustainable = SustainableLevel(nowMs);
        var action = ControllerAction.Hold;
        if (required > current)
        {
            lowSinceMs = double.NaN;
            if (Worst(current, queue, excludeLate: true) > slo)
            {
                // Jump only as far as the SLO itself needs (the planning budget is for gradual moves): a stall that
                // aged a few requests must not buy their milliseconds with the shallowest configuration.
                int rescue = required;
                for (int l = current + 1; l < required; l++)
                    if (Worst(l, queue, excludeLate: true) <= slo) { rescue = l; break; }
                current = rescue;
                action = ControllerAction.EmergencyDegrade;
            }
            else { current++; action = ControllerAction.Degrade; }
        }
        else if (required < current)
        {
            if (double.IsNaN(lowSinceMs)) lowSinceMs = nowMs;
            if (nowMs - lowSinceMs >= holdMs)
            {
                // Straight to the deepest level that both keeps up with the arrival rate and fits the recovery
                // budget: stepping one level per hold period left a controller that had degraded through a burst
                // seconds below the depth the load needed.
                for (int l = Math.Max(required, sustainable); l < current; l++)
                    if (Worst(l, queue, excludeLate: true) <= recoveryBudget * scale)
                    {
                        current = l;
                        action = ControllerAction.Recover;
                        lowSinceMs = nowMs;
                        break;
                    }
            }
        }
        else lowSinceMs = double.NaN;

        level = current;
        Last = new ControllerDecision(current, required, Worst(current, queue, excludeLate: false), action, sustainable);
        return Last;
    }

    /// <summary>Records <paramref name="images"/> arriving at <paramref name="nowMs"/> (same clock as <see cref="Decide"/>).</summary>
    public void RecordArrival(int images, double nowMs)
    {
        Decay(nowMs);
        arrivalWeight += images;
        if (double.IsNaN(firstArrivalMs)) firstArrivalMs = nowMs;
    }

    /// <summary>
    /// Estimated arrival rate in images per millisecond at <paramref name="nowMs"/>: the exponentially weighted count
    /// divided by the time it covers (the time constant, or the time since the first arrival while that is shorter).
    /// </summary>
    public double ArrivalRatePerMs(double nowMs)
    {
        if (double.IsNaN(lastArrivalMs)) return 0;
        double weight = arrivalWeight * Math.Exp(-Math.Max(0, nowMs - lastArrivalMs) / RateTimeConstantMs);
        double span = RateTimeConstantMs * (1 - Math.Exp(-Math.Max(nowMs - firstArrivalMs, 1) / RateTimeConstantMs));
        return weight / span;
    }

    /// <summary>
    /// The deepest level whose full-batch service rate (largest plan size / its predicted latency) is at least
    /// <see cref="RateMargin"/> × the arrival rate; 0 when nothing has arrived, the fastest level when none keeps up.
    /// </summary>
    public int SustainableLevel(double nowMs)
    {
        double rate = ArrivalRatePerMs(nowMs) * RateMargin;
        var model = ladder.Latency;
        int largest = model.PlanSizes.Count - 1;
        for (int l = 0; l < ladder.Points.Count; l++)
            if (model.PlanSizes[largest] / model.PredictMs(l, largest) >= rate) return l;
        return ladder.Points.Count - 1;
    }

    private void Decay(double nowMs)
    {
        if (!double.IsNaN(lastArrivalMs)) arrivalWeight *= Math.Exp(-Math.Max(0, nowMs - lastArrivalMs) / RateTimeConstantMs);
        lastArrivalMs = nowMs;
    }

    /// <summary>
    /// Predicted completion (from now, plus each request's age) of the slowest queued request at <paramref name="atLevel"/>,
    /// grouping requests into batches the way <see cref="TakeCount"/> does.
    /// </summary>
    /// <param name="atLevel">The level every queued batch would run at.</param>
    /// <param name="queue">The queue, FIFO.</param>
    /// <param name="excludeLate">Leave out requests that would finish after the SLO even at the fastest level (they
    /// still take their batch's time), and count a one-image request arriving now, served after the whole queue.</param>
    public double PredictWorstMs(int atLevel, IReadOnlyList<QueuedWork> queue, bool excludeLate = false)
    {
        if (excludeLate) MarkLate(queue);
        return Worst(atLevel, queue, excludeLate);
    }

    /// <summary>Requests that finish after the SLO even at the fastest level, by queue position (see <see cref="MarkLate"/>).</summary>
    private bool[] late = [];

    /// <summary>
    /// Fills <see cref="late"/> for <paramref name="queue"/>: the same for every level, so one decision computes it
    /// once. The batches are those <see cref="TakeCount"/> forms.
    /// </summary>
    private void MarkLate(IReadOnlyList<QueuedWork> queue)
    {
        if (late.Length < queue.Count) late = new bool[Math.Max(queue.Count, 2 * late.Length)];
        var model = ladder.Latency;
        int fastest = ladder.Points.Count - 1;
        double t = 0;
        int i = 0, remaining = 0;
        foreach (var q in queue) remaining += q.Images;
        while (i < queue.Count)
        {
            int take = TakeCount(queue, i, remaining, model, out int images);
            t += model.PredictMs(fastest, model.SizeIndexAtLeast(images));
            for (int r = i; r < i + take; r++) late[r] = queue[r].AgeMs + t > slo;
            i += take;
            remaining -= images;
        }
    }

    /// <summary>The simulation behind <see cref="PredictWorstMs"/>; with <paramref name="excludeLate"/>, <see cref="late"/> must describe <paramref name="queue"/>.</summary>
    private double Worst(int atLevel, IReadOnlyList<QueuedWork> queue, bool excludeLate)
    {
        var model = ladder.Latency;
        double t = 0, worst = 0;
        int i = 0, remaining = 0;
        foreach (var q in queue) remaining += q.Images;
        while (i < queue.Count)
        {
            int take = TakeCount(queue, i, remaining, model, out int images);
            t += model.PredictMs(atLevel, model.SizeIndexAtLeast(images));
            // Within a batch the oldest request (the first) is the worst, but it may be late while the others are not.
            for (int r = i; r < i + take; r++)
                if (!excludeLate || !late[r])
                    worst = Math.Max(worst, queue[r].AgeMs + t);
            i += take;
            remaining -= images;
        }
        if (excludeLate) worst = Math.Max(worst, t + model.PredictMs(atLevel, 0));
        return worst;
    }

    /// <summary>
    /// How many requests from <paramref name="start"/> form the next batch: FIFO, up to the largest plan size not
    /// above the images waiting (so batches run on exact plan sizes when requests carry one image each), at least one.
    /// </summary>
    /// <param name="queue">The queue.</param>
    /// <param name="start">First request of the batch.</param>
    /// <param name="remainingImages">Images queued from <paramref name="start"/> on.</param>
    /// <param name="model">Provides the plan sizes.</param>
    /// <param name="images">Images in the batch.</param>
    public static int TakeCount(IReadOnlyList<QueuedWork> queue, int start, int remainingImages, LatencyModel model, out int images)
    {
        int target = model.PlanSizes[model.SizeIndexAtMost(Math.Min(remainingImages, model.PlanSizes[^1]))];
        images = queue[start].Images;
        int take = 1;
        while (start + take < queue.Count && images + queue[start + take].Images <= target)
        {
            images += queue[start + take].Images;
            take++;
        }
        return take;
    }
}
