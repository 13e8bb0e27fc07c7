using Elide.Graph;
using Elide.Kernels;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>
/// General matrix multiply (ONNX Gemm): Y = act(α·op(A)·op(B) + β·C), A and B 2-D, C optional and unidirectionally
/// broadcast to [M, N]. Linear layers are Gemm with transB = 1.
/// </summary>
public sealed class GemmOp : Op
{
    /// <summary>Transpose A first.</summary>
    public bool TransA { get; init; }

    /// <summary>Transpose B first.</summary>
    public bool TransB { get; init; }

    /// <summary>α.</summary>
    public float Alpha { get; init; } = 1f;

    /// <summary>β.</summary>
    public float Beta { get; init; } = 1f;

    /// <summary>Activation fused into the output.</summary>
    public Activation Activation { get; init; } = Activation.None;

    /// <inheritdoc/>
    public override string Name => "Gemm";

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var a = In(node, inputs, 0);
        var b = In(node, inputs, 1);
        Require(node, a.Rank == 2 && b.Rank == 2, $"expects 2-D A and B, got {a} and {b}");
        int m = TransA ? a[1] : a[0], k = TransA ? a[0] : a[1];
        int kb = TransB ? b[1] : b[0], n = TransB ? b[0] : b[1];
        Require(node, k == kb, $"inner dimensions differ: A {a}{(TransA ? "ᵀ" : "")} · B {b}{(TransB ? "ᵀ" : "")}");
        if (inputs.Length > 2 && inputs[2] is { } c)
        {
            Require(node, c.Rank <= 2, $"C must have rank ≤ 2, got {c}");
            var bc = BinaryOp.Broadcast(c, new Shape(m, n));
            Require(node, bc.Equals(new Shape(m, n)), $"C {c} does not broadcast to [{m},{n}]");
        }
        return [new Shape(m, n)];
    }

    /// <inheritdoc/>
    public override long MultiplyAccumulates(Shape?[] inputs, Shape[] outputs) =>
        outputs[0].ElementCount * (TransA ? inputs[0]![0] : inputs[0]![1]);

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var a = inputs[0]!;
        var b = inputs[1]!;
        var c = inputs.Length > 2 ? inputs[2] : null;
        int m = outputs[0].Shape[0], n = outputs[0].Shape[1];
        int k = TransA ? a.Shape[0] : a.Shape[1];
        var index = new int[2];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            for (int p = 0; p < k; p++)
            {
                float av = TransA ? a.Data[p * m + i] : a.Data[i * k + p];
                float bv = TransB ? b.Data[j * k + p] : b.Data[p * n + j];
                sum += (double)av * bv;
            }
            sum *= Alpha;
            if (c is not null)
            {
                index[0] = i; index[1] = j;
                sum += Beta * (double)c.Data[BinaryOp.BroadcastIndex(c.Shape, index)];
            }
            outputs[0].Data[i * n + j] = Activation.Apply((float)sum);
        }
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new GemmStep(this, node, builder);

    /// <inheritdoc/>
    public override string Describe() =>
        $"Gemm{(TransA ? " transA" : "")}{(TransB ? " transB" : "")}{(Activation.Kind != ActivationKind.None ? " +" + Activation.Kind : "")}";
}
