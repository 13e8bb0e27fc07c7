using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

public static partial class PoolingKernels
{
    /// <summary>ONNX GlobalAveragePool: y[p] = (1/spatial)·Σₛ x[p, s] for each of <paramref name="planes"/> planes
    /// (planes = N·C, spatial = H·W). NaN in a plane gives NaN.</summary>
    /// <exception cref="ArgumentException">planes is negative, spatial is below 1, or a span's length does not match.</exception>
    public static unsafe void GlobalAveragePool(int planes, int spatial, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckGlobal(planes, spatial, x.Length, y.Length);
        fixed (float* px = x) fixed (float* py = y)
            GlobalAveragePool(planes, spatial, px, py, null);
    }

    /// <summary>Pointer form of GlobalAveragePool, split by planes across <paramref name="pool"/> when the input has at
    /// least 64K elements. Assumes valid input.</summary>
    public static unsafe void GlobalAveragePool(int planes, int spatial, float* x, float* y, WorkerPool? pool) =>
        Run(PoolKind.GlobalAverage, default, planes, spatial, x, y, pool);

    /// <summary>ONNX GlobalMaxPool: y[p] = maxₛ x[p, s]. NaN in a plane gives NaN.</summary>
    /// <exception cref="ArgumentException">planes is negative, spatial is below 1, or a span's length does not match.</exception>
    public static unsafe void GlobalMaxPool(int planes, int spatial, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckGlobal(planes, spatial, x.Length, y.Length);
        fixed (float* px = x) fixed (float* py = y)
            GlobalMaxPool(planes, spatial, px, py, null);
    }

    /// <summary>Pointer form of GlobalMaxPool, split by planes across <paramref name="pool"/> when the input has at least
    /// 64K elements. Assumes valid input.</summary>
    public static unsafe void GlobalMaxPool(int planes, int spatial, float* x, float* y, WorkerPool? pool) =>
        Run(PoolKind.GlobalMax, default, planes, spatial, x, y, pool);

    private static void CheckGlobal(int planes, int spatial, int xLength, int yLength)
    {
        if (planes < 0) throw new ArgumentException($"planes = {planes} must not be negative.", nameof(planes));
        if (spatial < 1) throw new ArgumentException($"spatial = {spatial} must be at least 1.", nameof(spatial));
        if (xLength != (long)planes * spatial)
            throw new ArgumentException($"x has {xLength} elements but {planes}×{spatial} = {(long)planes * spatial}.", "x");
        if (yLength != planes)
            throw new ArgumentException($"y has {yLength} elements but there are {planes} planes.", "y");
    }

    /// <summary>Sum with two independent vector accumulators (hides the add latency), reduced lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe float PlaneSum(float* x, int length)
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

    /// <summary>Maximum that propagates NaN (vector Max follows IEEE 754-2019 maximum; the lane reduction keeps NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe float PlaneMax(float* x, int length)
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
