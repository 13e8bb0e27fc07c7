using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>
/// Max and average pooling over NCHW planes (ONNX MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool).
/// </summary>
/// <remarks>
/// <para>
/// Windowed pooling is separable: a max (or sum) over a kh × kw rectangle equals the max over kw columns of the max over
/// kh rows. Each output row first reduces its valid input rows into one row buffer with full-width vector operations;
/// the buffer is padded on both sides with the reduction's identity (−∞ or 0), so the column pass reduces every tap
/// without bounds checks, 16 output columns per vector when the stride is 1 or 2 (stride 2 through an even/odd split
/// of the row). Padding therefore never changes a max or
/// a sum; it only changes the average's divisor.
/// </para>
/// <para>
/// NaN: any NaN inside a window makes that output NaN (max and average alike). A window whose taps all fall in padding
/// (possible only with dilation) gives −∞ for max, the identity of max as in PyTorch, and 0 for average.
/// </para>
/// </remarks>
public static partial class PoolingKernels
{
    private const int StackRowLimit = 4096;

    [ThreadStatic] private static PoolingTask? cachedTask;

    private enum PoolKind { Max, Average, AverageIncludePad, GlobalMax, GlobalAverage }

    /// <summary>ONNX MaxPool: y[p, oh, ow] = max over the window's in-image taps of x[p, ih, iw].</summary>
    /// <exception cref="ArgumentException">The geometry is invalid (see <see cref="Pool2dGeometry.Validate"/>), or x or y
    /// does not have exactly the geometry's input or output length, or x and y overlap.</exception>
    public static unsafe void MaxPool2d(in Pool2dGeometry g, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckWindow(g, x, y);
        fixed (float* px = x) fixed (float* py = y)
            MaxPool2d(g, px, py, null);
    }

    /// <summary>Pointer form of <see cref="MaxPool2d(in Pool2dGeometry, ReadOnlySpan{float}, Span{float})"/>, split across
    /// <paramref name="pool"/> by planes when the input has at least 64K elements. Assumes valid input.</summary>
    public static unsafe void MaxPool2d(in Pool2dGeometry g, float* x, float* y, WorkerPool? pool) =>
        Run(PoolKind.Max, g, 0, 0, x, y, pool);

    /// <summary>
    /// ONNX AveragePool: y = (sum of the window's in-image taps) / divisor, where the divisor is the number of in-image
    /// taps, or with <paramref name="countIncludePad"/> the number of taps inside the padded image
    /// [−padBegin, in + padEnd) on each axis (taps beyond the end padding that ceil mode adds are never counted,
    /// as in PyTorch).
    /// </summary>
    /// <exception cref="ArgumentException">The geometry is invalid, x or y does not have the geometry's length, or they overlap.</exception>
    public static unsafe void AveragePool2d(in Pool2dGeometry g, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckWindow(g, x, y);
        fixed (float* px = x) fixed (float* py = y)
            AveragePool2d(g, countIncludePad, px, py, null);
    }

    /// <summary>Pointer form of AveragePool2d, split across <paramref name="pool"/> by planes when the input has at least
    /// 64K elements. Assumes valid input.</summary>
    public static unsafe void AveragePool2d(in Pool2dGeometry g, bool countIncludePad, float* x, float* y, WorkerPool? pool) =>
        Run(countIncludePad ? PoolKind.AverageIncludePad : PoolKind.Average, g, 0, 0, x, y, pool);

    private static void CheckWindow(in Pool2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        g.Validate();
        int xLength = x.Length, yLength = y.Length;
        if (xLength != g.InputLength)
            throw new ArgumentException($"x has {xLength} elements but the geometry's input has {g.InputLength}.", "x");
        if (yLength != g.OutputLength)
            throw new ArgumentException($"y has {yLength} elements but the geometry's output has {g.OutputLength}.", "y");
        if (x.Overlaps(y)) throw new ArgumentException("Pooling cannot run in place: x and y overlap.", "y");
    }

