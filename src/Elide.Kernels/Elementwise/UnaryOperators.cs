using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Elide.Kernels;

/// <summary>
/// A pointwise function with scalar and vector forms. Kernels take the operator as a struct type argument so the JIT
/// compiles one specialized loop per operator with the call inlined (the TensorPrimitives pattern).
/// </summary>
/// <remarks>
/// Unlike TensorPrimitives' stateless operators, <c>Invoke</c> is an instance method: activations such as LeakyRelu
/// and Clip carry parameters. A readonly struct passed by value is specialized and inlined exactly the same way.
/// The scalar form is the definition; the vector forms must agree with it (to within the documented error of
/// <see cref="VectorMath.Exp(Vector512{float})"/> for the transcendental ones).
/// </remarks>
internal interface IUnaryOperator
{
    float Invoke(float x);
    Vector256<float> Invoke(Vector256<float> x);
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>Receives the struct operator that implements a runtime <see cref="Activation"/>.</summary>
internal interface IActivationVisitor
{
    void Visit<TActivation>(TActivation activation) where TActivation : struct, IUnaryOperator;
}

/// <summary>Turns a runtime <see cref="Activation"/> into a call specialized for its operator struct.</summary>
internal static class ActivationDispatch
{
    public static void Accept<TVisitor>(in Activation activation, ref TVisitor visitor) where TVisitor : struct, IActivationVisitor
    {
        switch (activation.Kind)
        {
            case ActivationKind.None: visitor.Visit(new IdentityOperator()); break;
            case ActivationKind.Relu: visitor.Visit(new ReluOperator()); break;
            case ActivationKind.LeakyRelu: visitor.Visit(new LeakyReluOperator(activation.Alpha)); break;
            case ActivationKind.Clip: visitor.Visit(new ClipOperator(activation.Alpha, activation.Beta)); break;
            case ActivationKind.Sigmoid: visitor.Visit(new SigmoidOperator()); break;
            case ActivationKind.Tanh: visitor.Visit(new TanhOperator()); break;
            case ActivationKind.HardSwish: visitor.Visit(new HardSwishOperator()); break;
            case ActivationKind.HardSigmoid: visitor.Visit(new HardSigmoidOperator(activation.Alpha, activation.Beta)); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation.Kind, "unknown activation kind");
        }
    }
}

/// <summary>y = x.</summary>
internal readonly struct IdentityOperator : IUnaryOperator
{
    public float Invoke(float x) => x;
    public Vector256<float> Invoke(Vector256<float> x) => x;
    public Vector512<float> Invoke(Vector512<float> x) => x;
}

/// <summary>y = max(x, 0); NaN propagates (vector Max follows IEEE 754-2019 maximum, like Math.Max).</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    public float Invoke(float x) => float.IsNaN(x) ? x : Math.Max(x, 0f);
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}

/// <summary>y = x if x ≥ 0 else α·x; NaN fails the comparison and passes through unchanged.</summary>
internal readonly struct LeakyReluOperator(float alpha) : IUnaryOperator
{
    public float Invoke(float x) => x >= 0f || float.IsNaN(x) ? x : alpha * x;
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), x * Vector256.Create(alpha), x);
    public Vector512<float> Invoke(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), x * Vector512.Create(alpha), x);
}

/// <summary>y = min(max(x, lo), hi); NaN propagates.</summary>
internal readonly struct ClipOperator(float lo, float hi) : IUnaryOperator
{
    public float Invoke(float x) => float.IsNaN(x) ? x : Math.Min(Math.Max(x, lo), hi);
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Min(Vector256.Max(x, Vector256.Create(lo)), Vector256.Create(hi));
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Min(Vector512.Max(x, Vector512.Create(lo)), Vector512.Create(hi));
}

/// <summary>y = 1 / (1 + e^−x). Vector forms use <see cref="VectorMath"/>; ±∞ give 1 and 0; NaN propagates.</summary>
internal readonly struct SigmoidOperator : IUnaryOperator
{
    public float Invoke(float x) => 1f / (1f + MathF.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + VectorMath.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + VectorMath.Exp(-x));
}

/// <summary>
/// y = tanh(x). Vector forms: for |x| &lt; 0.625 the odd minimax polynomial of Cephes <c>tanhf</c> (which avoids the
/// cancellation in 1 − e^−2|x| near zero), otherwise sign(x)·(1 − 2/(e^2|x| + 1)). ±∞ give ±1; NaN propagates.
/// </summary>
internal readonly struct TanhOperator : IUnaryOperator
{
    private const float SmallLimit = 0.625f;
    private const float T0 = -5.70498872745e-3f;
    private const float T1 = 2.06390887954e-2f;
    private const float T2 = -5.37397155531e-2f;
    private const float T3 = 1.33314422036e-1f;
    private const float T4 = -3.33332819422e-1f;

    public float Invoke(float x) => MathF.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var z = x * x;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(T0), z, Vector256.Create(T1));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(T2));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(T3));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(T4));
        var small = Vector256.FusedMultiplyAdd(p * z, x, x);
        var e = VectorMath.Exp(ax + ax);
        var large = Vector256.CopySign(Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One), x);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(SmallLimit)), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var z = x * x;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(T0), z, Vector512.Create(T1));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(T2));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(T3));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(T4));
        var small = Vector512.FusedMultiplyAdd(p * z, x, x);
        var e = VectorMath.Exp(ax + ax);
        var large = Vector512.CopySign(Vector512<float>.One - Vector512.Create(2f) / (e + Vector512<float>.One), x);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(SmallLimit)), small, large);
    }
}

/// <summary>y = x·clamp(x/6 + 1/2, 0, 1) (ONNX HardSwish); NaN propagates.</summary>
internal readonly struct HardSwishOperator : IUnaryOperator
{
    private const float Sixth = 1f / 6f;

    public float Invoke(float x) => float.IsNaN(x) ? x : x * Math.Clamp(x / 6f + 0.5f, 0f, 1f);
    public Vector256<float> Invoke(Vector256<float> x) =>
        x * Vector256.Min(Vector256.Max(Vector256.FusedMultiplyAdd(x, Vector256.Create(Sixth), Vector256.Create(0.5f)), Vector256<float>.Zero), Vector256<float>.One);
    public Vector512<float> Invoke(Vector512<float> x) =>
        x * Vector512.Min(Vector512.Max(Vector512.FusedMultiplyAdd(x, Vector512.Create(Sixth), Vector512.Create(0.5f)), Vector512<float>.Zero), Vector512<float>.One);
}

/// <summary>y = clamp(α·x + β, 0, 1) (ONNX HardSigmoid); NaN propagates.</summary>
internal readonly struct HardSigmoidOperator(float alpha, float beta) : IUnaryOperator
{
    public float Invoke(float x) => float.IsNaN(x) ? x : Math.Clamp(alpha * x + beta, 0f, 1f);
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.Min(Vector256.Max(Vector256.FusedMultiplyAdd(x, Vector256.Create(alpha), Vector256.Create(beta)), Vector256<float>.Zero), Vector256<float>.One);
    public Vector512<float> Invoke(Vector512<float> x) =>
        Vector512.Min(Vector512.Max(Vector512.FusedMultiplyAdd(x, Vector512.Create(alpha), Vector512.Create(beta)), Vector512<float>.Zero), Vector512<float>.One);
}
