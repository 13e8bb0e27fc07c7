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
}
