using Elide.Graph;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>
/// Reshape to a target shape (ONNX Reshape with the shape input folded to this attribute): 0 copies the input
/// dimension at that position (unless <see cref="AllowZero"/>), one −1 is inferred. A view: no data moves.
/// </summary>
public sealed class ReshapeOp(int[] target) : Op
{
    /// <summary>The requested shape with ONNX's 0 and −1 conventions.</summary>
    public IReadOnlyList<int> Target { get; } = (int[])target.Clone();

    /// <summary>ONNX allowzero: a 0 means a zero-sized dimension rather than "copy".</summary>
    public bool AllowZero { get; init; }

    /// <inheritdoc/>
    public override string Name => "Reshape";

    /// <inheritdoc/>
    public override int ViewOfInput => 0;

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        var dims = new int[Target.Count];
        int inferAt = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            int t = Target[i];
            if (t == -1)
            {
                Require(node, inferAt < 0, $"target {Format()} has more than one −1");
                inferAt = i;
                continue;
            }
            if (t == 0 && !AllowZero)
            {
                Require(node, i < x.Rank, $"target {Format()} copies dimension {i} but the input {x} has rank {x.Rank}");
                t = x[i];
            }
            Require(node, t >= 0, $"target {Format()} has invalid dimension {t}");
            dims[i] = t;
            known *= t;
        }
        long total = x.ElementCount;
        if (inferAt >= 0)
        {
            Require(node, known > 0 && total % known == 0, $"cannot reshape {x} ({total} elements) to {Format()}");
            dims[inferAt] = (int)(total / known);
        }
        else Require(node, known == total, $"cannot reshape {x} ({total} elements) to {Format()} ({known} elements)");
        return [new Shape(dims)];
    }

    private string Format() => "[" + string.Join(",", Target) + "]";

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs) => inputs[0]!.Data.CopyTo(outputs[0].Data, 0);

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => NoStep.Instance;

    /// <inheritdoc/>
    public override string Describe() => $"Reshape {Format()}";
}

/// <summary>ONNX Flatten: [d0..dn] → [d0·…·d(axis−1), d(axis)·…·dn]. A view.</summary>
public sealed class FlattenOp(int axis = 1) : Op
{
    /// <summary>The split point (may be negative).</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc/>
    public override string Name => "Flatten";

    /// <inheritdoc/>
    public override int ViewOfInput => 0;

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        int a = Axis < 0 ? Axis + x.Rank : Axis;
        Require(node, a >= 0 && a <= x.Rank, $"axis {Axis} out of range for {x}");
        return [new Shape((int)x.Product(0, a), (int)x.Product(a, x.Rank))];
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs) => inputs[0]!.Data.CopyTo(outputs[0].Data, 0);

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => NoStep.Instance;
}

/// <summary>Identity (also ONNX Dropout at inference). A view.</summary>
public sealed class IdentityOp : Op
{
    /// <inheritdoc/>
    public override string Name => "Identity";

    /// <inheritdoc/>
    public override int ViewOfInput => 0;

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs) => [In(node, inputs, 0)];

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs) => inputs[0]!.Data.CopyTo(outputs[0].Data, 0);

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => NoStep.Instance;
}
