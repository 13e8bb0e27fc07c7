using System.Runtime.Intrinsics;

namespace Elide.Kernels;

/// <summary>The elementwise binary operations of <see cref="BinaryKernels"/> (ONNX Add, Sub, Mul, Div, Max, Min).</summary>
public enum BinaryOperation
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a − b.</summary>
    Subtract,
    /// <summary>a · b.</summary>
    Multiply,
    /// <summary>a / b (IEEE: x/0 is ±∞, 0/0 is NaN).</summary>
    Divide,
    /// <summary>max(a, b); NaN if either is NaN (numpy <c>maximum</c>, IEEE 754-2019 maximum).</summary>
    Maximum,
    /// <summary>min(a, b); NaN if either is NaN (numpy <c>minimum</c>, IEEE 754-2019 minimum).</summary>
    Minimum,
    /// <summary>a if a ≥ 0, else a · b (ONNX PRelu: a is the input, b the slope; NaN in a stays NaN).</summary>
    PRelu,
}

/// <summary>A stateless binary operator in scalar and vector form (TensorPrimitives style: static members, so the
/// JIT specializes and inlines each kernel instantiation). The scalar form is the definition.</summary>
internal interface IBinaryOperator
{
    static abstract float Invoke(float a, float b);
    static abstract Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
    static abstract Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
}

internal readonly struct AddOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => a + b;
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;
    public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a + b;
}

internal readonly struct SubtractOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => a - b;
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;
    public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a - b;
}

internal readonly struct MultiplyOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => a * b;
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;
    public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * b;
}

internal readonly struct DivideOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => a / b;
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;
    public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a / b;
}

internal readonly struct MaximumOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => Math.Max(a, b);
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
}

internal readonly struct MinimumOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => Math.Min(a, b);
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
}

internal readonly struct PReluOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => a < 0f ? a * b : a;
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
        Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256<float>.Zero), a * b, a);
    public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) =>
        Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512<float>.Zero), a * b, a);
}
