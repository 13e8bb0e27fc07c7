using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Elide.Kernels;

/// <summary>Vectorized transcendental functions shared by the activation and softmax kernels.</summary>
/// <remarks>
/// <para>
/// e^x uses the classic range reduction x = n·ln2 + r with |r| ≤ ln2/2 and a degree-7 polynomial for e^r whose
/// coefficients are the single-precision minimax fit published with Cephes <c>expf</c> (S. L. Moshier, Cephes Math
/// Library, 1984–1992). ln2 is split into a short high part (exact in float, 0.693359375) and a low correction so
/// that n·ln2 is subtracted without rounding error (Cody and Waite, "Software Manual for the Elementary Functions",
/// 1980). 2^n is built from exponent bits in two halves, 2^⌊n/2⌋ · 2^(n−⌊n/2⌋), so results that overflow become +∞
/// and results below the normal range underflow gradually to subnormals and zero instead of producing garbage bits.
/// </para>
/// <para>
/// ln x uses Cephes <c>logf</c>'s method: split x = m·2^e with m in [√½, √2), then ln(1 + f) for f = m − 1 by a
/// degree-9 minimax polynomial and add e·ln2 in two parts (same Cody–Waite split as above). Subnormal inputs are scaled by
/// 2^23 first. ln 0 = −∞, ln of a negative number = NaN, ln +∞ = +∞. Measured maximum error over random floats of every
/// binade, subnormals included (UnaryKernelsTests.VectorLogErrorOverEveryBinade): 0.71 ulp.
/// </para>
/// <para>Measured maximum error against a double-precision e^x over [−87, 88] (ActivationKernelsTests.
/// VectorExpRelativeErrorIsWithinTwoUlps): 1.24 ulp, relative 1.18e−7, for both widths. NaN in gives NaN out; +∞ gives
/// +∞; −∞ gives 0.</para>
/// </remarks>
internal static class VectorMath
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;
    // Beyond these the result is +∞ or 0 anyway; clamping keeps n inside [−150, 129] so both exponent halves are valid.
    private const float ClampHigh = 89f;
    private const float ClampLow = -104f;

    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    /// <summary>e^x lane by lane (see the type remarks for the method and its accuracy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        // Max/Min propagate NaN, so a NaN lane stays NaN through r and the polynomial.
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(ClampLow)), Vector512.Create(ClampHigh));
        var n = Vector512.Round(x * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);

        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);

        var exponent = Vector512.ConvertToInt32Native(n);
        var half = Vector512.ShiftRightArithmetic(exponent, 1);
        var scale1 = Vector512.ShiftLeft(half + Vector512.Create(127), 23).AsSingle();
        var scale2 = Vector512.ShiftLeft(exponent - half + Vector512.Create(127), 23).AsSingle();
        return p * scale1 * scale2;
    }

    /// <summary>e^x lane by lane (see the type remarks for the method and its accuracy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(ClampLow)), Vector256.Create(ClampHigh));
        var n = Vector256.Round(x * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2High), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Low), r);

        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);

        var exponent = Vector256.ConvertToInt32Native(n);
        var half = Vector256.ShiftRightArithmetic(exponent, 1);
        var scale1 = Vector256.ShiftLeft(half + Vector256.Create(127), 23).AsSingle();
        var scale2 = Vector256.ShiftLeft(exponent - half + Vector256.Create(127), 23).AsSingle();
        return p * scale1 * scale2;
    }

    private const float SqrtHalf = 0.707106781186547524f;
    private const float SmallestNormal = 1.17549435e-38f;
    private const float L0 = 7.0376836292e-2f;
    private const float L1 = -1.1514610310e-1f;
    private const float L2 = 1.1676998740e-1f;
    private const float L3 = -1.2420140846e-1f;
    private const float L4 = 1.4249322787e-1f;
    private const float L5 = -1.6668057665e-1f;
    private const float L6 = 2.0000714765e-1f;
    private const float L7 = -2.4999993993e-1f;
    private const float L8 = 3.3333331174e-1f;

    /// <summary>ln x lane by lane (see the type remarks for the method and its special values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x)
    {
        var subnormal = Vector512.LessThan(x, Vector512.Create(SmallestNormal)) & Vector512.GreaterThan(x, Vector512<float>.Zero);
        var scaled = Vector512.ConditionalSelect(subnormal, x * Vector512.Create(8388608f), x);
        var bits = scaled.AsInt32();
        var exponent = (Vector512.ShiftRightLogical(bits, 23) & Vector512.Create(0xff)) - Vector512.ConditionalSelect(subnormal.AsInt32(), Vector512.Create(126 + 23), Vector512.Create(126));
        var m = ((bits & Vector512.Create(unchecked((int)0x807fffff))) | Vector512.Create(0x3f000000)).AsSingle(); // [0.5, 1)
        var e = Vector512.ConvertToSingle(exponent);
        var small = Vector512.LessThan(m, Vector512.Create(SqrtHalf));
        e -= Vector512.ConditionalSelect(small, Vector512<float>.One, Vector512<float>.Zero);
        var f = Vector512.ConditionalSelect(small, m + m, m) - Vector512<float>.One;

        var z = f * f;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(L0), f, Vector512.Create(L1));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L2));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L3));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L4));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L5));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L6));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L7));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L8));
        var y = p * f * z;
        y = Vector512.FusedMultiplyAdd(e, Vector512.Create(Ln2Low), y);
        y = Vector512.FusedMultiplyAdd(z, Vector512.Create(-0.5f), y);
        var result = Vector512.FusedMultiplyAdd(e, Vector512.Create(Ln2High), f + y);

        result = Vector512.ConditionalSelect(Vector512.Equals(x, Vector512<float>.Zero), Vector512.Create(float.NegativeInfinity), result);
        result = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512.Create(float.NaN), result);
        // +∞ and NaN pass through unchanged.
        return Vector512.ConditionalSelect(Vector512.Equals(x, Vector512.Create(float.PositiveInfinity)) | ~Vector512.Equals(x, x), x, result);
    }

    /// <summary>ln x lane by lane (see the type remarks for the method and its special values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log(Vector256<float> x)
    {
        var subnormal = Vector256.LessThan(x, Vector256.Create(SmallestNormal)) & Vector256.GreaterThan(x, Vector256<float>.Zero);
        var scaled = Vector256.ConditionalSelect(subnormal, x * Vector256.Create(8388608f), x);
        var bits = scaled.AsInt32();
        var exponent = (Vector256.ShiftRightLogical(bits, 23) & Vector256.Create(0xff)) - Vector256.ConditionalSelect(subnormal.AsInt32(), Vector256.Create(126 + 23), Vector256.Create(126));
        var m = ((bits & Vector256.Create(unchecked((int)0x807fffff))) | Vector256.Create(0x3f000000)).AsSingle();
        var e = Vector256.ConvertToSingle(exponent);
        var small = Vector256.LessThan(m, Vector256.Create(SqrtHalf));
        e -= Vector256.ConditionalSelect(small, Vector256<float>.One, Vector256<float>.Zero);
        var f = Vector256.ConditionalSelect(small, m + m, m) - Vector256<float>.One;

        var z = f * f;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(L0), f, Vector256.Create(L1));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(L2));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(L3));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(L4));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(L5));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(L6));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(L7));
        p = Vector256.FusedMultiplyAdd(p, f, Vector256.Create(L8));
        var y = p * f * z;
        y = Vector256.FusedMultiplyAdd(e, Vector256.Create(Ln2Low), y);
        y = Vector256.FusedMultiplyAdd(z, Vector256.Create(-0.5f), y);
        var result = Vector256.FusedMultiplyAdd(e, Vector256.Create(Ln2High), f + y);

        result = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<float>.Zero), Vector256.Create(float.NegativeInfinity), result);
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256.Create(float.NaN), result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, Vector256.Create(float.PositiveInfinity)) | ~Vector256.Equals(x, x), x, result);
    }
}
