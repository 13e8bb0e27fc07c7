using Elide.Kernels.Threading;

namespace Elide.Kernels;

public static partial class PoolingKernels
{
    /// <summary>ONNX GlobalAveragePool: y[p] = (1/spatial)·Σₛ x[p, s] for each of <paramref name="planes"/> planes
    /// (planes = N·C, spatial = H·W). NaN in a plane gives NaN.</summary>
    /// <exception cref="ArgumentException">planes is negative, spatial is below 1, a span's length does not match, or x and y overlap.</exception>
    public static unsafe void GlobalAveragePool(int planes, int spatial, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckGlobal(planes, spatial, x, y);
        fixed (float* px = x) fixed (float* py = y)
            GlobalAveragePool(planes, spatial, px, py, null);
    }

    /// <summary>Pointer form of GlobalAveragePool, split by planes across <paramref name="pool"/> when the input has at
    /// least 64K elements. Assumes valid input.</summary>
    public static unsafe void GlobalAveragePool(int planes, int spatial, float* x, float* y, WorkerPool? pool) =>
        Run(PoolKind.GlobalAverage, default, planes, spatial, x, y, pool);

    /// <summary>ONNX GlobalMaxPool: y[p] = maxₛ x[p, s]. NaN in a plane gives NaN.</summary>
    /// <exception cref="ArgumentException">planes is negative, spatial is below 1, a span's length does not match, or x and y overlap.</exception>
    public static unsafe void GlobalMaxPool(int planes, int spatial, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckGlobal(planes, spatial, x, y);
        fixed (float* px = x) fixed (float* py = y)
            GlobalMaxPool(planes, spatial, px, py, null);
    }

    /// <summary>Pointer form of GlobalMaxPool, split by planes across <paramref name="pool"/> when the input has at least
    /// 64K elements. Assumes valid input.</summary>
    public static unsafe void GlobalMaxPool(int planes, int spatial, float* x, float* y, WorkerPool? pool) =>
        Run(PoolKind.GlobalMax, default, planes, spatial, x, y, pool);

    private static void CheckGlobal(int planes, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int xLength = x.Length, yLength = y.Length;
        if (planes < 0) throw new ArgumentException($"planes = {planes} must not be negative.", nameof(planes));
        if (spatial < 1) throw new ArgumentException($"spatial = {spatial} must be at least 1.", nameof(spatial));
        if (xLength != (long)planes * spatial)
            throw new ArgumentException($"x has {xLength} elements but {planes}×{spatial} = {(long)planes * spatial}.", "x");
        if (yLength != planes)
            throw new ArgumentException($"y has {yLength} elements but there are {planes} planes.", "y");
        if (x.Overlaps(y)) throw new ArgumentException("Pooling cannot run in place: x and y overlap.", "y");
    }
}