    private static unsafe void Run(PoolKind kind, in Pool2dGeometry g, int planes, int spatial, float* x, float* y, WorkerPool? pool)
    {
        bool global = kind is PoolKind.GlobalMax or PoolKind.GlobalAverage;
        int units = global ? planes : g.Planes;
        long inputLength = global ? (long)planes * spatial : g.InputLength;
        if (units == 0) return;
        if (pool is null || pool.Threads == 1 || units < 2 || inputLength < ActivationKernels.ParallelThreshold)
        {
            Execute(kind, g, spatial, x, y, 0, units);
            return;
        }
        var task = cachedTask ?? new PoolingTask();
        cachedTask = null;
        task.Kind = kind;
        task.Geometry = g;
        task.Spatial = spatial;
        task.X = x;
        task.Y = y;
        task.Units = units;
        task.Parts = Math.Min(pool.Threads, units);
        try { pool.Run(task.Parts, task); }
        finally { cachedTask = task; }
    }

    private static unsafe void Execute(PoolKind kind, in Pool2dGeometry g, int spatial, float* x, float* y, int start, int end)
    {
        switch (kind)
        {
            case PoolKind.GlobalMax:
                for (int p = start; p < end; p++) y[p] = Reductions.Max(x + (nint)p * spatial, spatial);
                break;
            case PoolKind.GlobalAverage:
                for (int p = start; p < end; p++) y[p] = Reductions.Sum(x + (nint)p * spatial, spatial) / spatial;
                break;
            default:
                WindowPlanes(kind, g, x, y, start, end);
                break;
        }
    }

