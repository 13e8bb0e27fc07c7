using Elide.Ops;

namespace Elide.Onnx.Import.Handlers;

/// <summary>ONNX Gemm → <see cref="GemmOp"/> and MatMul → <see cref="MatMulOp"/>.</summary>
internal static class LinearHandlers
{
    /// <summary>Y = alpha·A'·B' + beta·C; C is optional from opset 11 and (for Elide's planner) constant. Opset 6's broadcast attribute is implied by unidirectional broadcasting.</summary>
    public static void Gemm(NodeContext n)
    {
        var op = new GemmOp
        {
            TransA = n.Proto.GetInt("transA", 0) != 0,
            TransB = n.Proto.GetInt("transB", 0) != 0,
            Alpha = n.Proto.GetFloat("alpha", 1f),
            Beta = n.Proto.GetFloat("beta", 1f),
        };
        var a = n.Runtime(0).Value;
        var b = n.Runtime(1).Value;
        if (n.HasInput(2)) n.Emit(op, a, b, n.Constant(2, "Gemm C"));
        else n.Emit(op, a, b);
    }

    public static void MatMul(NodeContext n) => n.Emit(new MatMulOp(), n.Runtime(0).Value, n.Runtime(1).Value);
}
