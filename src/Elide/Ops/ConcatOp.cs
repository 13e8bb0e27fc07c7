using Elide.Graph;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>ONNX Concat: inputs joined along <see cref="Axis"/>; all other dimensions must match.</summary>
public sealed class ConcatOp(int axis) : Op
{
    /// <summary>The axis (may be negative).</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc/>
    public override string Name => "Concat";

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        Require(node, inputs.Length >= 1, "needs at least one input");
        var first = In(node, inputs, 0);
        int a = first.NormalizeAxis(Axis);
        var dims = first.ToArray();
        dims[a] = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            var s = In(node, inputs, i);
            Require(node, s.Rank == first.Rank, $"input {i} {s} has a different rank than input 0 {first}");
            for (int d = 0; d < s.Rank; d++)
                Require(node, d == a || s[d] == first[d], $"input {i} {s} differs from input 0 {first} outside axis {a}");
            dims[a] += s[a];
        }
        return [new Shape(dims)];
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var y = outputs[0];
        int a = y.Shape.NormalizeAxis(Axis);
        long outer = y.Shape.Product(0, a), inner = y.Shape.Product(a + 1, y.Shape.Rank);
        int offset = 0;
        foreach (var x in inputs)
        {
            int len = x!.Shape[a];
            for (long o = 0; o < outer; o++)
                Array.Copy(x.Data, o * len * inner, y.Data, (o * y.Shape[a] + offset) * inner, len * inner);
            offset += len;
        }
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new ConcatStep(this, node, builder);

    /// <inheritdoc/>
    public override string Describe() => $"Concat axis={Axis}";
}
