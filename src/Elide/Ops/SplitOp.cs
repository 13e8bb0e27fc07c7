using Elide.Graph;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>ONNX Split (also Slice along one axis with unit step): input cut into consecutive parts along <see cref="Axis"/>.</summary>
public sealed class SplitOp(int axis, int[] sizes) : Op
{
    /// <summary>The axis (may be negative).</summary>
    public int Axis { get; } = axis;

    /// <summary>Length of each part along the axis.</summary>
    public IReadOnlyList<int> Sizes { get; } = (int[])sizes.Clone();

    /// <summary>Elements skipped before the first part (Slice with a start).</summary>
    public int Start { get; init; }

    /// <inheritdoc/>
    public override string Name => "Split";

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        int a = x.NormalizeAxis(Axis);
        Require(node, Sizes.All(s => s >= 0) && Start >= 0 && Start + Sizes.Sum() <= x[a],
            $"parts [{string.Join(",", Sizes)}] from {Start} exceed axis {a} of {x}");
        return Sizes.Select(s => x.With(a, s)).ToArray();
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var x = inputs[0]!;
        int a = x.Shape.NormalizeAxis(Axis);
        long outer = x.Shape.Product(0, a), inner = x.Shape.Product(a + 1, x.Shape.Rank);
        int offset = Start;
        for (int i = 0; i < outputs.Length; i++)
        {
            int len = Sizes[i];
            for (long o = 0; o < outer; o++)
                Array.Copy(x.Data, (o * x.Shape[a] + offset) * inner, outputs[i].Data, o * len * inner, len * inner);
            offset += len;
        }
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new SplitStep(this, node, builder);

    /// <inheritdoc/>
    public override string Describe() => $"Split axis={Axis} [{string.Join(",", Sizes)}]";
}
