using System.Runtime.CompilerServices;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>
/// Gradients of a 2-D convolution Y = conv(X, W) + b (NCHW, weights [M, C/g, kH, kW]) with stride, asymmetric
/// padding, dilation and groups, as in <see cref="Conv2dGeometry"/>.
/// <list type="bullet">
/// <item>∂X[n, c, iy, ix] = Σ_{m, ky, kx : iy = oy·s − pad + ky·d} W[m, c, ky, kx] · ∂Y[n, m, oy, ox] (m in c's group)</item>
/// <item>∂W[m, c, ky, kx] = Σ_{n, oy, ox} ∂Y[n, m, oy, ox] · X[n, g·C/g + c, oy·s − pad + ky·d, ox·s − pad + kx·d]</item>
/// <item>∂b[m] = Σ_{n, oy, ox} ∂Y[n, m, oy, ox]</item>
/// </list>
/// Positions that fall into the padding contribute nothing. The <c>…Scalar</c> methods are the definitions; the
/// fast methods express both gradients as GEMMs over the column matrix of im2col (Chellapilla et al. 2006):
/// per image and group, cols[K, P] = W_gᵀ·∂Y_g followed by col2im for ∂X, and ∂W_g += ∂Y_g·im2col(X_g)ᵀ, with
/// K = C/g·kH·kW and P = outH·outW. Images are split across the pool's threads, each with its own workspace.
/// </summary>
public static unsafe class Conv2dBackward
{
    /// <summary>Floats of workspace <see cref="BackwardData"/> needs when run with <paramref name="threads"/> threads.</summary>
    public static long BackwardDataWorkspaceFloats(in Conv2dGeometry g, int threads) =>
        (long)Parts(g, threads) * ColumnFloats(g);

    /// <summary>Floats of workspace <see cref="BackwardWeights"/> needs when run with <paramref name="threads"/> threads.</summary>
    public static long BackwardWeightsWorkspaceFloats(in Conv2dGeometry g, int threads)
    {
        int parts = Parts(g, threads);
        // Every part but the first accumulates a private ∂W that is summed at the end.
        return parts * ColumnFloats(g) + (long)(parts - 1) * WeightFloats(g);
    }

