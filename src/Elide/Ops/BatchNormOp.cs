using Elide.Graph;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>
/// Inference-mode batch normalization (ONNX BatchNormalization): inputs X [N,C,...], scale, B, mean, var (each [C]);
/// Y = scale·(X − mean)/√(var + ε) + B. The planner folds it into a preceding convolution when it can.
/// </summary>
public sealed class BatchNormOp : Op
{
    /// <summary>ε added to the variance (ONNX default 1e-5).</summary>
    public float Epsilon { get; init; } = 1e-5f;

    /// <inheritdoc/>
    public override string Name => "BatchNormalization";

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        Require(node, x.Rank >= 2, $"expects [N,C,...], got {x}");
        for (int i = 1; i <= 4; i++)
        {
            var p = In(node, inputs, i);
            Require(node, p.Rank == 1 && p[0] == x[1], $"parameter {i} has shape {p}, expected [{x[1]}]");
        }
        return [x];
    }

    /// <summary>Per-channel multiplier and addend equivalent to this normalization: y = x·a + b.</summary>
    public (float[] Multiplier, float[] Addend) ToAffine(Tensor scale, Tensor bias, Tensor mean, Tensor variance)
    {
        int c = scale.Length;
        var a = new float[c];
        var b = new float[c];
        for (int i = 0; i < c; i++)
        {
            double m = scale.Data[i] / Math.Sqrt((double)variance.Data[i] + Epsilon);
            a[i] = (float)m;
            b[i] = (float)(bias.Data[i] - mean.Data[i] * m);
        }
        return (a, b);
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var x = inputs[0]!;
        int n = x.Shape[0], c = x.Shape[1];
        int spatial = (int)x.Shape.Product(2, x.Shape.Rank);
        for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
        {
            double inv = 1.0 / Math.Sqrt((double)inputs[4]!.Data[ch] + Epsilon);
            for (int i = 0; i < spatial; i++)
            {
                int o = (b * c + ch) * spatial + i;
                outputs[0].Data[o] = (float)(inputs[1]!.Data[ch] * (x.Data[o] - inputs[3]!.Data[ch]) * inv + inputs[2]!.Data[ch]);
            }
        }
    }

    /// <inheritdoc/>
    public override long MultiplyAccumulates(Shape?[] inputs, Shape[] outputs) => outputs[0].ElementCount;

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new BatchNormStep(this, node, builder);

    /// <inheritdoc/>
    public override string Describe() => $"BatchNormalization eps={Epsilon:g3}";
}
