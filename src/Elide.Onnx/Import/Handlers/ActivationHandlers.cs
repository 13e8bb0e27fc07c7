using Elide.Kernels;
using Elide.Ops;

namespace Elide.Onnx.Import.Handlers;

/// <summary>Pointwise activations → <see cref="ActivationOp"/>, with ONNX's attribute defaults.</summary>
internal static class ActivationHandlers
{
    public static void Relu(NodeContext n) => Emit(n, Activation.Relu);

    /// <summary>alpha defaults to 0.01.</summary>
    public static void LeakyRelu(NodeContext n) => Emit(n, new Activation(ActivationKind.LeakyRelu, n.Proto.GetFloat("alpha", 0.01f)));

    public static void Sigmoid(NodeContext n) => Emit(n, new Activation(ActivationKind.Sigmoid));

    public static void Tanh(NodeContext n) => Emit(n, new Activation(ActivationKind.Tanh));

    public static void HardSwish(NodeContext n) => Emit(n, new Activation(ActivationKind.HardSwish));

    /// <summary>alpha defaults to 0.2, beta to 0.5.</summary>
    public static void HardSigmoid(NodeContext n) =>
        Emit(n, new Activation(ActivationKind.HardSigmoid, n.Proto.GetFloat("alpha", 0.2f), n.Proto.GetFloat("beta", 0.5f)));

    /// <summary>Clip-6: min/max attributes defaulting to the lowest and highest float.</summary>
    public static void ClipAttributes(NodeContext n) =>
        Emit(n, new Activation(ActivationKind.Clip, n.Proto.GetFloat("min", float.MinValue), n.Proto.GetFloat("max", float.MaxValue)));

    /// <summary>Clip-11+: optional min/max inputs (scalars), which must be known at import time.</summary>
    public static void ClipInputs(NodeContext n)
    {
        float min = n.HasInput(1) ? Scalar(n, 1, "min") : float.MinValue;
        float max = n.HasInput(2) ? Scalar(n, 2, "max") : float.MaxValue;
        Emit(n, new Activation(ActivationKind.Clip, min, max));
    }

    private static float Scalar(NodeContext n, int i, string role)
    {
        var v = n.StaticReals(i, $"Clip {role}");
        if (v.Length != 1) throw n.Invalid($"{role} must be a scalar, got {v.Length} values");
        return (float)v[0];
    }

    private static void Emit(NodeContext n, Activation a) => n.Emit(new ActivationOp(a), n.Runtime(0).Value);

    /// <summary>Abs, Neg, Sqrt, Reciprocal, Exp, Log → <see cref="UnaryOp"/>; evaluated at import time on static data.</summary>
    public static void Unary(NodeContext n)
    {
        var operation = n.Proto.OpType switch
        {
            "Abs" => UnaryOperation.Abs,
            "Neg" => UnaryOperation.Negate,
            "Sqrt" => UnaryOperation.Sqrt,
            "Reciprocal" => UnaryOperation.Reciprocal,
            "Exp" => UnaryOperation.Exp,
            "Log" => UnaryOperation.Log,
            _ => throw n.Invalid("not a unary math operator"),
        };
        if (n.IsStatic(0))
        {
            var x = n.Static(0, "X");
            if (x.IsInteger)
            {
                if (operation is not (UnaryOperation.Abs or UnaryOperation.Negate)) throw n.Invalid($"{n.Proto.OpType} of integer data is not supported");
                n.SetStatic(0, StaticMath.Map(x, v => operation == UnaryOperation.Abs ? Math.Abs(v) : -v, v => v));
                return;
            }
            n.SetStatic(0, StaticMath.Map(x, null, v => x.Type is OnnxElementType.Double ? UnaryOp.Compute(operation, v) : UnaryOp.Compute(operation, (float)v)));
            return;
        }
        n.Emit(new UnaryOp(operation), n.Runtime(0).Value);
    }
}
