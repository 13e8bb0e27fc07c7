using System.Diagnostics;
using Elide.Planning;
using Elide.Server.Adaptive;
using Elide.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace Elide.Server.Batching;

/// <summary>Why a request was not queued.</summary>
public enum EnqueueOutcome
{
    /// <summary>Queued.</summary>
    Accepted,
    /// <summary>The queue is full in images or in predicted time: answer 429 with Retry-After.</summary>
    Full,
    /// <summary>This model instance no longer accepts work (draining or replaced): retry on the current one or answer 503.</summary>
    Closed,
}

/// <summary>
/// Dynamic batching for one loaded model: a bounded FIFO queue and one worker thread that groups queued requests
/// into batches (up to the largest plan size, waiting at most the maximum queueing delay for a batch to fill), asks
/// the <see cref="AdaptiveController"/> for a configuration per batch, and runs the batch on the plan for its size.
/// Batches run one at a time: every kernel already uses all the session's threads.
/// </summary>
public sealed class BatchScheduler
{
    private readonly Queue<PendingInference> queue = new();
    private readonly object gate = new();
    private readonly Func<int, bool, ExecutionPlan> planFor;
    private readonly OperatingLadder ladder;
    private readonly AdaptiveController controller;
    private readonly TailGuard? guard;
    private readonly ServerMetrics metrics;
    private readonly ILogger logger;
    private readonly string model;
    private readonly int version, inputLength, outputLength, maxQueueImages;
    private readonly double maxDelayMs, admissionBudgetMs;
    private readonly bool admitByPrediction;
    private readonly float[][] inputBuffers, outputBuffers;
    private readonly Thread worker;
    private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int queuedImages;
    private bool accepting = true;
    private long busyUntilTimestamp;

    internal BatchScheduler(string model, int version, Func<int, bool, ExecutionPlan> planFor, OperatingLadder ladder, AdaptiveController controller,
        TailGuard? guard, int inputLength, int outputLength, Hosting.ServerOptions options, ServerMetrics metrics, ILogger logger)
    {
        this.guard = guard;
        this.model = model;
        this.version = version;
        this.planFor = planFor;
        this.ladder = ladder;
        this.controller = controller;
        this.inputLength = inputLength;
        this.outputLength = outputLength;
        this.metrics = metrics;
        this.logger = logger;
        maxQueueImages = options.MaxQueueImages;
        maxDelayMs = options.MaxQueueDelayMs;
        admitByPrediction = options.AdmitByPrediction;
        admissionBudgetMs = options.PlanningBudgetMs;
        var sizes = ladder.Latency.PlanSizes;
        inputBuffers = sizes.Select(s => new float[s * inputLength]).ToArray();
        outputBuffers = sizes.Select(s => new float[s * outputLength]).ToArray();
        worker = new Thread(Run) { IsBackground = true, Name = $"elide-batch-{model}-v{version}" };
        worker.Start();
    }

    /// <summary>Images waiting.</summary>
    public int QueuedImages => Volatile.Read(ref queuedImages);

    /// <summary>Completes when the scheduler stopped accepting and every queued request was answered.</summary>
    public Task Drained => drained.Task;

    /// <summary>True until <see cref="StopAccepting"/>.</summary>
    public bool IsAccepting { get { lock (gate) return accepting; } }

    /// <summary>Queues a request unless the queue is full (images, or predicted completion beyond the SLO budget).</summary>
    /// <param name="request">The request.</param>
    /// <param name="retryAfterSeconds">For <see cref="EnqueueOutcome.Full"/>: when a retry is likely to be admitted.</param>
    public EnqueueOutcome TryEnqueue(PendingInference request, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        lock (gate)
        {
            if (!accepting) return EnqueueOutcome.Closed;
            // Offered load, rejected requests included: the controller sizes depth to demand, not to what it admitted.
            controller.RecordArrival(request.Images, Stopwatch.GetElapsedTime(0, Stopwatch.GetTimestamp()).TotalMilliseconds);
            if (IsFull(request.Images, out double waitMs))
            {
                retryAfterSeconds = Math.Max(1, (int)Math.Ceiling(waitMs / 1000));
                return EnqueueOutcome.Full;
            }
            request.PredictedMs = waitMs;
            queue.Enqueue(request);
            queuedImages += request.Images;
            Monitor.PulseAll(gate);
            return EnqueueOutcome.Accepted;
        }
    }