    private static unsafe void WindowPlanes(PoolKind kind, in Pool2dGeometry g, float* x, float* y, int start, int end)
    {
        // Row buffer in padded coordinates u = iw + PadLeft, long enough for every tap of every window (ceil mode may
        // reach past the right padding), followed by the per-column divisors of average pooling.
        int outWidth = g.OutWidth;
        // Rounded up to 32 so the stride-2 deinterleave runs whole vectors; then the two phase rows of that pass.
        int padded = Math.Max(g.StrideWidth * (outWidth - 1) + g.DilationWidth * (g.KernelWidth - 1) + 1, g.PadLeft + g.InWidth);
        padded = (padded + 31) & ~31;
        int needed = padded + outWidth + padded;
        float[]? rented = null;
        Span<float> scratch = needed <= StackRowLimit
            ? stackalloc float[StackRowLimit]
            : (rented = ArrayPool<float>.Shared.Rent(needed));
        try
        {
            fixed (float* buffer = scratch)
            {
                bool max = kind == PoolKind.Max;
                // Padding taps hold the identity of the reduction, so the column pass needs no bounds checks.
                new Span<float>(buffer, padded).Fill(max ? float.NegativeInfinity : 0f);
                float* row = buffer + g.PadLeft, columnCount = buffer + padded, phases = columnCount + outWidth;
                if (!max) ColumnCounts(g, kind == PoolKind.AverageIncludePad, columnCount);
                long inPlane = (long)g.InHeight * g.InWidth, outPlane = (long)g.OutHeight * outWidth;
                for (int p = start; p < end; p++)
                {
                    if (max) MaxPlane(g, x + p * inPlane, y + p * outPlane, buffer, padded, row, phases);
                    else AveragePlane(g, kind == PoolKind.AverageIncludePad, x + p * inPlane, y + p * outPlane, buffer, padded, row, phases, columnCount);
                }
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Per output column, the width factor of the average's divisor (+∞ when it is 0, so that 0/∞ = 0).</summary>
    private static unsafe void ColumnCounts(in Pool2dGeometry g, bool countIncludePad, float* count)
    {
        for (int ow = 0; ow < g.OutWidth; ow++)
        {
            int wStart = ow * g.StrideWidth - g.PadLeft, n = 0;
            for (int kw = 0; kw < g.KernelWidth; kw++)
            {
                int iw = wStart + kw * g.DilationWidth;
                if (countIncludePad ? iw >= -g.PadLeft && iw < g.InWidth + g.PadRight : (uint)iw < (uint)g.InWidth) n++;
            }
            count[ow] = n == 0 ? float.PositiveInfinity : n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPlane(in Pool2dGeometry g, float* x, float* y, float* padded, int paddedLength, float* row, float* phases)
    {
        int inHeight = g.InHeight, inWidth = g.InWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            int hStart = oh * g.StrideHeight - g.PadTop;
            bool any = false;
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                int ih = hStart + kh * g.DilationHeight;
                if ((uint)ih >= (uint)inHeight) continue;
                if (!any) new ReadOnlySpan<float>(x + (nint)ih * inWidth, inWidth).CopyTo(new Span<float>(row, inWidth));
                else MaxInto(row, x + (nint)ih * inWidth, inWidth);
                any = true;
            }
            if (!any) new Span<float>(row, inWidth).Fill(float.NegativeInfinity);
            ReduceColumns(max: true, g, padded, paddedLength, phases, y + (nint)oh * outWidth);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AveragePlane(in Pool2dGeometry g, bool countIncludePad, float* x, float* y, float* padded,
        int paddedLength, float* row, float* phases, float* columnCount)
    {
        int inHeight = g.InHeight, inWidth = g.InWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            int hStart = oh * g.StrideHeight - g.PadTop;
            int validH = 0, paddedH = 0;
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                int ih = hStart + kh * g.DilationHeight;
                if (ih >= -g.PadTop && ih < inHeight + g.PadBottom) paddedH++;
                if ((uint)ih >= (uint)inHeight) continue;
                if (validH == 0) new ReadOnlySpan<float>(x + (nint)ih * inWidth, inWidth).CopyTo(new Span<float>(row, inWidth));
                else AddInto(row, x + (nint)ih * inWidth, inWidth);
                validH++;
            }
            if (validH == 0) new Span<float>(row, inWidth).Clear();

            float* outRow = y + (nint)oh * outWidth;
            ReduceColumns(max: false, g, padded, paddedLength, phases, outRow);
            int h = countIncludePad ? paddedH : validH;
            Divide(outRow, h == 0 ? float.PositiveInfinity : h, columnCount, outWidth);
        }
    }

    /// <summary>out[ow] = reduction over kw of padded[ow·stride + kw·dilation]. Stride 1 runs 16 columns per vector
    /// (each tap is one unaligned load); stride 2 first splits the row into its even and odd elements, after which each
    /// tap is again one contiguous load from one of the two; other strides run scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ReduceColumns(bool max, in Pool2dGeometry g, float* padded, int paddedLength, float* phases, float* output)
    {
        int outWidth = g.OutWidth, kernel = g.KernelWidth, dilation = g.DilationWidth, stride = g.StrideWidth;
        int ow = 0;
        if (stride == 2 && (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated) && outWidth >= 8)
        {
            int half = paddedLength / 2;
            float* even = phases, odd = phases + half;
            Deinterleave(padded, even, odd, half);
            if (Vector512.IsHardwareAccelerated)
            {
                for (; ow <= outWidth - 16; ow += 16)
                {
                    var acc = Vector512.Load(even + ow);
                    for (int kw = 1; kw < kernel; kw++)
                    {
                        int tap = kw * dilation;
                        var v = Vector512.Load(((tap & 1) == 0 ? even : odd) + ow + (tap >> 1));
                        acc = max ? Vector512.Max(acc, v) : acc + v;
                    }
                    acc.Store(output + ow);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                for (; ow <= outWidth - 8; ow += 8)
                {
                    var acc = Vector256.Load(even + ow);
                    for (int kw = 1; kw < kernel; kw++)
                    {
                        int tap = kw * dilation;
                        var v = Vector256.Load(((tap & 1) == 0 ? even : odd) + ow + (tap >> 1));
                        acc = max ? Vector256.Max(acc, v) : acc + v;
                    }
                    acc.Store(output + ow);
                }
            }
        }
        else if (stride == 1)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                for (; ow <= outWidth - 16; ow += 16)
                {
                    var acc = Vector512.Load(padded + ow);
                    for (int kw = 1; kw < kernel; kw++)
                    {
                        var v = Vector512.Load(padded + ow + kw * dilation);
                        acc = max ? Vector512.Max(acc, v) : acc + v;
                    }
                    acc.Store(output + ow);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                for (; ow <= outWidth - 8; ow += 8)
                {
                    var acc = Vector256.Load(padded + ow);
                    for (int kw = 1; kw < kernel; kw++)
                    {
                        var v = Vector256.Load(padded + ow + kw * dilation);
                        acc = max ? Vector256.Max(acc, v) : acc + v;
                    }
                    acc.Store(output + ow);
                }
            }
        }
        for (; ow < outWidth; ow++)
        {
            float* window = padded + (nint)ow * stride;
            float acc = window[0];
            for (int kw = 1; kw < kernel; kw++)
                acc = max ? Math.Max(acc, window[kw * dilation]) : acc + window[kw * dilation];
            output[ow] = acc;
        }
    }

    /// <summary>even[i] = row[2i], odd[i] = row[2i + 1] for i &lt; <paramref name="pairs"/> (a multiple of 16). Each pair
    /// of floats is one 64-bit lane: narrowing keeps the low halves, which on little-endian targets (all .NET SIMD
    /// targets) are the even floats; a 32-bit shift first selects the odd ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Deinterleave(float* row, float* even, float* odd, int pairs)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i < pairs; i += 16)
            {
                var a = Vector512.Load((ulong*)(row + 2 * i));
                var b = Vector512.Load((ulong*)(row + 2 * i + 16));
                Vector512.Narrow(a, b).AsSingle().Store(even + i);
                Vector512.Narrow(Vector512.ShiftRightLogical(a, 32), Vector512.ShiftRightLogical(b, 32)).AsSingle().Store(odd + i);
            }
            return;
        }
        for (; i < pairs; i += 8)
        {
            var a = Vector256.Load((ulong*)(row + 2 * i));
            var b = Vector256.Load((ulong*)(row + 2 * i + 8));
            Vector256.Narrow(a, b).AsSingle().Store(even + i);
            Vector256.Narrow(Vector256.ShiftRightLogical(a, 32), Vector256.ShiftRightLogical(b, 32)).AsSingle().Store(odd + i);
        }
    }

    /// <summary>output[ow] /= heightCount · columnCount[ow] (exact: both factors are small integers or +∞).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Divide(float* output, float heightCount, float* columnCount, int length)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (var h = Vector512.Create(heightCount); i <= length - 16; i += 16)
                (Vector512.Load(output + i) / (h * Vector512.Load(columnCount + i))).Store(output + i);
        if (Vector256.IsHardwareAccelerated)
            for (var h = Vector256.Create(heightCount); i <= length - 8; i += 8)
                (Vector256.Load(output + i) / (h * Vector256.Load(columnCount + i))).Store(output + i);
        for (; i < length; i++)
            output[i] /= heightCount * columnCount[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MaxInto(float* accumulator, float* source, int length)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= length - 16; i += 16)
                Vector512.Max(Vector512.Load(accumulator + i), Vector512.Load(source + i)).Store(accumulator + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= length - 8; i += 8)
                Vector256.Max(Vector256.Load(accumulator + i), Vector256.Load(source + i)).Store(accumulator + i);
        for (; i < length; i++)
            accumulator[i] = Math.Max(accumulator[i], source[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddInto(float* accumulator, float* source, int length)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= length - 16; i += 16)
                (Vector512.Load(accumulator + i) + Vector512.Load(source + i)).Store(accumulator + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= length - 8; i += 8)
                (Vector256.Load(accumulator + i) + Vector256.Load(source + i)).Store(accumulator + i);
        for (; i < length; i++)
            accumulator[i] += source[i];
    }

    private sealed unsafe class PoolingTask : IParallelTask
    {
        public PoolKind Kind;
        public Pool2dGeometry Geometry;
        public int Spatial, Units, Parts;
        public float* X, Y;

        public void Execute(int index)
        {
            var (start, end) = WorkerPool.Range(index, Parts, Units);
            PoolingKernels.Execute(Kind, Geometry, Spatial, X, Y, start, end);
        }
    }
}
