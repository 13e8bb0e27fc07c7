using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Elide.Kernels;

/// <summary>Vectorized reductions of one contiguous run of floats, shared by pooling and softmax.</summary>
internal static class Reductions
{
    /// <summary>Σ x[i], with two independent vector accumulators (hides the add latency) reduced lane by lane at the end.
    /// NaN propagates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe float Sum(float* x, int length)
    {
        int i = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && length >= 16)
        {
            Vector512<float> s0 = Vector512<float>.Zero, s1 = Vector512<float>.Zero;
            for (; i <= length - 32; i += 32)
            {
                s0 += Vector512.Load(x + i);
                s1 += Vector512.Load(x + i + 16);
            }
            if (i <= length - 16)
            {
                s0 += Vector512.Load(x + i);
                i += 16;
            }
            sum = Vector512.Sum(s0 + s1);
        }
        else if (Vector256.IsHardwareAccelerated && length >= 8)
        {
            Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero;
            for (; i <= length - 16; i += 16)
            {
                s0 += Vector256.Load(x + i);
                s1 += Vector256.Load(x + i + 8);
            }
            if (i <= length - 8)
            {
                s0 += Vector256.Load(x + i);
                i += 8;
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; i < length; i++) sum += x[i];
        return sum;
    }

    /// <summary>max x[i]; −∞ for an empty run. NaN propagates (vector Max follows IEEE 754-2019 maximum, and so does
    /// Math.Max in the lane reduction and the tail).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe float Max(float* x, int length)
    {
        int i = 0;
        float m = float.NegativeInfinity;
        if (Vector512.IsHardwareAccelerated && length >= 16)
        {
            var v = Vector512.Load(x);
            for (i = 16; i <= length - 16; i += 16) v = Vector512.Max(v, Vector512.Load(x + i));
            for (int l = 0; l < 16; l++) m = Math.Max(m, v[l]);
        }
        else if (Vector256.IsHardwareAccelerated && length >= 8)
        {
            var v = Vector256.Load(x);
            for (i = 8; i <= length - 8; i += 8) v = Vector256.Max(v, Vector256.Load(x + i));
            for (int l = 0; l < 8; l++) m = Math.Max(m, v[l]);
        }
        for (; i < length; i++) m = Math.Max(m, x[i]);
        return m;
    }
}
