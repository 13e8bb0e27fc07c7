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
    private readonly StepBuffers buffers;

    /// <summary>A tape whose kernels run on <paramref name="pool"/> (null: the calling thread only).</summary>
    /// <param name="pool">Threads for the kernels.</param>
    /// <param name="recording">False for evaluation (no backward rules are kept).</param>
    /// <param name="buffers">Arrays to build this tape's tensors in, recycled across steps by the owner (see
    /// <see cref="StepBuffers"/>); null: fresh arrays that live as long as they are referenced.</param>
    public Tape(WorkerPool? pool = null, bool recording = true, StepBuffers? buffers = null)
    {
        Pool = pool;
        IsRecording = recording;
        this.buffers = buffers ?? new StepBuffers();
        ownsBuffers = buffers is null;
    }

    private readonly bool ownsBuffers;

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
        loss.AddGradient([1f]);
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
    private float[] Workspace(long floats) => buffers.Workspace(floats);

    /// <summary>
    /// An array for a result or gradient of <paramref name="length"/> floats; <paramref name="clear"/> false only where
    /// the kernel writing it overwrites every element.
    /// </summary>
    private float[] Allocate(long length, bool clear)
    {
        int n = checked((int)length);
        // A tape with its own buffers never reclaims them, so renting would only keep every array alive.
        if (ownsBuffers) return clear ? new float[n] : GC.AllocateUninitializedArray<float>(n);
        return buffers.Rent(n, clear);
    }

    /// <summary>A result tensor shaped like <paramref name="v"/> that the caller fully overwrites.</summary>
    private Tensor Like(Variable v) => Like(v.Shape);

    /// <summary>A result tensor of <paramref name="shape"/> that the caller fully overwrites.</summary>
    private Tensor Like(Shape shape) => new(shape, Allocate(shape.ElementCount, clear: false));

    /// <summary>Adds <paramref name="gradient"/> into v's gradient; a borrowed array (one that is also another
    /// variable's gradient) is copied before it becomes a gradient that later contributions are added into.</summary>
    private void Accumulate(Variable v, float[] gradient, bool owned)
    {
        if (v.Gradient is null && !owned)
        {
            var copy = Allocate(gradient.Length, clear: false);
            gradient.AsSpan().CopyTo(copy);
            gradient = copy;
        }
        v.AddGradient(gradient);
    }
}
