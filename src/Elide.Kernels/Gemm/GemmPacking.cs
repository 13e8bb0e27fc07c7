using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
            if (colStride == 1 && mr == MR && Avx.IsSupported)
            {
                // Rows are contiguous in the source: transpose 8×8 blocks in registers.
                int p = 0;
                for (; p + 8 <= depth; p += 8) Transpose8x8(a + i0 * rowStride + p, rowStride, panel + p * MR, MR);
                for (; p < depth; p++)
                    for (int r = 0; r < MR; r++) panel[p * MR + r] = a[(i0 + r) * rowStride + p];
                continue;
            }
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
            if (rowStride == 1 && nr == NR && Avx.IsSupported)
            {
                int p = 0;
                for (; p + 8 <= depth; p += 8)
                    for (int c0 = 0; c0 < NR; c0 += 8)
                        Transpose8x8(b + (j0 + c0) * colStride + p, colStride, panel + p * NR + c0, NR);
                for (; p < depth; p++)
                    for (int c = 0; c < NR; c++) panel[p * NR + c] = b[(j0 + c) * colStride + p];
                continue;
            }
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

    /// <summary>
    /// Writes the transpose of the 8×8 block at src (row stride <paramref name="stride"/>) to dst with row stride
    /// <paramref name="dstStride"/>: dst[p·dstStride + r] = src[r·stride + p]. The usual unpack / shuffle / lane-permute network (Intel optimization
    /// manual, "8x8 matrix transpose").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint stride, float* dst, nint dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + stride);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * stride), r3 = Avx.LoadVector256(src + 3 * stride);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * stride), r5 = Avx.LoadVector256(src + 5 * stride);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * stride), r7 = Avx.LoadVector256(src + 7 * stride);
        // Interleave pairs of rows: t0 = r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5], ...
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        // Gather four rows per column within each 128-bit lane.
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        // Join the lanes: columns 0–3 from the low lanes, 4–7 from the high lanes.
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + 1 * dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
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
