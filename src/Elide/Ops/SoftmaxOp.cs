using Elide.Graph;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>
/// Softmax or LogSoftmax along one axis (ONNX opset ≥ 13 semantics; the importer rewrites older opsets' 2-D
/// coercion). softmax(x)_i = e^(x_i − max) / Σ_j e^(x_j − max).
/// </summary>
public sealed class SoftmaxOp(int axis, bool log) : Op
{
    /// <summary>The axis (may be negative).</summary>
    public int Axis { get; } = axis;

    /// <summary>True for LogSoftmax.</summary>
    public bool Log { get; } = log;

    /// <inheritdoc/>
    public override string Name => Log ? "LogSoftmax" : "Softmax";

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        x.NormalizeAxis(Axis);
        return [x];
    }

    /// <summary>The tensor viewed as [outer, axis, inner].</summary>
    public (int Outer, int AxisSize, int Inner) Extents(Shape x)
    {
        int a = x.NormalizeAxis(Axis);
        return ((int)x.Product(0, a), x[a], (int)x.Product(a + 1, x.Rank));
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var x = inputs[0]!.Data;
        var y = outputs[0].Data;
        var (outer, n, inner) = Extents(inputs[0]!.Shape);
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int k = 0; k < n; k++) max = Math.Max(max, x[(o * n + k) * inner + i]);
            for (int k = 0; k < n; k++) sum += Math.Exp(x[(o * n + k) * inner + i] - max);
            for (int k = 0; k < n; k++)
            {
                double z = x[(o * n + k) * inner + i] - max;
                y[(o * n + k) * inner + i] = (float)(Log ? z - Math.Log(sum) : Math.Exp(z) / sum);
            }
        }
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new SoftmaxStep(this, node, builder);
}
