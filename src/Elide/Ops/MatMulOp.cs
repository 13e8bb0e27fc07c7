using Elide.Graph;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>
/// NumPy matmul (ONNX MatMul): the last two axes are multiplied, leading axes broadcast; 1-D operands are promoted
/// (a leading 1 for A, a trailing 1 for B) and the promoted axis removed from the result.
/// </summary>
public sealed class MatMulOp : Op
{
    /// <inheritdoc/>
    public override string Name => "MatMul";

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var a = In(node, inputs, 0);
        var b = In(node, inputs, 1);
        Require(node, a.Rank >= 1 && b.Rank >= 1, $"operands must have rank ≥ 1, got {a} and {b}");
        var (pa, pb) = (Promote(a, true), Promote(b, false));
        Require(node, pa[^1] == pb[^2], $"inner dimensions differ: {a} · {b}");
        var batch = BinaryOp.Broadcast(new Shape(pa.ToArray()[..^2]), new Shape(pb.ToArray()[..^2]));
        var dims = batch.ToArray().ToList();
        if (a.Rank > 1) dims.Add(pa[^2]);
        if (b.Rank > 1) dims.Add(pb[^1]);
        return [new Shape(dims.ToArray())];
    }

    private static Shape Promote(Shape s, bool isA) =>
        s.Rank > 1 ? s : isA ? new Shape(1, s[0]) : new Shape(s[0], 1);

    /// <inheritdoc/>
    public override long MultiplyAccumulates(Shape?[] inputs, Shape[] outputs) =>
        outputs[0].ElementCount * Promote(inputs[0]!, true)[^1];

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var pa = Promote(inputs[0]!.Shape, true);
        var pb = Promote(inputs[1]!.Shape, false);
        int m = pa[^2], k = pa[^1], n = pb[^1];
        var batch = BinaryOp.Broadcast(new Shape(pa.ToArray()[..^2]), new Shape(pb.ToArray()[..^2]));
        var batchA = new Shape(pa.ToArray()[..^2]);
        var batchB = new Shape(pb.ToArray()[..^2]);
        int batches = (int)batch.ElementCount;
        var index = new int[batch.Rank];
        for (int t = 0; t < batches; t++)
        {
            int rem = t;
            for (int d = batch.Rank - 1; d >= 0; d--) { index[d] = rem % batch[d]; rem /= batch[d]; }
            int oa = BinaryOp.BroadcastIndex(batchA, index) * m * k;
            int ob = BinaryOp.BroadcastIndex(batchB, index) * k * n;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)inputs[0]!.Data[oa + i * k + p] * inputs[1]!.Data[ob + p * n + j];
                outputs[0].Data[(t * m + i) * n + j] = (float)sum;
            }
        }
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new MatMulStep(node, builder);
}