    /// <summary>The definition of ∂X: overwrites <paramref name="dx"/> [N, C, H, W].</summary>
    public static void BackwardDataScalar(in Conv2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx)
    {
        int cg = g.InChannels / g.Groups, mg = g.OutChannels / g.Groups, oh = g.OutHeight, ow = g.OutWidth;
        dx[..(g.Batch * g.InChannels * g.InHeight * g.InWidth)].Clear();
        for (int n = 0; n < g.Batch; n++)
        for (int m = 0; m < g.OutChannels; m++)
        {
            int group = m / mg;
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                float grad = dy[((n * g.OutChannels + m) * oh + oy) * ow + ox];
                for (int c = 0; c < cg; c++)
                for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight;
                    int ix = ox * g.StrideWidth - g.PadLeft + kx * g.DilationWidth;
                    if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                    dx[((n * g.InChannels + group * cg + c) * g.InHeight + iy) * g.InWidth + ix] +=
                        grad * w[((m * cg + c) * g.KernelHeight + ky) * g.KernelWidth + kx];
                }
            }
        }
    }

    /// <summary>The definition of ∂W and ∂b: overwrites <paramref name="dw"/> [M, C/g, kH, kW] and, unless empty, <paramref name="db"/> [M].</summary>
    public static void BackwardWeightsScalar(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> db)
    {
        int cg = g.InChannels / g.Groups, mg = g.OutChannels / g.Groups, oh = g.OutHeight, ow = g.OutWidth;
        dw[..WeightFloats(g)].Clear();
        if (!db.IsEmpty) db[..g.OutChannels].Clear();
        for (int n = 0; n < g.Batch; n++)
        for (int m = 0; m < g.OutChannels; m++)
        {
            int group = m / mg;
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                float grad = dy[((n * g.OutChannels + m) * oh + oy) * ow + ox];
                if (!db.IsEmpty) db[m] += grad;
                for (int c = 0; c < cg; c++)
                for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight;
                    int ix = ox * g.StrideWidth - g.PadLeft + kx * g.DilationWidth;
                    if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                    dw[((m * cg + c) * g.KernelHeight + ky) * g.KernelWidth + kx] +=
                        grad * x[((n * g.InChannels + group * cg + c) * g.InHeight + iy) * g.InWidth + ix];
                }
            }
        }
    }

    /// <summary>
    /// ∂X by GEMM + col2im: overwrites <paramref name="dx"/> [N, C, H, W]. <paramref name="workspace"/> holds
    /// <see cref="BackwardDataWorkspaceFloats"/>(g, pool threads) floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardData(in Conv2dGeometry g, float* dy, float* w, float* dx, float* workspace, WorkerPool? pool)
    {
        int parts = Parts(g, pool?.Threads ?? 1);
        var geometry = g;
        nint dyAddress = (nint)dy, wAddress = (nint)w, dxAddress = (nint)dx, wsAddress = (nint)workspace;
        if (parts == 1)
        {
            BackwardDataImages(geometry, 0, geometry.Batch, (float*)dyAddress, (float*)wAddress, (float*)dxAddress, (float*)wsAddress, pool);
            return;
        }
        pool!.For(parts, part =>
        {
            var (start, end) = WorkerPool.Range(part, parts, geometry.Batch);
            BackwardDataImages(geometry, start, end, (float*)dyAddress, (float*)wAddress, (float*)dxAddress,
                (float*)wsAddress + part * ColumnFloats(geometry), null);
        });
    }

    /// <summary>
    /// ∂W by GEMM over im2col (and ∂b when <paramref name="db"/> is not null): overwrites both.
    /// <paramref name="workspace"/> holds <see cref="BackwardWeightsWorkspaceFloats"/>(g, pool threads) floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardWeights(in Conv2dGeometry g, float* x, float* dy, float* dw, float* db, float* workspace, WorkerPool? pool)
    {
        int parts = Parts(g, pool?.Threads ?? 1);
        var geometry = g;
        long columns = ColumnFloats(g);
        int weights = WeightFloats(g);
        nint xAddress = (nint)x, dyAddress = (nint)dy, dwAddress = (nint)dw, wsAddress = (nint)workspace;
        if (parts == 1)
        {
            BackwardWeightsImages(geometry, 0, geometry.Batch, (float*)xAddress, (float*)dyAddress, (float*)dwAddress, (float*)wsAddress, pool);
        }
        else
        {
            float* partials = workspace + parts * columns;
            nint partialAddress = (nint)partials;
            pool!.For(parts, part =>
            {
                var (start, end) = WorkerPool.Range(part, parts, geometry.Batch);
                float* target = part == 0 ? (float*)dwAddress : (float*)partialAddress + (long)(part - 1) * weights;
                BackwardWeightsImages(geometry, start, end, (float*)xAddress, (float*)dyAddress, target,
                    (float*)wsAddress + part * columns, null);
            });
            for (int part = 1; part < parts; part++)
            {
                float* partial = partials + (long)(part - 1) * weights;
                for (int i = 0; i < weights; i++) dw[i] += partial[i];
            }
        }
        if (db != null) BiasGradient(g.Batch, g.OutChannels, g.OutHeight * g.OutWidth, dy, db);
    }

    /// <summary>∂b[m] = Σ_{n,p} ∂Y[n, m, p]: per-channel sums over batch and space (planes summed in double).</summary>
    public static void BiasGradient(int batch, int channels, int spatial, float* dy, float* db)
    {
        for (int m = 0; m < channels; m++)
        {
            double s = 0;
            for (int n = 0; n < batch; n++) s += PlaneMath.Sum(dy + ((long)n * channels + m) * spatial, spatial);
            db[m] = (float)s;
        }
    }

    /// <summary>Output columns [begin, end) whose input column ox + <paramref name="x0"/> lies inside [0, inWidth) (stride 1).</summary>
    private static (int Begin, int End) ValidColumns(int x0, int outWidth, int inWidth)
    {
        int begin = Math.Clamp(-x0, 0, outWidth);
        int end = Math.Clamp(inWidth - x0, begin, outWidth);
        return (begin, end);
    }

    /// <summary>
    /// For a stride-1 convolution, ∂X is itself a stride-1 convolution of ∂Y (the transposed convolution of a
    /// stride-1 convolution is one): with the kernel rotated by 180°, input and output channels swapped within each
    /// group, and padding d·(k − 1) − p on each side, so that the output is H × W again. This returns the geometry of
    /// that convolution, or false when the forward convolution is strided (its transpose would need zero insertion)
    /// or a padding exceeds d·(k − 1) (the transposed padding would be negative).
    /// </summary>
    public static bool TryDataGradientGeometry(in Conv2dGeometry g, out Conv2dGeometry transposed)
    {
        int spanH = g.DilationHeight * (g.KernelHeight - 1), spanW = g.DilationWidth * (g.KernelWidth - 1);
        if (g.StrideHeight != 1 || g.StrideWidth != 1 || g.PadTop > spanH || g.PadBottom > spanH || g.PadLeft > spanW || g.PadRight > spanW)
        {
            transposed = default;
            return false;
        }
        transposed = new Conv2dGeometry(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels, g.KernelHeight, g.KernelWidth,
            1, 1, spanH - g.PadTop, spanW - g.PadLeft, spanH - g.PadBottom, spanW - g.PadRight, g.DilationHeight, g.DilationWidth, g.Groups);
        return true;
    }

    /// <summary>
    /// The weights of the convolution of <see cref="TryDataGradientGeometry"/>: W'[group·C/g + c, m, ky, kx] =
    /// W[group·M/g + m, c, kH − 1 − ky, kW − 1 − kx], written to <paramref name="transposed"/> [C, M/g, kH, kW].
    /// </summary>
    public static void DataGradientWeights(in Conv2dGeometry g, ReadOnlySpan<float> w, Span<float> transposed)
    {
        int cg = g.InChannels / g.Groups, mg = g.OutChannels / g.Groups, kh = g.KernelHeight, kw = g.KernelWidth, taps = kh * kw;
        if (w.Length < g.WeightLength || transposed.Length < g.WeightLength)
            throw new ArgumentException($"weights need {g.WeightLength} floats, got {w.Length} and {transposed.Length}");
        for (int group = 0; group < g.Groups; group++)
        for (int m = 0; m < mg; m++)
        for (int c = 0; c < cg; c++)
        {
            int from = ((group * mg + m) * cg + c) * taps, to = ((group * cg + c) * mg + m) * taps;
            for (int t = 0; t < taps; t++) transposed[to + taps - 1 - t] = w[from + t];
        }
    }

    private static int Parts(in Conv2dGeometry g, int threads) => Math.Max(1, Math.Min(threads, g.Batch));

    private static long ColumnFloats(in Conv2dGeometry g) =>
        (long)(g.InChannels / g.Groups) * g.KernelHeight * g.KernelWidth * g.OutHeight * g.OutWidth;

    private static int WeightFloats(in Conv2dGeometry g) => g.OutChannels * (g.InChannels / g.Groups) * g.KernelHeight * g.KernelWidth;

    private static void BackwardDataImages(in Conv2dGeometry g, int start, int end, float* dy, float* w, float* dx, float* columns, WorkerPool? pool)
    {
        int cg = g.InChannels / g.Groups, mg = g.OutChannels / g.Groups;
        int k = cg * g.KernelHeight * g.KernelWidth, p = g.OutHeight * g.OutWidth;
        long inPlane = (long)g.InHeight * g.InWidth;
        for (int n = start; n < end; n++)
        {
            new Span<float>(dx + (long)n * g.InChannels * inPlane, checked((int)(g.InChannels * inPlane))).Clear();
            for (int group = 0; group < g.Groups; group++)
            {
                float* wg = w + (long)group * mg * k;
                float* dyg = dy + ((long)n * g.OutChannels + group * mg) * p;
                // cols[K, P] = W_gᵀ [K, mg] · ∂Y_g [mg, P]
                Gemm.Sgemm(true, false, k, p, mg, 1f, wg, k, dyg, p, 0f, columns, p, pool);
                ColumnsToImage(g, columns, dx + ((long)n * g.InChannels + group * cg) * inPlane);
            }
        }
    }

    private static void BackwardWeightsImages(in Conv2dGeometry g, int start, int end, float* x, float* dy, float* dw, float* columns, WorkerPool? pool)
    {
        int cg = g.InChannels / g.Groups, mg = g.OutChannels / g.Groups;
        int k = cg * g.KernelHeight * g.KernelWidth, p = g.OutHeight * g.OutWidth;
        long inPlane = (long)g.InHeight * g.InWidth;
        if (start == end) new Span<float>(dw, WeightFloats(g)).Clear();
        for (int n = start; n < end; n++)
        for (int group = 0; group < g.Groups; group++)
        {
            ImageToColumns(g, x + ((long)n * g.InChannels + group * cg) * inPlane, columns);
            // ∂W_g [mg, K] (+)= ∂Y_g [mg, P] · colsᵀ [P, K]; the first image of this part overwrites.
            Gemm.Sgemm(false, true, mg, k, p, 1f, dy + ((long)n * g.OutChannels + group * mg) * p, p,
                columns, p, n == start ? 0f : 1f, dw + (long)group * mg * k, k, pool);
        }
    }

    /// <summary>cols[(c·kH + ky)·kW + kx, oy·outW + ox] = X[c, oy·s − pad + ky·d, …] (0 in the padding), for one image and group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ImageToColumns(in Conv2dGeometry g, float* image, float* columns)
    {
        int cg = g.InChannels / g.Groups, oh = g.OutHeight, ow = g.OutWidth;
        if (g.StrideHeight == 1 && g.StrideWidth == 1 && ow == g.InWidth)
        {
            ImageToColumnsSameWidth(g, image, columns);
            return;
        }
        for (int c = 0; c < cg; c++)
        for (int ky = 0; ky < g.KernelHeight; ky++)
        for (int kx = 0; kx < g.KernelWidth; kx++)
        {
            float* row = columns + (long)((c * g.KernelHeight + ky) * g.KernelWidth + kx) * oh * ow;
            float* plane = image + (long)c * g.InHeight * g.InWidth;
            for (int oy = 0; oy < oh; oy++)
            {
                int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight;
                float* outRow = row + oy * ow;
                if (iy < 0 || iy >= g.InHeight)
                {
                    new Span<float>(outRow, ow).Clear();
                    continue;
                }
                float* inRow = plane + (long)iy * g.InWidth;
                int x0 = kx * g.DilationWidth - g.PadLeft;
                if (g.StrideWidth == 1)
                {
                    // ix = ox + x0: one contiguous copy between the zero margins.
                    var (begin, end) = ValidColumns(x0, ow, g.InWidth);
                    new Span<float>(outRow, begin).Clear();
                    new ReadOnlySpan<float>(inRow + begin + x0, end - begin).CopyTo(new Span<float>(outRow + begin, end - begin));
                    new Span<float>(outRow + end, ow - end).Clear();
                    continue;
                }
                for (int ox = 0; ox < ow; ox++)
                {
                    int ix = ox * g.StrideWidth + x0;
                    outRow[ox] = (uint)ix < (uint)g.InWidth ? inRow[ix] : 0f;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="ImageToColumns"/> for stride 1 with output width = input width (3×3 pad 1 and the like): a column
    /// row is then the image plane shifted by (ky·d − padTop)·W + kx·d − padLeft, so it is one block copy followed by
    /// zeroing the positions whose input column falls into the padding (kx·d − padLeft of them per row) and the rows
    /// whose input row does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ImageToColumnsSameWidth(in Conv2dGeometry g, float* image, float* columns)
    {
        int cg = g.InChannels / g.Groups, oh = g.OutHeight, w = g.InWidth, h = g.InHeight;
        long plane = (long)h * w, rowFloats = (long)oh * w;
        for (int c = 0; c < cg; c++)
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int dy = ky * g.DilationHeight - g.PadTop;
            // Output rows whose input row oy + dy lies inside the image.
            int oyBegin = Math.Clamp(-dy, 0, oh), oyEnd = Math.Clamp(h - dy, oyBegin, oh);
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int dx = kx * g.DilationWidth - g.PadLeft;
                float* row = columns + ((long)(c * g.KernelHeight + ky) * g.KernelWidth + kx) * rowFloats;
                float* source = image + c * plane;
                new Span<float>(row, oyBegin * w).Clear();
                new Span<float>(row + (long)oyEnd * w, (oh - oyEnd) * w).Clear();
                // Flat output positions [first, last) read source[j + shift]; clip to the plane (clipped positions
                // are padding columns and are zeroed below).
                long shift = (long)dy * w + dx;
                long first = Math.Max((long)oyBegin * w, -shift), last = Math.Min((long)oyEnd * w, plane - shift);
                if (last > first)
                    Buffer.MemoryCopy(source + first + shift, row + first, (last - first) * sizeof(float), (last - first) * sizeof(float));
                if (dx == 0) continue;
                // Columns ox with ox + dx outside [0, W): the copy took them from the neighbouring input row.
                int zeroBegin = dx < 0 ? 0 : Math.Max(w - dx, 0), zeroEnd = dx < 0 ? Math.Min(-dx, w) : w;
                for (int oy = oyBegin; oy < oyEnd; oy++)
                {
                    float* r = row + (long)oy * w;
                    for (int ox = zeroBegin; ox < zeroEnd; ox++) r[ox] = 0f;
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="ImageToColumns"/>: adds every column entry back to the pixel it came from.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnsToImage(in Conv2dGeometry g, float* columns, float* image)
    {
        int cg = g.InChannels / g.Groups, oh = g.OutHeight, ow = g.OutWidth;
        for (int c = 0; c < cg; c++)
        for (int ky = 0; ky < g.KernelHeight; ky++)
        for (int kx = 0; kx < g.KernelWidth; kx++)
        {
            float* row = columns + (long)((c * g.KernelHeight + ky) * g.KernelWidth + kx) * oh * ow;
            float* plane = image + (long)c * g.InHeight * g.InWidth;
            for (int oy = 0; oy < oh; oy++)
            {
                int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight;
                if (iy < 0 || iy >= g.InHeight) continue;
                float* inRow = plane + (long)iy * g.InWidth;
                float* colRow = row + oy * ow;
                int x0 = kx * g.DilationWidth - g.PadLeft;
                if (g.StrideWidth == 1)
                {
                    var (begin, end) = ValidColumns(x0, ow, g.InWidth);
                    PlaneMath.AddInPlace(inRow + begin + x0, colRow + begin, end - begin);
                    continue;
                }
                for (int ox = 0; ox < ow; ox++)
                {
                    int ix = ox * g.StrideWidth + x0;
                    if ((uint)ix < (uint)g.InWidth) inRow[ix] += colRow[ox];
                }
            }
        }
    }
}
