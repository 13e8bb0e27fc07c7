using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>
/// Softmax and LogSoftmax over the middle axis of a tensor viewed as [outer, axisSize, inner] (ONNX opset 13
/// semantics: the axis alone is normalized; outer is the product of the dimensions before it, inner of those after).
/// </summary>
/// <remarks>
/// <para>Numerically stable: each slice subtracts its maximum m before exponentiating, so no e^x overflows and at least
/// one term is e^0 = 1 (inputs of ±1e4 are fine). Softmax = e^(x−m) / Σ e^(x−m); LogSoftmax = (x − m) − ln Σ e^(x−m).
/// Vector paths use the polynomial e^x of <see cref="VectorMath"/> (≈ 1.2 ulp); the scalar path uses MathF.Exp.</para>
/// <para>NaN: a NaN anywhere in a slice makes the whole slice NaN (its maximum is NaN). A +∞ entry gives NaN as well
/// (∞ − ∞), and so does a slice of only −∞, as in PyTorch and the ONNX reference.</para>
/// <para>When inner = 1 the slices are contiguous rows; otherwise 16 neighbouring slices are processed together as the
/// lanes of one vector, reading the tensor in memory order.</para>
/// </remarks>
public static class SoftmaxKernels
{
    /// <summary>Slices (inner lanes) handled by one work unit when inner &gt; 1.</summary>
    private const int LaneBlock = 64;

    [ThreadStatic] private static SoftmaxTask? cachedTask;

    /// <summary>y = softmax(x) along the axis of [outer, axisSize, inner]. x and y may be the same memory.</summary>
    /// <exception cref="ArgumentException">A size is negative, or x or y does not hold outer·axisSize·inner elements.</exception>
    public static unsafe void Softmax(int outer, int axisSize, int inner, ReadOnlySpan<float> x, Span<float> y)
    {
        Check(outer, axisSize, inner, x, y);
        fixed (float* px = x) fixed (float* py = y)
            Softmax(outer, axisSize, inner, px, py, null);
    }

    /// <summary>y = log(softmax(x)) along the axis of [outer, axisSize, inner], computed without forming the quotient.
    /// x and y may be the same memory.</summary>
    /// <exception cref="ArgumentException">A size is negative, or x or y does not hold outer·axisSize·inner elements.</exception>
    public static unsafe void LogSoftmax(int outer, int axisSize, int inner, ReadOnlySpan<float> x, Span<float> y)
    {
        Check(outer, axisSize, inner, x, y);
        fixed (float* px = x) fixed (float* py = y)
            LogSoftmax(outer, axisSize, inner, px, py, null);
    }

    /// <summary>Pointer form of Softmax, split across <paramref name="pool"/> by slices when the tensor has at least 64K
    /// elements. Assumes valid input.</summary>
    public static unsafe void Softmax(int outer, int axisSize, int inner, float* x, float* y, WorkerPool? pool) =>
        Run(log: false, outer, axisSize, inner, x, y, pool);

    /// <summary>Pointer form of LogSoftmax, split across <paramref name="pool"/> by slices when the tensor has at least
    /// 64K elements. Assumes valid input.</summary>
    public static unsafe void LogSoftmax(int outer, int axisSize, int inner, float* x, float* y, WorkerPool? pool) =>
        Run(log: true, outer, axisSize, inner, x, y, pool);

    private static void Check(int outer, int axisSize, int inner, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (outer < 0 || axisSize < 0 || inner < 0)
            throw new ArgumentException($"Sizes must not be negative (outer {outer}, axis {axisSize}, inner {inner}).");
        long count = (long)outer * axisSize * inner;
        if (x.Length != count)
            throw new ArgumentException($"x has {x.Length} elements but {outer}×{axisSize}×{inner} = {count}.", nameof(x));
        if (y.Length != count)
            throw new ArgumentException($"y has {y.Length} elements but {outer}×{axisSize}×{inner} = {count}.", nameof(y));
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException("x and y overlap at different offsets; they must be disjoint or identical.", nameof(y));
    }

