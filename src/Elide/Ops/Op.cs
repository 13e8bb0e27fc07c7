using Elide.Graph;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>
/// An operator with its attributes. Each op lives in one file and defines, side by side:
/// shape inference, a plain reference evaluation (the specification every fast path is tested against),
/// its cost, and how it is planned onto the fast kernels.
/// </summary>
public abstract class Op
{
    /// <summary>The operator name (the ONNX op type where one exists).</summary>
    public abstract string Name { get; }

    /// <summary>Output shapes for the given input shapes (null for an omitted optional input).</summary>
    /// <exception cref="GraphException">The inputs are invalid for this op.</exception>
    public abstract Shape[] InferShapes(Node node, Shape?[] inputs);

    /// <summary>
    /// The reference semantics: computes <paramref name="outputs"/> (allocated with the inferred shapes) from
    /// <paramref name="inputs"/> with plain loops. Slow on purpose; used by the reference interpreter and tests.
    /// </summary>
    public abstract void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs);

    /// <summary>Multiply–accumulate count for one execution with these shapes (0 for data movement).</summary>
    public virtual long MultiplyAccumulates(Shape?[] inputs, Shape[] outputs) => 0;

    /// <summary>
    /// When non-negative, output 0 is the same memory as this input viewed under another shape
    /// (Reshape, Flatten, Identity): the planner aliases the buffers and no step runs.
    /// </summary>
    public virtual int ViewOfInput => -1;

    /// <summary>
    /// Builds the fast execution step for this node. The default runs <see cref="Evaluate"/> on copies
    /// (correct but slow, and allocating): every op used in real networks overrides it.
    /// </summary>
    internal virtual IExecutionStep CreateStep(Node node, StepBuilder builder) => new ReferenceStep(node, builder);

    /// <summary>A short attribute summary for `elide info`.</summary>
    public virtual string Describe() => Name;

    /// <inheritdoc/>
    public override string ToString() => Describe();

    /// <summary>Throws a <see cref="GraphException"/> for <paramref name="node"/> unless <paramref name="condition"/> holds.</summary>
    protected static void Require(Node node, bool condition, string message)
    {
        if (!condition) throw new GraphException(node, message);
    }

    /// <summary>The shape of a required input.</summary>
    protected static Shape In(Node node, Shape?[] inputs, int index) =>
        index < inputs.Length && inputs[index] is { } s ? s : throw new GraphException(node, $"input {index} is required but missing");
}
