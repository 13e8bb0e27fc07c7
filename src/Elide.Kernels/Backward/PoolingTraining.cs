using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>
/// The window geometry of a 2-D pooling over NCHW planes, with the output size already decided by the caller
/// (ONNX rules, including ceil mode, live in the op that owns the attributes).
/// </summary>
public readonly record struct PoolWindow2d(int Batch, int Channels, int InHeight, int InWidth, int OutHeight, int OutWidth,
    int KernelHeight, int KernelWidth, int StrideHeight = 1, int StrideWidth = 1, int PadTop = 0, int PadLeft = 0,
    int PadBottom = 0, int PadRight = 0, int DilationHeight = 1, int DilationWidth = 1)
{
    /// <summary>N·C independent planes.</summary>
    public int Planes => Batch * Channels;
}

/// <summary>
/// Pooling forward passes that keep what the backward pass needs, and their gradients.
/// <list type="bullet">
/// <item>Max: y = max over the window's in-image positions; the position of the first maximum (row-major window
/// order, as PyTorch) is recorded, and ∂x at that position receives ∂y (windows that overlap add up).</item>
/// <item>Average: y = Σ/count, count = in-image positions, or with <c>countIncludePad</c> the positions inside the
/// padded image (ONNX count_include_pad); ∂x at each counted in-image position receives ∂y/count.</item>
/// <item>Global average: y[p] = Σ x[p, ·]/S and ∂x[p, i] = ∂y[p]/S.</item>
/// </list>
/// Planes are independent: the <c>…Scalar</c> methods are the definitions, the others run planes on the pool.
/// </summary>
public static class PoolingTraining
{
    /// <summary>Definition of max pooling: writes y and, per output, the flat index within its input plane of the maximum (−1 if the window is empty).</summary>
    public static void MaxForwardScalar(in PoolWindow2d g, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax)
    {
        for (int p = 0; p < g.Planes; p++) MaxForwardPlane(g, p, x, y, argmax);
    }

    /// <summary>Definition of the max-pool gradient: overwrites ∂x.</summary>
    public static void MaxBackwardScalar(in PoolWindow2d g, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx)
    {
        for (int p = 0; p < g.Planes; p++) MaxBackwardPlane(g, p, dy, argmax, dx);
    }