    private static unsafe void Run(bool log, int outer, int axisSize, int inner, float* x, float* y, WorkerPool? pool)
    {
        long total = (long)outer * axisSize * inner;
        if (total == 0) return;
        int blocks = inner == 1 ? 1 : (inner + LaneBlock - 1) / LaneBlock;
        int units = outer * blocks;
        if (pool is null || pool.Threads == 1 || units < 2 || total < ActivationKernels.ParallelThreshold)
        {
            Execute(log, outer, axisSize, inner, x, y, 0, units);
            return;
        }
        var task = cachedTask ?? new SoftmaxTask();
        cachedTask = null;
        task.Log = log;
        task.Outer = outer;
        task.AxisSize = axisSize;
        task.Inner = inner;
        task.X = x;
        task.Y = y;
        task.Units = units;
        task.Parts = Math.Min(pool.Threads, units);
        try { pool.Run(task.Parts, task); }
        finally { cachedTask = task; }
    }

    /// <summary>Runs units [start, end): rows when inner = 1, else (outer index, block of <see cref="LaneBlock"/> lanes).</summary>
    private static unsafe void Execute(bool log, int outer, int axisSize, int inner, float* x, float* y, int start, int end)
    {
        if (inner == 1)
        {
            for (int o = start; o < end; o++)
                Row(log, x + (nint)o * axisSize, y + (nint)o * axisSize, axisSize);
            return;
        }
        int blocks = (inner + LaneBlock - 1) / LaneBlock;
        for (int unit = start; unit < end; unit++)
        {
            int o = unit / blocks, lane = unit % blocks * LaneBlock;
            nint offset = (nint)o * axisSize * inner + lane;
            Strided(log, x + offset, y + offset, axisSize, inner, Math.Min(LaneBlock, inner - lane));
        }
    }

