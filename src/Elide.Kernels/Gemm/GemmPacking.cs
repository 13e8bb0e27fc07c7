using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Elide.Kernels.GemmTiling;

namespace Elide.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the panel layouts the micro-kernel streams through (Goto &amp; van de Geijn
/// 2008, §5): A in MR-row panels stored depth-major, B in NR-column panels stored depth-major, edges zero-padded so
/// the micro-kernel never needs a bounds check.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs <paramref name="rows"/> × <paramref name="depth"/> of op(A), where op(A)(i, p) =
    /// a[i·rowStride + p·colStride], into ⌈rows/MR⌉ panels of depth×MR floats; row r of panel q, depth p lands at
    /// dst[q·MR·depth + p·MR + r]. Rows past <paramref name="rows"/> are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(float* a, nint rowStride, nint colStride, int rows, int depth, float* dst)
    {
        for (int i0 = 0; i0 < rows; i0 += MR)
        {
            int mr = Math.Min(MR, rows - i0);
            float* panel = dst + (nint)i0 * depth;
            if (colStride == 1)
            {
                // Rows are contiguous in the source: read each row once, write with stride MR.
                for (int r = 0; r < mr; r++)
                {
                    float* src = a + (i0 + r) * rowStride;
                    float* d = panel + r;
                    for (int p = 0; p < depth; p++) d[p * MR] = src[p];
                }
            }
            else if (rowStride == 1 && mr == MR && Vector256.IsHardwareAccelerated)
            {
                // Transposed A: the MR rows of one depth are contiguous, one vector per depth.
                for (int p = 0; p < depth; p++)
                    Vector256.Load(a + p * colStride + i0).Store(panel + p * MR);
                continue;
            }
            else
            {
                for (int p = 0; p < depth; p++)
                {
                    float* src = a + p * colStride + i0 * rowStride;
                    for (int r = 0; r < mr; r++) panel[p * MR + r] = src[r * rowStride];
                }
            }
            for (int r = mr; r < MR; r++)
                for (int p = 0; p < depth; p++) panel[p * MR + r] = 0f;
        }
    }

    /// <summary>
    /// Packs <paramref name="depth"/> × <paramref name="cols"/> of op(B), where op(B)(p, j) =
    /// b[p·rowStride + j·colStride], into ⌈cols/NR⌉ panels of depth×NR floats; column c of panel q, depth p lands
    /// at dst[q·NR·depth + p·NR + c]. Columns past <paramref name="cols"/> are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(float* b, nint rowStride, nint colStride, int depth, int cols, float* dst)
    {
        for (int j0 = 0; j0 < cols; j0 += NR)
        {
            int nr = Math.Min(NR, cols - j0);
            float* panel = dst + (nint)j0 * depth;
            if (colStride == 1 && nr == NR)
            {
                float* src = b + j0;
                for (int p = 0; p < depth; p++) CopyRow(src + p * rowStride, panel + p * NR);
                continue;
            }
            if (colStride == 1)
            {
                for (int p = 0; p < depth; p++)
                {
                    float* src = b + p * rowStride + j0;
                    float* d = panel + p * NR;
                    int c = 0;
                    for (; c < nr; c++) d[c] = src[c];
                    for (; c < NR; c++) d[c] = 0f;
                }
                continue;
            }
            // Transposed B: each column of op(B) is contiguous in the source.
            for (int c = 0; c < nr; c++)
            {
                float* src = b + (j0 + c) * colStride;
                float* d = panel + c;
                for (int p = 0; p < depth; p++) d[p * NR] = src[p * rowStride];
            }
            for (int c = nr; c < NR; c++)
                for (int p = 0; p < depth; p++) panel[p * NR + c] = 0f;
        }
    }

    /// <summary>Copies NR contiguous floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyRow(float* src, float* dst)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512.Load(src).Store(dst);
            Vector512.Load(src + 16).Store(dst + 16);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256.Load(src).Store(dst);
            Vector256.Load(src + 8).Store(dst + 8);
            Vector256.Load(src + 16).Store(dst + 16);
            Vector256.Load(src + 24).Store(dst + 24);
        }
        else
        {
            for (int c = 0; c < NR; c++) dst[c] = src[c];
        }
    }
}
