using System.Diagnostics;
using Elide.Server.Adaptive;

namespace Elide.Server.Batching;

/// <summary>How a finished inference ran: everything the response and the metrics report.</summary>
/// <param name="Output">Output values of this request's images, row-major.</param>
/// <param name="ModelVersion">Load generation of the model that ran it.</param>
/// <param name="Point">The configuration used.</param>
/// <param name="Decision">The controller decision for its batch.</param>
/// <param name="BatchImages">Images in the batch it ran in.</param>
/// <param name="PlanBatch">Batch size of the plan (≥ images; the rest is zero padding).</param>
/// <param name="QueueMs">Time from arrival to the batch's start.</param>
/// <param name="ComputeMs">Engine time of the batch.</param>
public sealed record InferenceResult(float[] Output, int ModelVersion, ServingPoint Point, ControllerDecision Decision,
    int BatchImages, int PlanBatch, double QueueMs, double ComputeMs);

/// <summary>The request would not finish before its deadline.</summary>
public sealed class DeadlineExceededException(string message) : Exception(message);

/// <summary>
/// One request in a model's queue. Exactly one party settles it: the batch worker claims it (<see cref="TryClaim"/>)
/// or the request's cancellation/deadline abandons it (<see cref="TryAbandon"/>); whoever wins the exchange accounts
/// for its images, so queue counts never go wrong and no request is answered twice.
/// </summary>
public sealed class PendingInference
{
    private const int Queued = 0, Claimed = 1, Abandoned = 2;
    private int state;

    /// <param name="input">Input values of <paramref name="images"/> images, row-major.</param>
    /// <param name="images">Images (the request's batch dimension).</param>
    /// <param name="deadlineTimestamp"><see cref="Stopwatch"/> timestamp after which the result is useless, or <see cref="long.MaxValue"/>.</param>
    public PendingInference(float[] input, int images, long deadlineTimestamp = long.MaxValue)
    {
        Input = input;
        Images = images;
        DeadlineTimestamp = deadlineTimestamp;
        ArrivalTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>Input values.</summary>
    public float[] Input { get; }

    /// <summary>Images carried.</summary>
    public int Images { get; }

    /// <summary>When it was queued (<see cref="Stopwatch"/> timestamp).</summary>
    public long ArrivalTimestamp { get; }

    /// <summary>Completion predicted when it was admitted (ms from admission; set by the scheduler).</summary>
    public double PredictedMs { get; internal set; }

    /// <summary>Deadline (<see cref="Stopwatch"/> timestamp) or <see cref="long.MaxValue"/>.</summary>
    public long DeadlineTimestamp { get; }

    /// <summary>Completes with the result, or faults with <see cref="DeadlineExceededException"/>, a cancellation, or an engine error.</summary>
    public TaskCompletionSource<InferenceResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True while neither claimed nor abandoned.</summary>
    public bool IsQueued => Volatile.Read(ref state) == Queued;

    /// <summary>The worker takes it; false if it was abandoned first.</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref state, Claimed, Queued) == Queued;

    /// <summary>Cancellation or deadline takes it out; false if the worker claimed it first.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref state, Abandoned, Queued) == Queued;
}
