using Elide.Graph;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>Global pooling over all spatial positions (ONNX GlobalAveragePool / GlobalMaxPool): [N,C,...] → [N,C,1,...,1].</summary>
public sealed class GlobalPoolOp(PoolKind kind) : Op
{
    /// <summary>Max or average.</summary>
    public PoolKind Kind { get; } = kind;

    /// <inheritdoc/>
    public override string Name => Kind == PoolKind.Max ? "GlobalMaxPool" : "GlobalAveragePool";

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        Require(node, x.Rank >= 3, $"expects [N,C,spatial...], got {x}");
        var dims = x.ToArray();
        for (int i = 2; i < dims.Length; i++) dims[i] = 1;
        return [new Shape(dims)];
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var x = inputs[0]!;
        int planes = x.Shape[0] * x.Shape[1];
        int spatial = (int)x.Shape.Product(2, x.Shape.Rank);
        for (int p = 0; p < planes; p++)
        {
            double acc = Kind == PoolKind.Max ? double.NegativeInfinity : 0;
            for (int i = 0; i < spatial; i++)
            {
                float v = x.Data[p * spatial + i];
                acc = float.IsNaN(v) ? double.NaN : Kind == PoolKind.Max ? Math.Max(acc, v) : acc + v;
            }
            outputs[0].Data[p] = (float)(Kind == PoolKind.Max ? acc : acc / spatial);
        }
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new GlobalPoolStep(this, node, builder);
}