    /// <summary>Definition of average pooling.</summary>
    public static void AverageForwardScalar(in PoolWindow2d g, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int p = 0; p < g.Planes; p++) AveragePlane(g, p, countIncludePad, x, y, forward: true);
    }

    /// <summary>Definition of the average-pool gradient: overwrites ∂x.</summary>
    public static void AverageBackwardScalar(in PoolWindow2d g, bool countIncludePad, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int p = 0; p < g.Planes; p++) AveragePlane(g, p, countIncludePad, dy, dx, forward: false);
    }

    /// <summary><see cref="MaxForwardScalar"/> with planes split across <paramref name="pool"/>.</summary>
    public static void MaxForward(PoolWindow2d g, float[] x, float[] y, int[] argmax, WorkerPool? pool) =>
        ForEachPlane(g, pool, p => MaxForwardPlane(g, p, x, y, argmax));

    /// <summary><see cref="MaxBackwardScalar"/> with planes split across <paramref name="pool"/>.</summary>
    public static void MaxBackward(PoolWindow2d g, float[] dy, int[] argmax, float[] dx, WorkerPool? pool) =>
        ForEachPlane(g, pool, p => MaxBackwardPlane(g, p, dy, argmax, dx));

    /// <summary><see cref="AverageForwardScalar"/> with planes split across <paramref name="pool"/>.</summary>
    public static void AverageForward(PoolWindow2d g, bool countIncludePad, float[] x, float[] y, WorkerPool? pool) =>
        ForEachPlane(g, pool, p => AveragePlane(g, p, countIncludePad, x, y, forward: true));

    /// <summary><see cref="AverageBackwardScalar"/> with planes split across <paramref name="pool"/>.</summary>
    public static void AverageBackward(PoolWindow2d g, bool countIncludePad, float[] dy, float[] dx, WorkerPool? pool) =>
        ForEachPlane(g, pool, p => AveragePlane(g, p, countIncludePad, dy, dx, forward: false));

    /// <summary>Global average pooling of <paramref name="planes"/> planes of <paramref name="spatial"/> values (vectorized sums).</summary>
    public static unsafe void GlobalAverageForward(int planes, int spatial, ReadOnlySpan<float> x, Span<float> y)
    {
        fixed (float* px = x)
        {
            for (int p = 0; p < planes; p++) y[p] = PlaneMath.Sum(px + (long)p * spatial, spatial) / spatial;
        }
    }

    /// <summary>∂x[p, i] = ∂y[p]/S (vectorized fill).</summary>
    public static unsafe void GlobalAverageBackward(int planes, int spatial, ReadOnlySpan<float> dy, Span<float> dx)
    {
        fixed (float* pdx = dx)
        {
            for (int p = 0; p < planes; p++) PlaneMath.Fill(pdx + (long)p * spatial, spatial, dy[p] / spatial);
        }
    }

    private static void ForEachPlane(PoolWindow2d g, WorkerPool? pool, Action<int> body)
    {
        long work = (long)g.Planes * g.OutHeight * g.OutWidth * g.KernelHeight * g.KernelWidth;
        if (pool is null || pool.Threads == 1 || work < 65_536)
        {
            for (int p = 0; p < g.Planes; p++) body(p);
            return;
        }
        pool.For(g.Planes, body);
    }

    private static void MaxForwardPlane(in PoolWindow2d g, int p, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax)
    {
        int inBase = p * g.InHeight * g.InWidth;
        for (int oy = 0; oy < g.OutHeight; oy++)
        for (int ox = 0; ox < g.OutWidth; ox++)
        {
            float best = float.NegativeInfinity;
            int bestIndex = -1;
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight;
                if (iy < 0 || iy >= g.InHeight) continue;
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    int ix = ox * g.StrideWidth - g.PadLeft + kx * g.DilationWidth;
                    if (ix < 0 || ix >= g.InWidth) continue;
                    float v = x[inBase + iy * g.InWidth + ix];
                    // NaN wins and stays (PyTorch propagates NaN through max pooling).
                    if (bestIndex < 0 || v > best || (float.IsNaN(v) && !float.IsNaN(best)))
                    {
                        best = v;
                        bestIndex = iy * g.InWidth + ix;
                    }
                }
            }
            int o = (p * g.OutHeight + oy) * g.OutWidth + ox;
            y[o] = bestIndex < 0 ? 0f : best;
            argmax[o] = bestIndex;
        }
    }

    private static void MaxBackwardPlane(in PoolWindow2d g, int p, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx)
    {
        int inBase = p * g.InHeight * g.InWidth;
        dx.Slice(inBase, g.InHeight * g.InWidth).Clear();
        int outBase = p * g.OutHeight * g.OutWidth;
        for (int o = 0; o < g.OutHeight * g.OutWidth; o++)
        {
            int index = argmax[outBase + o];
            if (index >= 0) dx[inBase + index] += dy[outBase + o];
        }
    }

    /// <summary>One plane of average pooling (forward) or its gradient (backward), which visit the same windows.</summary>
    private static void AveragePlane(in PoolWindow2d g, int p, bool countIncludePad, ReadOnlySpan<float> source, Span<float> target, bool forward)
    {
        int inBase = p * g.InHeight * g.InWidth;
        if (!forward) target.Slice(inBase, g.InHeight * g.InWidth).Clear();
        for (int oy = 0; oy < g.OutHeight; oy++)
        for (int ox = 0; ox < g.OutWidth; ox++)
        {
            int o = (p * g.OutHeight + oy) * g.OutWidth + ox;
            int count = 0;
            for (int ky = 0; ky < g.KernelHeight; ky++)
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight;
                int ix = ox * g.StrideWidth - g.PadLeft + kx * g.DilationWidth;
                bool inside = iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth;
                bool inPaddedImage = iy < g.InHeight + g.PadBottom && ix < g.InWidth + g.PadRight;
                if (inside || (countIncludePad && inPaddedImage)) count++;
            }
            float scale = 1f / Math.Max(count, 1);
            float sum = 0f;
            float share = forward ? 0f : source[o] * scale;
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight;
                if (iy < 0 || iy >= g.InHeight) continue;
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    int ix = ox * g.StrideWidth - g.PadLeft + kx * g.DilationWidth;
                    if (ix < 0 || ix >= g.InWidth) continue;
                    if (forward) sum += source[inBase + iy * g.InWidth + ix];
                    else target[inBase + iy * g.InWidth + ix] += share;
                }
            }
            if (forward) target[o] = sum * scale;
        }
    }
}
