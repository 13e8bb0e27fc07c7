using Elide.Graph;
using Elide.Kernels;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>Pointwise math (ONNX Abs, Neg, Sqrt, Reciprocal, Exp, Log) on the vectorized <see cref="UnaryKernels"/>.</summary>
/// <param name="operation">The function.</param>
public sealed class UnaryOp(UnaryOperation operation) : Op
{
    /// <summary>The function.</summary>
    public UnaryOperation Operation { get; } = operation;

    /// <inheritdoc/>
    public override string Name => OnnxName(Operation);

    /// <summary>The ONNX operator of <paramref name="operation"/>.</summary>
    public static string OnnxName(UnaryOperation operation) => operation switch
    {
        UnaryOperation.Abs => "Abs",
        UnaryOperation.Negate => "Neg",
        UnaryOperation.Sqrt => "Sqrt",
        UnaryOperation.Reciprocal => "Reciprocal",
        UnaryOperation.Exp => "Exp",
        UnaryOperation.Log => "Log",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "unknown unary operation"),
    };

    /// <summary>The definition, in double (import-time folding of double tensors uses it directly).</summary>
    public static double Compute(UnaryOperation operation, double x) => operation switch
    {
        UnaryOperation.Abs => Math.Abs(x),
        UnaryOperation.Negate => -x,
        UnaryOperation.Sqrt => Math.Sqrt(x),
        UnaryOperation.Reciprocal => 1 / x,
        UnaryOperation.Exp => Math.Exp(x),
        UnaryOperation.Log => Math.Log(x),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "unknown unary operation"),
    };

    /// <summary>The float32 result: the double definition rounded once (the vector kernels are within a few ulp of it).</summary>
    public static float Compute(UnaryOperation operation, float x) => (float)Compute(operation, (double)x);

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs) => [In(node, inputs, 0)];

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var x = inputs[0]!.Data;
        for (int i = 0; i < x.Length; i++) outputs[0].Data[i] = Compute(Operation, x[i]);
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new UnaryStep(Operation, node, builder);
}
