using Elide.Kernels.Threading;
using Elide.Tensors;

namespace Elide.Training;

/// <summary>
/// An eager reverse-mode autodiff tape. Every op (see Tape.Rules.cs, the table of rules) computes its result at
/// once and, when an input needs a gradient and the tape is recording, appends a closure that maps the result's
/// gradient to its inputs' gradients. <see cref="Backward"/> replays the closures in reverse order.
/// </summary>
/// <remarks>
/// A tape serves one forward/backward pass: create one per training step (or call <see cref="Backward"/>, which
/// empties it). With <c>recording: false</c> (evaluation) nothing is kept and ops only compute values.
/// </remarks>
public sealed partial class Tape
{
    private readonly List<(Variable Result, Action<float[]> Rule)> entries = [];
    private float[] workspace = [];

    /// <summary>A tape whose kernels run on <paramref name="pool"/> (null: the calling thread only).</summary>
    public Tape(WorkerPool? pool = null, bool recording = true)
    {
        Pool = pool;
        IsRecording = recording;
    }

    /// <summary>The pool kernels fan out on.</summary>
    public WorkerPool? Pool { get; }

    /// <summary>False for evaluation: results never require gradients and nothing is recorded.</summary>
    public bool IsRecording { get; }

    /// <summary>Forward convolutions executed through this tape (lets tests verify that a dropped block costs nothing).</summary>
    public int ConvolutionCount { get; private set; }

    /// <summary>Number of recorded backward rules waiting for <see cref="Backward"/>.</summary>
    public int RecordedCount => entries.Count;

    /// <summary>
    /// Back-propagates from the scalar <paramref name="loss"/>: seeds ∂loss/∂loss = 1, runs every recorded rule in
    /// reverse order (gradients of a variable used twice add up), then empties the tape.
    /// </summary>
    /// <exception cref="ArgumentException">The loss has more than one element or does not depend on anything trainable.</exception>
    public void Backward(Variable loss)
    {
        if (loss.Value.Length != 1) throw new ArgumentException($"backward needs a scalar loss, got shape {loss.Shape}", nameof(loss));
        if (!loss.RequiresGradient) throw new ArgumentException("the loss does not depend on any variable that requires a gradient", nameof(loss));
        loss.AddGradient([1f], owned: true);
        for (int i = entries.Count - 1; i >= 0; i--)
        {
            var (result, rule) = entries[i];
            if (result.Gradient is { } g) rule(g.Data);
        }
        entries.Clear();
    }

    /// <summary>Wraps a computed value; records <paramref name="rule"/> when any input requires a gradient.</summary>
    private Variable Result(Tensor value, Action<float[]> rule, params Variable?[] inputs)
    {
        bool needed = false;
        if (IsRecording)
            foreach (var v in inputs) needed |= v is { RequiresGradient: true };
        var result = new Variable(value, needed);
        if (needed) entries.Add((result, rule));
        return result;
    }

    /// <summary>A scratch buffer of at least <paramref name="floats"/> floats, reused across ops (never shared by two live uses).</summary>
    private float[] Workspace(long floats)
    {
        if (workspace.LongLength < floats) workspace = new float[checked((int)Math.Max(floats, workspace.LongLength * 3 / 2))];
        return workspace;
    }

    private static Tensor Like(Variable v) => new(v.Shape);

    private static Tensor Like(Shape shape) => new(shape);
}
