using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Elide.Kernels.GemmTiling;

namespace Elide.Kernels;

/// <summary>
/// The MR×NR micro-kernel: C_tile = alpha · (A_panel · B_panel) + beta · C_tile, where A_panel is a packed
/// kc×MR panel (element (r, p) at a[p·MR + r]) and B_panel supplies kc rows of NR floats.
/// </summary>
/// <remarks>
/// <see cref="ComputeScalar{TB}"/> is the definition; the Vector512 and Vector256 versions compute the same sums in
/// a different association order only where FMA fuses the multiply and add. When beta is 0, C is not read.
/// Both panels must be readable for the full MR×kc and kc×NR extents (packing zero-pads edges); a partial tile
/// of C is handled by <see cref="Tile{TB}"/>, which never writes outside rows × cols.
/// </remarks>
internal static unsafe class GemmMicroKernel
{
    /// <summary>Computes one tile of C, writing only its first <paramref name="rows"/> × <paramref name="cols"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [SkipLocalsInit]
    public static void Tile<TB>(int kc, float* a, TB b, float* c, int ldc, int rows, int cols, float alpha, float beta)
        where TB : struct, IPanelB<TB>
    {
        if (rows == MR && cols == NR)
        {
            Full(kc, a, b, c, ldc, alpha, beta);
            return;
        }
        float* tile = stackalloc float[MR * NR];
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            // Ragged edge: a half-width kernel when one vector of columns suffices, then masked copies.
            if (cols <= 16) Compute512Half(kc, a, b, tile, NR);
            else Compute512(kc, a, b, tile, NR, 1f, 0f);
            CopyMasked512(tile, c, ldc, rows, cols, alpha, beta);
            return;
        }
        Full(kc, a, b, tile, NR, 1f, 0f);
        for (int r = 0; r < rows; r++)
        {
            float* src = tile + r * NR;
            float* dst = c + (nint)r * ldc;
            if (beta == 0f)
                for (int j = 0; j < cols; j++) dst[j] = alpha * src[j];
            else
                for (int j = 0; j < cols; j++) dst[j] = alpha * src[j] + beta * dst[j];
        }
    }

    /// <summary>c[r, j] = alpha·tile[r, j] + beta·c[r, j] for r &lt; rows, j &lt; cols (C not read when beta is 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyMasked512(float* tile, float* c, int ldc, int rows, int cols, float alpha, float beta)
    {
        var mask0 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols)).AsSingle();
        var mask1 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols - 16)).AsSingle();
        var alphaV = Vector512.Create(alpha);
        var betaV = Vector512.Create(beta);
        for (int r = 0; r < rows; r++)
        {
            float* src = tile + r * NR;
            float* dst = c + (nint)r * ldc;
            var v0 = Vector512.Load(src) * alphaV;
            var v1 = Vector512.Load(src + 16) * alphaV;
            if (beta != 0f)
            {
                v0 = Vector512.FusedMultiplyAdd(betaV, Avx512F.MaskLoad(dst, mask0, Vector512<float>.Zero), v0);
                v1 = Vector512.FusedMultiplyAdd(betaV, Avx512F.MaskLoad(dst + 16, mask1, Vector512<float>.Zero), v1);
            }
            Avx512F.MaskStore(dst, mask0, v0);
            Avx512F.MaskStore(dst + 16, mask1, v1);
        }
    }

    /// <summary>Left half of the tile: tile[r, j] = Σ_p a[p·MR + r]·b.Row(p)[j] for j &lt; 16 (8 accumulators).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute512Half<TB>(int kc, float* a, TB b, float* tile, int ldTile)
        where TB : struct, IPanelB<TB>
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (nint p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b.Row(p));
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            a += MR;
        }
        c0.Store(tile);
        c1.Store(tile + ldTile);
        c2.Store(tile + 2 * ldTile);
        c3.Store(tile + 3 * ldTile);
        c4.Store(tile + 4 * ldTile);
        c5.Store(tile + 5 * ldTile);
        c6.Store(tile + 6 * ldTile);
        c7.Store(tile + 7 * ldTile);
    }

    /// <summary>Computes a full MR×NR tile with the widest available instruction set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Full<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta)
        where TB : struct, IPanelB<TB>
    {
        if (Vector512.IsHardwareAccelerated) Compute512(kc, a, b, c, ldc, alpha, beta);
        else if (Vector256.IsHardwareAccelerated) Compute256(kc, a, b, c, ldc, alpha, beta);
        else ComputeScalar(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>The definition: plain sums in float, one k at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void ComputeScalar<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta)
        where TB : struct, IPanelB<TB>
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (nint p = 0; p < kc; p++)
        {
            float* bp = b.Row(p);
            float* ap = a + p * MR;
            for (int r = 0; r < MR; r++)
            {
                float ar = ap[r];
                float* accRow = acc + r * NR;
                for (int j = 0; j < NR; j++) accRow[j] += ar * bp[j];
            }
        }
        for (int r = 0; r < MR; r++)
        {
            float* dst = c + (nint)r * ldc;
            float* src = acc + r * NR;
            if (beta == 0f)
                for (int j = 0; j < NR; j++) dst[j] = alpha * src[j];
            else
                for (int j = 0; j < NR; j++) dst[j] = alpha * src[j] + beta * dst[j];
        }
    }

    /// <summary>8 rows × 2 zmm vectors = 16 accumulators; each A element is broadcast once and feeds two FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute512<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta)
        where TB : struct, IPanelB<TB>
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        PrefetchTile(c, ldc);
        for (nint p = 0; p < kc; p++)
        {
            float* bp = b.Row(p);
            Vector512<float> b0 = Vector512.Load(bp);
            Vector512<float> b1 = Vector512.Load(bp + 16);
            Vector512<float> av = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(av, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(av, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            a += MR;
        }
        Vector512<float> alphaV = Vector512.Create(alpha);
        Vector512<float> betaV = Vector512.Create(beta);
        bool readC = beta != 0f;
        Store512(c, c00, c01, alphaV, betaV, readC);
        Store512(c + (nint)ldc, c10, c11, alphaV, betaV, readC);
        Store512(c + 2 * (nint)ldc, c20, c21, alphaV, betaV, readC);
        Store512(c + 3 * (nint)ldc, c30, c31, alphaV, betaV, readC);
        Store512(c + 4 * (nint)ldc, c40, c41, alphaV, betaV, readC);
        Store512(c + 5 * (nint)ldc, c50, c51, alphaV, betaV, readC);
        Store512(c + 6 * (nint)ldc, c60, c61, alphaV, betaV, readC);
        Store512(c + 7 * (nint)ldc, c70, c71, alphaV, betaV, readC);
    }

    /// <summary>
    /// Starts loading the C tile while the k-loop runs (as BLIS micro-kernels do): the tile's 8 rows lie in 8
    /// different pages of a large C, and waiting for them at the store would stall the end of every tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, int ldc)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < MR; r++)
        {
            float* row = c + (nint)r * ldc;
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + 31);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> alpha,
        Vector512<float> beta, bool readC)
    {
        v0 *= alpha;
        v1 *= alpha;
        if (readC)
        {
            v0 = Vector512.FusedMultiplyAdd(beta, Vector512.Load(c), v0);
            v1 = Vector512.FusedMultiplyAdd(beta, Vector512.Load(c + 16), v1);
        }
        v0.Store(c);
        v1.Store(c + 16);
    }

    /// <summary>
    /// AVX2 has only 16 ymm registers, so the 8×32 tile is computed in three register blocks: rows 0–5 × columns
    /// 0–15, rows 0–5 × columns 16–31 (12 accumulators, 2 B vectors and a broadcast: 15 registers each) and rows 6–7
    /// × all 32 columns (8 accumulators, 4 B vectors). Every block keeps at least 8 independent FMA chains in flight,
    /// enough for a 4-cycle FMA latency on two pipes; the former 4×16 quarters had exactly 8 and stalled on any
    /// hiccup (measured 0.65–0.8× OpenBLAS on Zen 3; see docs/benchmarks-kernels.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute256<TB>(int kc, float* a, TB b, float* c, int ldc, float alpha, float beta)
        where TB : struct, IPanelB<TB>
    {
        Vector256<float> alphaV = Vector256.Create(alpha);
        Vector256<float> betaV = Vector256.Create(beta);
        bool readC = beta != 0f;
        for (int colHalf = 0; colHalf < NR; colHalf += 16)
        {
            var half = b.Shift(colHalf);
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            float* ap = a;
            float* bp = half.Row(0);
            nint step = half.RowStep;
            for (nint p = 0; p < kc; p++)
            {
                if (!TB.EvenlySpaced) bp = half.Row(p);
                Vector256<float> b0 = Vector256.Load(bp);
                Vector256<float> b1 = Vector256.Load(bp + 8);
                Vector256<float> av = Vector256.Create(ap[0]);
                c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
                c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
                av = Vector256.Create(ap[1]);
                c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
                c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
                av = Vector256.Create(ap[2]);
                c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
                c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
                av = Vector256.Create(ap[3]);
                c30 = Vector256.FusedMultiplyAdd(av, b0, c30);
                c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
                av = Vector256.Create(ap[4]);
                c40 = Vector256.FusedMultiplyAdd(av, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
                av = Vector256.Create(ap[5]);
                c50 = Vector256.FusedMultiplyAdd(av, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
                ap += MR;
                bp += step;
            }
            float* cq = c + colHalf;
            Store256(cq, c00, c01, alphaV, betaV, readC);
            Store256(cq + (nint)ldc, c10, c11, alphaV, betaV, readC);
            Store256(cq + 2 * (nint)ldc, c20, c21, alphaV, betaV, readC);
            Store256(cq + 3 * (nint)ldc, c30, c31, alphaV, betaV, readC);
            Store256(cq + 4 * (nint)ldc, c40, c41, alphaV, betaV, readC);
            Store256(cq + 5 * (nint)ldc, c50, c51, alphaV, betaV, readC);
        }
        {
            Vector256<float> c60 = default, c61 = default, c62 = default, c63 = default;
            Vector256<float> c70 = default, c71 = default, c72 = default, c73 = default;
            float* ap = a + 6;
            float* bp = b.Row(0);
            nint step = b.RowStep;
            for (nint p = 0; p < kc; p++)
            {
                if (!TB.EvenlySpaced) bp = b.Row(p);
                Vector256<float> b0 = Vector256.Load(bp);
                Vector256<float> b1 = Vector256.Load(bp + 8);
                Vector256<float> b2 = Vector256.Load(bp + 16);
                Vector256<float> b3 = Vector256.Load(bp + 24);
                Vector256<float> av = Vector256.Create(ap[0]);
                c60 = Vector256.FusedMultiplyAdd(av, b0, c60);
                c61 = Vector256.FusedMultiplyAdd(av, b1, c61);
                c62 = Vector256.FusedMultiplyAdd(av, b2, c62);
                c63 = Vector256.FusedMultiplyAdd(av, b3, c63);
                av = Vector256.Create(ap[1]);
                c70 = Vector256.FusedMultiplyAdd(av, b0, c70);
                c71 = Vector256.FusedMultiplyAdd(av, b1, c71);
                c72 = Vector256.FusedMultiplyAdd(av, b2, c72);
                c73 = Vector256.FusedMultiplyAdd(av, b3, c73);
                ap += MR;
                bp += step;
            }
            float* c6 = c + 6 * (nint)ldc;
            Store256(c6, c60, c61, alphaV, betaV, readC);
            Store256(c6 + 16, c62, c63, alphaV, betaV, readC);
            float* c7 = c + 7 * (nint)ldc;
            Store256(c7, c70, c71, alphaV, betaV, readC);
            Store256(c7 + 16, c72, c73, alphaV, betaV, readC);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, Vector256<float> alpha,
        Vector256<float> beta, bool readC)
    {
        v0 *= alpha;
        v1 *= alpha;
        if (readC)
        {
            v0 = Vector256.FusedMultiplyAdd(beta, Vector256.Load(c), v0);
            v1 = Vector256.FusedMultiplyAdd(beta, Vector256.Load(c + 8), v1);
        }
        v0.Store(c);
        v1.Store(c + 8);
    }
}