    /// <summary>
    /// Whether a one-image request arriving now would be refused as <see cref="EnqueueOutcome.Full"/>, decided before
    /// its body is read: under overload, refusing costs no parsing, so the CPU goes to the requests that are admitted
    /// (on a core shared with the engine, parsing the requests that will be refused anyway was a fifth of the core at
    /// 2x load). A refused arrival still counts in the arrival rate. A request that passes is checked again, with its
    /// real image count, by <see cref="TryEnqueue"/>.
    /// </summary>
    /// <param name="retryAfterSeconds">When a retry is likely to be admitted (valid when true is returned).</param>
    public bool RefusesNow(out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        lock (gate)
        {
            if (!accepting) return false; // TryEnqueue answers Closed, which the caller turns into a retry or 503
            if (!IsFull(1, out double waitMs)) return false;
            controller.RecordArrival(1, Stopwatch.GetElapsedTime(0, Stopwatch.GetTimestamp()).TotalMilliseconds);
            retryAfterSeconds = Math.Max(1, (int)Math.Ceiling(waitMs / 1000));
            return true;
        }
    }

    /// <summary>Takes a still-queued request out (client cancelled or deadline passed); false if it already runs.</summary>
    public bool TryAbandon(PendingInference request, Exception reason)
    {
        if (!request.TryAbandon()) return false;
        lock (gate)
        {
            queuedImages -= request.Images;
            Monitor.PulseAll(gate);
        }
        if (reason is OperationCanceledException oce) request.Completion.TrySetCanceled(oce.CancellationToken);
        else request.Completion.TrySetException(reason);
        return true;
    }

    /// <summary>Stops admitting requests; the worker runs what is queued without batching delay, then exits.</summary>
    public void StopAccepting()
    {
        lock (gate)
        {
            accepting = false;
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>Whether <paramref name="images"/> more images overflow the queue, in images or in predicted time
    /// (<paramref name="waitMs"/>). Caller holds the lock.</summary>
    private bool IsFull(int images, out double waitMs)
    {
        waitMs = PredictedWaitMs(queuedImages + images);
        return queuedImages + images > maxQueueImages || (admitByPrediction && waitMs > AdmissionBudgetMs());
    }

    /// <summary>
    /// The configured budget, shrunk by latency feedback, but never below the time of two full batches at the fastest
    /// level (one running, one waiting), so the engine always has its next batch queued. Caller holds the lock.
    /// </summary>
    private double AdmissionBudgetMs()
    {
        if (guard is null) return admissionBudgetMs;
        var latency = ladder.Latency;
        double keepFed = 2 * latency.PredictMs(ladder.Points.Count - 1, latency.PlanSizes.Count - 1);
        return Math.Min(admissionBudgetMs, Math.Max(admissionBudgetMs * guard.Scale, keepFed));
    }

    /// <summary>
    /// Predicted time until a request arriving now behind <paramref name="images"/> queued images completes: the
    /// running batch's remainder plus full batches of the largest plan size, at the controller's sustainable level
    /// (the deepest whose throughput keeps up with the arrival rate; the fastest the ladder allows under more load
    /// than that can serve). Caller holds the lock.
    /// </summary>
    /// <remarks>
    /// Not at the fastest level: admitting whatever the fastest level could still finish in time let the queue grow
    /// until only the fastest level fit, so under sustained overload without an accuracy floor the controller sat at
    /// the shallowest configuration (mean accuracy 17–28 % at 2x) where a level twice as fast as full depth would have
    /// kept up. Predicting at the sustainable level bounds the queue to what the depth the load needs can clear.
    /// </remarks>
    private double PredictedWaitMs(int images)
    {
        var latency = ladder.Latency;
        int level = controller.SustainableLevel(Stopwatch.GetElapsedTime(0, Stopwatch.GetTimestamp()).TotalMilliseconds);
        int maxIndex = latency.PlanSizes.Count - 1;
        double busy = Math.Max(0, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), busyUntilTimestamp).TotalMilliseconds);
        int fullBatches = images / latency.PlanSizes[maxIndex];
        int rest = images % latency.PlanSizes[maxIndex];
        double ms = busy + fullBatches * latency.PredictMs(level, maxIndex);
        if (rest > 0) ms += latency.PredictMs(level, latency.SizeIndexAtLeast(rest));
        return ms;
    }