    /// <summary>One contiguous slice: max, then Σ e^(x−m) (stored for Softmax), then the normalization.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Row(bool log, float* x, float* y, int n)
    {
        float max = Reductions.Max(x, n);
        float sum = 0f;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vmax = Vector512.Create(max);
            var vsum = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var e = VectorMath.Exp(Vector512.Load(x + i) - vmax);
                if (!log) e.Store(y + i);
                vsum += e;
            }
            sum = Vector512.Sum(vsum);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vmax = Vector256.Create(max);
            var vsum = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var e = VectorMath.Exp(Vector256.Load(x + i) - vmax);
                if (!log) e.Store(y + i);
                vsum += e;
            }
            sum = Vector256.Sum(vsum);
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            if (!log) y[i] = e;
            sum += e;
        }

        if (log)
        {
            // (x − m) − ln Σ: shift = m + ln Σ would lose the small differences when |m| is large.
            float logSum = MathF.Log(sum);
            for (i = 0; i < n; i++) y[i] = x[i] - max - logSum;
        }
        else
        {
            float scale = 1f / sum;
            i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (var v = Vector512.Create(scale); i <= n - 16; i += 16) (Vector512.Load(y + i) * v).Store(y + i);
            else if (Vector256.IsHardwareAccelerated)
                for (var v = Vector256.Create(scale); i <= n - 8; i += 8) (Vector256.Load(y + i) * v).Store(y + i);
            for (; i < n; i++) y[i] *= scale;
        }
    }

    /// <summary><paramref name="lanes"/> neighbouring slices whose elements are <paramref name="stride"/> apart: each
    /// vector lane follows one slice, so every load is contiguous.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Strided(bool log, float* x, float* y, int n, int stride, int lanes)
    {
        int lane = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; lane <= lanes - 16; lane += 16)
            {
                float* xs = x + lane, ys = y + lane;
                var max = Vector512.Create(float.NegativeInfinity);
                for (int k = 0; k < n; k++) max = Vector512.Max(max, Vector512.Load(xs + (nint)k * stride));
                var sum = Vector512<float>.Zero;
                for (int k = 0; k < n; k++)
                {
                    var e = VectorMath.Exp(Vector512.Load(xs + (nint)k * stride) - max);
                    if (!log) e.Store(ys + (nint)k * stride);
                    sum += e;
                }
                if (log)
                {
                    var logSum = Log(sum);
                    for (int k = 0; k < n; k++)
                        (Vector512.Load(xs + (nint)k * stride) - max - logSum).Store(ys + (nint)k * stride);
                }
                else
                {
                    var scale = Vector512<float>.One / sum;
                    for (int k = 0; k < n; k++)
                        (Vector512.Load(ys + (nint)k * stride) * scale).Store(ys + (nint)k * stride);
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; lane <= lanes - 8; lane += 8)
            {
                float* xs = x + lane, ys = y + lane;
                var max = Vector256.Create(float.NegativeInfinity);
                for (int k = 0; k < n; k++) max = Vector256.Max(max, Vector256.Load(xs + (nint)k * stride));
                var sum = Vector256<float>.Zero;
                for (int k = 0; k < n; k++)
                {
                    var e = VectorMath.Exp(Vector256.Load(xs + (nint)k * stride) - max);
                    if (!log) e.Store(ys + (nint)k * stride);
                    sum += e;
                }
                if (log)
                {
                    var logSum = Log(sum);
                    for (int k = 0; k < n; k++)
                        (Vector256.Load(xs + (nint)k * stride) - max - logSum).Store(ys + (nint)k * stride);
                }
                else
                {
                    var scale = Vector256<float>.One / sum;
                    for (int k = 0; k < n; k++)
                        (Vector256.Load(ys + (nint)k * stride) * scale).Store(ys + (nint)k * stride);
                }
            }
        }
        for (; lane < lanes; lane++)
            StridedScalar(log, x + lane, y + lane, n, stride);
    }

    private static unsafe void StridedScalar(bool log, float* x, float* y, int n, int stride)
    {
        float max = float.NegativeInfinity;
        for (int k = 0; k < n; k++) max = Math.Max(max, x[(nint)k * stride]);
        float sum = 0f;
        for (int k = 0; k < n; k++)
        {
            float e = MathF.Exp(x[(nint)k * stride] - max);
            if (!log) y[(nint)k * stride] = e;
            sum += e;
        }
        if (log)
        {
            float logSum = MathF.Log(sum);
            for (int k = 0; k < n; k++) y[(nint)k * stride] = x[(nint)k * stride] - max - logSum;
        }
        else
        {
            float scale = 1f / sum;
            for (int k = 0; k < n; k++) y[(nint)k * stride] *= scale;
        }
    }

    /// <summary>ln of each lane; called once per slice, so the scalar MathF.Log is cheap next to the exponentials.</summary>
    private static Vector512<float> Log(Vector512<float> v)
    {
        Span<float> lanes = stackalloc float[16];
        v.CopyTo(lanes);
        for (int l = 0; l < 16; l++) lanes[l] = MathF.Log(lanes[l]);
        return Vector512.Create<float>(lanes);
    }

    private static Vector256<float> Log(Vector256<float> v)
    {
        Span<float> lanes = stackalloc float[8];
        v.CopyTo(lanes);
        for (int l = 0; l < 8; l++) lanes[l] = MathF.Log(lanes[l]);
        return Vector256.Create<float>(lanes);
    }

    private sealed unsafe class SoftmaxTask : IParallelTask
    {
        public bool Log;
        public int Outer, AxisSize, Inner, Units, Parts;
        public float* X, Y;

        public void Execute(int index)
        {
            var (start, end) = WorkerPool.Range(index, Parts, Units);
            SoftmaxKernels.Execute(Log, Outer, AxisSize, Inner, X, Y, start, end);
        }
    }
}