    private void Run()
    {
        var claimed = new List<PendingInference>();
        var snapshot = new List<QueuedWork>();
        var live = new List<PendingInference>();
        while (true)
        {
            ControllerDecision decision;
            claimed.Clear();
            lock (gate)
            {
                if (!WaitForBatch()) break;
                long now = Stopwatch.GetTimestamp();
                snapshot.Clear();
                live.Clear();
                foreach (var p in queue)
                    if (p.IsQueued)
                    {
                        live.Add(p);
                        snapshot.Add(new QueuedWork(Stopwatch.GetElapsedTime(p.ArrivalTimestamp, now).TotalMilliseconds, p.Images));
                    }
                if (live.Count == 0) { queue.Clear(); continue; }
                decision = controller.Decide(snapshot, Stopwatch.GetElapsedTime(0, now).TotalMilliseconds);
                int take = AdaptiveController.TakeCount(snapshot, 0, queuedImages, ladder.Latency, out int images);
                double predicted = ladder.Latency.PredictMs(decision.Level, ladder.Latency.SizeIndexAtLeast(images));
                long finish = now + (long)(predicted / 1000 * Stopwatch.Frequency);
                for (int i = 0; i < take; i++)
                {
                    var p = live[i];
                    if (!p.TryClaim()) continue;
                    queuedImages -= p.Images;
                    if (p.DeadlineTimestamp < finish)
                    {
                        // Running it would only produce a late answer; free the batch slot for requests that can still make it.
                        p.Completion.TrySetException(new DeadlineExceededException(
                            $"the request's deadline would pass before its batch completes (predicted {predicted:0.###} ms)"));
                        continue;
                    }
                    claimed.Add(p);
                }
                while (queue.Count > 0 && !queue.Peek().IsQueued) queue.Dequeue();
                busyUntilTimestamp = finish;
            }
            metrics.Decisions.Add(1, new("model", model), new("action", ActionLabel(decision.Action)));
            if (decision.Action != ControllerAction.Hold)
                logger.LogInformation("Controller {Action} {Model}: level {Level} config {Config} (required {Required}, predicted {PredictedMs:0.0} ms, queue {Queued} images)",
                    ActionLabel(decision.Action), model, decision.Level, ladder.Points[decision.Level].Label, decision.RequiredLevel, decision.PredictedMs, QueuedImages);
            if (claimed.Count > 0) Execute(claimed, decision, ladder.Latency.SizeIndexAtLeast(claimed.Sum(c => c.Images)));
        }
        drained.TrySetResult();
    }

    /// <summary>Waits (lock held) until a batch should start; false when stopped and empty.</summary>
    private bool WaitForBatch()
    {
        while (true)
        {
            while (queue.Count > 0 && !queue.Peek().IsQueued) queue.Dequeue();
            if (queue.Count == 0)
            {
                if (!accepting) return false;
                Monitor.Wait(gate);
                continue;
            }
            if (!accepting || queuedImages >= ladder.Latency.PlanSizes[^1] || maxDelayMs <= 0) return true;
            double age = Stopwatch.GetElapsedTime(queue.Peek().ArrivalTimestamp).TotalMilliseconds;
            if (age >= maxDelayMs) return true;
            Monitor.Wait(gate, TimeSpan.FromMilliseconds(Math.Max(0.05, maxDelayMs - age)));
        }
    }

    private void Execute(List<PendingInference> batch, ControllerDecision decision, int sizeIndex)
    {
        int planBatch = ladder.Latency.PlanSizes[sizeIndex];
        var point = ladder.Points[decision.Level];
        var input = inputBuffers[sizeIndex];
        var output = outputBuffers[sizeIndex];
        int offset = 0, images = 0;
        foreach (var p in batch)
        {
            p.Input.CopyTo(input, offset);
            offset += p.Input.Length;
            images += p.Images;
        }
        Array.Clear(input, offset, input.Length - offset); // padding rows: any finite values would do; zeros are cheap
        long start = Stopwatch.GetTimestamp();
        try
        {
            planFor(planBatch, point.Unscaled).Run(input, output, point.Mask);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Batch of {Images} images on {Model} failed", images, model);
            foreach (var p in batch) p.Completion.TrySetException(e);
            return;
        }
        double computeMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        ladder.Latency.Observe(decision.Level, sizeIndex, computeMs);
        var modelTag = new KeyValuePair<string, object?>("model", model);
        metrics.BatchCompute.Record(computeMs / 1000, modelTag);
        metrics.BatchImages.Record(images, modelTag);
        metrics.Images.Add(images, modelTag, new("config", point.Label));
        if (point.Accuracy is { } acc) metrics.AccuracySum.Add(acc * images, modelTag);

        offset = 0;
        foreach (var p in batch)
        {
            var result = new float[p.Images * outputLength];
            Array.Copy(output, offset, result, 0, result.Length);
            offset += result.Length;
            double queueMs = Stopwatch.GetElapsedTime(p.ArrivalTimestamp, start).TotalMilliseconds;
            metrics.QueueWait.Record(queueMs / 1000, modelTag);
            p.Completion.TrySetResult(new InferenceResult(result, version, point, decision, images, planBatch, queueMs, computeMs));
        }
    }

    /// <summary>The metric label of an action.</summary>
    public static string ActionLabel(ControllerAction action) => action switch
    {
        ControllerAction.Degrade => "degrade",
        ControllerAction.EmergencyDegrade => "emergency_degrade",
        ControllerAction.Recover => "recover",
        _ => "hold",
    };
}
