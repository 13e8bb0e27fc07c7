using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Elide.Kernels;

// The AVX-512 register tiles of the direct convolution: one output row at a time, vectorized along 16 or 32 output
// channels. Their FMA lines are one pattern repeated per position; positions beyond TP are removed by the JIT (TP
// and TS are struct type parameters, so every instantiation is compiled with them as constants).
internal sealed unsafe partial class DirectConvolution
{
    /// <summary>A compile-time integer for the tile kernels' type parameters.</summary>
    private interface IConstant
    {
        static abstract int Value { get; }
    }

    private struct P1 : IConstant { public static int Value => 1; }
    private struct P2 : IConstant { public static int Value => 2; }
    private struct P3 : IConstant { public static int Value => 3; }
    private struct P4 : IConstant { public static int Value => 4; }
    private struct P5 : IConstant { public static int Value => 5; }
    private struct P6 : IConstant { public static int Value => 6; }
    private struct P7 : IConstant { public static int Value => 7; }
    private struct P8 : IConstant { public static int Value => 8; }
    private struct P9 : IConstant { public static int Value => 9; }
    private struct P10 : IConstant { public static int Value => 10; }
    private struct P11 : IConstant { public static int Value => 11; }
    private struct P12 : IConstant { public static int Value => 12; }
    private struct P13 : IConstant { public static int Value => 13; }
    private struct P14 : IConstant { public static int Value => 14; }
    private struct S1 : IConstant { public static int Value => 1; }
    private struct S2 : IConstant { public static int Value => 2; }

    /// <summary>Most positions per row tile: 14 of 16 channels (14 accumulators), 12 of 32 (24 accumulators, 2
    /// weight vectors and a broadcast leave 5 of the 32 vector registers).</summary>
    private static int MaxRowPositions(int ocTile) => ocTile == 32 ? 12 : 14;

    /// <summary>The row tile kernel for <paramref name="ocTile"/> channels × <paramref name="positions"/> positions at
    /// horizontal stride <paramref name="stride"/> (1 or 2).</summary>
    private static delegate*<float*, int, int*, float*, float*, void> RowTileKernel(int ocTile, int positions, int stride)
    {
        if (stride is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(stride), stride, "row tiles exist for strides 1 and 2");
        if (ocTile == 16)
            return positions switch
            {
                1 => stride == 1 ? &RowTile16<P1, S1> : &RowTile16<P1, S2>,
                2 => stride == 1 ? &RowTile16<P2, S1> : &RowTile16<P2, S2>,
                3 => stride == 1 ? &RowTile16<P3, S1> : &RowTile16<P3, S2>,
                4 => stride == 1 ? &RowTile16<P4, S1> : &RowTile16<P4, S2>,
                5 => stride == 1 ? &RowTile16<P5, S1> : &RowTile16<P5, S2>,
                6 => stride == 1 ? &RowTile16<P6, S1> : &RowTile16<P6, S2>,
                7 => stride == 1 ? &RowTile16<P7, S1> : &RowTile16<P7, S2>,
                8 => stride == 1 ? &RowTile16<P8, S1> : &RowTile16<P8, S2>,
                9 => stride == 1 ? &RowTile16<P9, S1> : &RowTile16<P9, S2>,
                10 => stride == 1 ? &RowTile16<P10, S1> : &RowTile16<P10, S2>,
                11 => stride == 1 ? &RowTile16<P11, S1> : &RowTile16<P11, S2>,
                12 => stride == 1 ? &RowTile16<P12, S1> : &RowTile16<P12, S2>,
                13 => stride == 1 ? &RowTile16<P13, S1> : &RowTile16<P13, S2>,
                14 => stride == 1 ? &RowTile16<P14, S1> : &RowTile16<P14, S2>,
                _ => throw new ArgumentOutOfRangeException(nameof(positions), positions, "16-channel row tiles hold 1 to 14 positions"),
            };
        if (ocTile != 32) throw new ArgumentOutOfRangeException(nameof(ocTile), ocTile, "row tiles hold 16 or 32 channels");
        return positions switch
        {
            1 => stride == 1 ? &RowTile32<P1, S1> : &RowTile32<P1, S2>,
            2 => stride == 1 ? &RowTile32<P2, S1> : &RowTile32<P2, S2>,
            3 => stride == 1 ? &RowTile32<P3, S1> : &RowTile32<P3, S2>,
            4 => stride == 1 ? &RowTile32<P4, S1> : &RowTile32<P4, S2>,
            5 => stride == 1 ? &RowTile32<P5, S1> : &RowTile32<P5, S2>,
            6 => stride == 1 ? &RowTile32<P6, S1> : &RowTile32<P6, S2>,
            7 => stride == 1 ? &RowTile32<P7, S1> : &RowTile32<P7, S2>,
            8 => stride == 1 ? &RowTile32<P8, S1> : &RowTile32<P8, S2>,
            9 => stride == 1 ? &RowTile32<P9, S1> : &RowTile32<P9, S2>,
            10 => stride == 1 ? &RowTile32<P10, S1> : &RowTile32<P10, S2>,
            11 => stride == 1 ? &RowTile32<P11, S1> : &RowTile32<P11, S2>,
            12 => stride == 1 ? &RowTile32<P12, S1> : &RowTile32<P12, S2>,
            _ => throw new ArgumentOutOfRangeException(nameof(positions), positions, "32-channel row tiles hold 1 to 12 positions"),
        };
    }

    /// <summary>The three-tap row tile kernel (kernel rows of three taps, stride 1,
    /// dilation 1) for <paramref name="ocTile"/> channels × <paramref name="positions"/> positions.</summary>
    private static delegate*<float*, int, int*, float*, float*, void> RowTileSpan3Kernel(int ocTile, int positions)
    {
        if (ocTile == 16)
            return positions switch
            {
                1 => &RowTile16Span3<P1>,
                2 => &RowTile16Span3<P2>,
                3 => &RowTile16Span3<P3>,
                4 => &RowTile16Span3<P4>,
                5 => &RowTile16Span3<P5>,
                6 => &RowTile16Span3<P6>,
                7 => &RowTile16Span3<P7>,
                8 => &RowTile16Span3<P8>,
                9 => &RowTile16Span3<P9>,
                10 => &RowTile16Span3<P10>,
                11 => &RowTile16Span3<P11>,
                12 => &RowTile16Span3<P12>,
                13 => &RowTile16Span3<P13>,
                14 => &RowTile16Span3<P14>,
                _ => throw new ArgumentOutOfRangeException(nameof(positions), positions, "16-channel row tiles hold 1 to 14 positions"),
            };
        if (ocTile != 32) throw new ArgumentOutOfRangeException(nameof(ocTile), ocTile, "row tiles hold 16 or 32 channels");
        return positions switch
        {
            1 => &RowTile32Span3<P1>,
            2 => &RowTile32Span3<P2>,
            3 => &RowTile32Span3<P3>,
            4 => &RowTile32Span3<P4>,
            5 => &RowTile32Span3<P5>,
            6 => &RowTile32Span3<P6>,
            7 => &RowTile32Span3<P7>,
            8 => &RowTile32Span3<P8>,
            9 => &RowTile32Span3<P9>,
            10 => &RowTile32Span3<P10>,
            11 => &RowTile32Span3<P11>,
            12 => &RowTile32Span3<P12>,
            _ => throw new ArgumentOutOfRangeException(nameof(positions), positions, "32-channel row tiles hold 1 to 12 positions"),
        };
    }

    /// <summary>
    /// One row tile of 16 output channels × <typeparamref name="TP"/> positions (14 at most) of one output row:
    /// out[k][0..16) = Σ_tap Σ_c w[tap][c][0..16) · x[tapOffset[tap] + k·8·stride + c], written to
    /// <paramref name="stage"/> as rows of 16 floats. Position k's input sits at a constant distance from the first's, so
    /// every broadcast addresses one pointer plus an immediate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTile16<TP, TS>(float* w, int taps, int* tapOffsets, float* x, float* stage)
        where TP : struct, IConstant where TS : struct, IConstant
    {
        Vector512<float> a0_0 = default;
        Vector512<float> a1_0 = default;
        Vector512<float> a2_0 = default;
        Vector512<float> a3_0 = default;
        Vector512<float> a4_0 = default;
        Vector512<float> a5_0 = default;
        Vector512<float> a6_0 = default;
        Vector512<float> a7_0 = default;
        Vector512<float> a8_0 = default;
        Vector512<float> a9_0 = default;
        Vector512<float> a10_0 = default;
        Vector512<float> a11_0 = default;
        Vector512<float> a12_0 = default;
        Vector512<float> a13_0 = default;
        int step = 8 * TS.Value;
        for (int t = 0; t < taps; t++)
        {
            float* xc = x + tapOffsets[t];
            for (int c = 0; c < 8; c++)
            {
                var w0 = Vector512.Load(w + 0);
                var b = Vector512.Create(xc[0]);
                a0_0 = Vector512.FusedMultiplyAdd(w0, b, a0_0);
                if (TP.Value > 1) { b = Vector512.Create(xc[1 * step]); a1_0 = Vector512.FusedMultiplyAdd(w0, b, a1_0); }
                if (TP.Value > 2) { b = Vector512.Create(xc[2 * step]); a2_0 = Vector512.FusedMultiplyAdd(w0, b, a2_0); }
                if (TP.Value > 3) { b = Vector512.Create(xc[3 * step]); a3_0 = Vector512.FusedMultiplyAdd(w0, b, a3_0); }
                if (TP.Value > 4) { b = Vector512.Create(xc[4 * step]); a4_0 = Vector512.FusedMultiplyAdd(w0, b, a4_0); }
                if (TP.Value > 5) { b = Vector512.Create(xc[5 * step]); a5_0 = Vector512.FusedMultiplyAdd(w0, b, a5_0); }
                if (TP.Value > 6) { b = Vector512.Create(xc[6 * step]); a6_0 = Vector512.FusedMultiplyAdd(w0, b, a6_0); }
                if (TP.Value > 7) { b = Vector512.Create(xc[7 * step]); a7_0 = Vector512.FusedMultiplyAdd(w0, b, a7_0); }
                if (TP.Value > 8) { b = Vector512.Create(xc[8 * step]); a8_0 = Vector512.FusedMultiplyAdd(w0, b, a8_0); }
                if (TP.Value > 9) { b = Vector512.Create(xc[9 * step]); a9_0 = Vector512.FusedMultiplyAdd(w0, b, a9_0); }
                if (TP.Value > 10) { b = Vector512.Create(xc[10 * step]); a10_0 = Vector512.FusedMultiplyAdd(w0, b, a10_0); }
                if (TP.Value > 11) { b = Vector512.Create(xc[11 * step]); a11_0 = Vector512.FusedMultiplyAdd(w0, b, a11_0); }
                if (TP.Value > 12) { b = Vector512.Create(xc[12 * step]); a12_0 = Vector512.FusedMultiplyAdd(w0, b, a12_0); }
                if (TP.Value > 13) { b = Vector512.Create(xc[13 * step]); a13_0 = Vector512.FusedMultiplyAdd(w0, b, a13_0); }
                xc++;
                w += 16;
            }
        }
        a0_0.Store(stage + 0);
        if (TP.Value > 1) { a1_0.Store(stage + 16); }
        if (TP.Value > 2) { a2_0.Store(stage + 32); }
        if (TP.Value > 3) { a3_0.Store(stage + 48); }
        if (TP.Value > 4) { a4_0.Store(stage + 64); }
        if (TP.Value > 5) { a5_0.Store(stage + 80); }
        if (TP.Value > 6) { a6_0.Store(stage + 96); }
        if (TP.Value > 7) { a7_0.Store(stage + 112); }
        if (TP.Value > 8) { a8_0.Store(stage + 128); }
        if (TP.Value > 9) { a9_0.Store(stage + 144); }
        if (TP.Value > 10) { a10_0.Store(stage + 160); }
        if (TP.Value > 11) { a11_0.Store(stage + 176); }
        if (TP.Value > 12) { a12_0.Store(stage + 192); }
        if (TP.Value > 13) { a13_0.Store(stage + 208); }
    }

    /// <summary>
    /// One row tile of 32 output channels × <typeparamref name="TP"/> positions (12 at most) of one output row:
    /// out[k][0..32) = Σ_tap Σ_c w[tap][c][0..32) · x[tapOffset[tap] + k·8·stride + c], written to
    /// <paramref name="stage"/> as rows of 32 floats. Position k's input sits at a constant distance from the first's, so
    /// every broadcast addresses one pointer plus an immediate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTile32<TP, TS>(float* w, int taps, int* tapOffsets, float* x, float* stage)
        where TP : struct, IConstant where TS : struct, IConstant
    {
        Vector512<float> a0_0 = default, a0_1 = default;
        Vector512<float> a1_0 = default, a1_1 = default;
        Vector512<float> a2_0 = default, a2_1 = default;
        Vector512<float> a3_0 = default, a3_1 = default;
        Vector512<float> a4_0 = default, a4_1 = default;
        Vector512<float> a5_0 = default, a5_1 = default;
        Vector512<float> a6_0 = default, a6_1 = default;
        Vector512<float> a7_0 = default, a7_1 = default;
        Vector512<float> a8_0 = default, a8_1 = default;
        Vector512<float> a9_0 = default, a9_1 = default;
        Vector512<float> a10_0 = default, a10_1 = default;
        Vector512<float> a11_0 = default, a11_1 = default;
        int step = 8 * TS.Value;
        for (int t = 0; t < taps; t++)
        {
            float* xc = x + tapOffsets[t];
            for (int c = 0; c < 8; c++)
            {
                var w0 = Vector512.Load(w + 0);
                var w1 = Vector512.Load(w + 16);
                var b = Vector512.Create(xc[0]);
                a0_0 = Vector512.FusedMultiplyAdd(w0, b, a0_0); a0_1 = Vector512.FusedMultiplyAdd(w1, b, a0_1);
                if (TP.Value > 1) { b = Vector512.Create(xc[1 * step]); a1_0 = Vector512.FusedMultiplyAdd(w0, b, a1_0); a1_1 = Vector512.FusedMultiplyAdd(w1, b, a1_1); }
                if (TP.Value > 2) { b = Vector512.Create(xc[2 * step]); a2_0 = Vector512.FusedMultiplyAdd(w0, b, a2_0); a2_1 = Vector512.FusedMultiplyAdd(w1, b, a2_1); }
                if (TP.Value > 3) { b = Vector512.Create(xc[3 * step]); a3_0 = Vector512.FusedMultiplyAdd(w0, b, a3_0); a3_1 = Vector512.FusedMultiplyAdd(w1, b, a3_1); }
                if (TP.Value > 4) { b = Vector512.Create(xc[4 * step]); a4_0 = Vector512.FusedMultiplyAdd(w0, b, a4_0); a4_1 = Vector512.FusedMultiplyAdd(w1, b, a4_1); }
                if (TP.Value > 5) { b = Vector512.Create(xc[5 * step]); a5_0 = Vector512.FusedMultiplyAdd(w0, b, a5_0); a5_1 = Vector512.FusedMultiplyAdd(w1, b, a5_1); }
                if (TP.Value > 6) { b = Vector512.Create(xc[6 * step]); a6_0 = Vector512.FusedMultiplyAdd(w0, b, a6_0); a6_1 = Vector512.FusedMultiplyAdd(w1, b, a6_1); }
                if (TP.Value > 7) { b = Vector512.Create(xc[7 * step]); a7_0 = Vector512.FusedMultiplyAdd(w0, b, a7_0); a7_1 = Vector512.FusedMultiplyAdd(w1, b, a7_1); }
                if (TP.Value > 8) { b = Vector512.Create(xc[8 * step]); a8_0 = Vector512.FusedMultiplyAdd(w0, b, a8_0); a8_1 = Vector512.FusedMultiplyAdd(w1, b, a8_1); }
                if (TP.Value > 9) { b = Vector512.Create(xc[9 * step]); a9_0 = Vector512.FusedMultiplyAdd(w0, b, a9_0); a9_1 = Vector512.FusedMultiplyAdd(w1, b, a9_1); }
                if (TP.Value > 10) { b = Vector512.Create(xc[10 * step]); a10_0 = Vector512.FusedMultiplyAdd(w0, b, a10_0); a10_1 = Vector512.FusedMultiplyAdd(w1, b, a10_1); }
                if (TP.Value > 11) { b = Vector512.Create(xc[11 * step]); a11_0 = Vector512.FusedMultiplyAdd(w0, b, a11_0); a11_1 = Vector512.FusedMultiplyAdd(w1, b, a11_1); }
                xc++;
                w += 32;
            }
        }
        a0_0.Store(stage + 0); a0_1.Store(stage + 16);
        if (TP.Value > 1) { a1_0.Store(stage + 32); a1_1.Store(stage + 48); }
        if (TP.Value > 2) { a2_0.Store(stage + 64); a2_1.Store(stage + 80); }
        if (TP.Value > 3) { a3_0.Store(stage + 96); a3_1.Store(stage + 112); }
        if (TP.Value > 4) { a4_0.Store(stage + 128); a4_1.Store(stage + 144); }
        if (TP.Value > 5) { a5_0.Store(stage + 160); a5_1.Store(stage + 176); }
        if (TP.Value > 6) { a6_0.Store(stage + 192); a6_1.Store(stage + 208); }
        if (TP.Value > 7) { a7_0.Store(stage + 224); a7_1.Store(stage + 240); }
        if (TP.Value > 8) { a8_0.Store(stage + 256); a8_1.Store(stage + 272); }
        if (TP.Value > 9) { a9_0.Store(stage + 288); a9_1.Store(stage + 304); }
        if (TP.Value > 10) { a10_0.Store(stage + 320); a10_1.Store(stage + 336); }
        if (TP.Value > 11) { a11_0.Store(stage + 352); a11_1.Store(stage + 368); }
    }

    /// <summary>
    /// <see cref="RowTile16{TP, TS}"/> for a kernel row of three taps at stride 1 and dilation 1 (taps come in groups of
    /// three whose inputs are one position apart): input position j of a group feeds output j with the first tap's
    /// weights, j − 1 with the second's and j − 2 with the third's, so each broadcast serves three FMAs instead of one
    /// (TP + 2 broadcasts and 3 weight loads for 3·TP FMAs per channel; the load ports, not the FMA units, bound the
    /// one-tap form on 16 channels).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTile16Span3<TP>(float* w, int taps, int* tapOffsets, float* x, float* stage)
        where TP : struct, IConstant
    {
        Vector512<float> a0 = default;
        Vector512<float> a1 = default;
        Vector512<float> a2 = default;
        Vector512<float> a3 = default;
        Vector512<float> a4 = default;
        Vector512<float> a5 = default;
        Vector512<float> a6 = default;
        Vector512<float> a7 = default;
        Vector512<float> a8 = default;
        Vector512<float> a9 = default;
        Vector512<float> a10 = default;
        Vector512<float> a11 = default;
        Vector512<float> a12 = default;
        Vector512<float> a13 = default;
        for (int t = 0; t < taps; t += 3)
        {
            float* xc = x + tapOffsets[t];
            for (int c = 0; c < 8; c++)
            {
                var w0 = Vector512.Load(w);
                var w1 = Vector512.Load(w + 8 * 16);
                var w2 = Vector512.Load(w + 2 * 8 * 16);
                Vector512<float> b;
                { b = Vector512.Create(xc[0 * 8]); if (TP.Value > 0) a0 = Vector512.FusedMultiplyAdd(w0, b, a0); }
                { b = Vector512.Create(xc[1 * 8]); if (TP.Value > 1) a1 = Vector512.FusedMultiplyAdd(w0, b, a1); if (TP.Value > 0) a0 = Vector512.FusedMultiplyAdd(w1, b, a0); }
                { b = Vector512.Create(xc[2 * 8]); if (TP.Value > 2) a2 = Vector512.FusedMultiplyAdd(w0, b, a2); if (TP.Value > 1) a1 = Vector512.FusedMultiplyAdd(w1, b, a1); if (TP.Value > 0) a0 = Vector512.FusedMultiplyAdd(w2, b, a0); }
                if (TP.Value + 2 > 3) { b = Vector512.Create(xc[3 * 8]); if (TP.Value > 3) a3 = Vector512.FusedMultiplyAdd(w0, b, a3); if (TP.Value > 2) a2 = Vector512.FusedMultiplyAdd(w1, b, a2); if (TP.Value > 1) a1 = Vector512.FusedMultiplyAdd(w2, b, a1); }
                if (TP.Value + 2 > 4) { b = Vector512.Create(xc[4 * 8]); if (TP.Value > 4) a4 = Vector512.FusedMultiplyAdd(w0, b, a4); if (TP.Value > 3) a3 = Vector512.FusedMultiplyAdd(w1, b, a3); if (TP.Value > 2) a2 = Vector512.FusedMultiplyAdd(w2, b, a2); }
                if (TP.Value + 2 > 5) { b = Vector512.Create(xc[5 * 8]); if (TP.Value > 5) a5 = Vector512.FusedMultiplyAdd(w0, b, a5); if (TP.Value > 4) a4 = Vector512.FusedMultiplyAdd(w1, b, a4); if (TP.Value > 3) a3 = Vector512.FusedMultiplyAdd(w2, b, a3); }
                if (TP.Value + 2 > 6) { b = Vector512.Create(xc[6 * 8]); if (TP.Value > 6) a6 = Vector512.FusedMultiplyAdd(w0, b, a6); if (TP.Value > 5) a5 = Vector512.FusedMultiplyAdd(w1, b, a5); if (TP.Value > 4) a4 = Vector512.FusedMultiplyAdd(w2, b, a4); }
                if (TP.Value + 2 > 7) { b = Vector512.Create(xc[7 * 8]); if (TP.Value > 7) a7 = Vector512.FusedMultiplyAdd(w0, b, a7); if (TP.Value > 6) a6 = Vector512.FusedMultiplyAdd(w1, b, a6); if (TP.Value > 5) a5 = Vector512.FusedMultiplyAdd(w2, b, a5); }
                if (TP.Value + 2 > 8) { b = Vector512.Create(xc[8 * 8]); if (TP.Value > 8) a8 = Vector512.FusedMultiplyAdd(w0, b, a8); if (TP.Value > 7) a7 = Vector512.FusedMultiplyAdd(w1, b, a7); if (TP.Value > 6) a6 = Vector512.FusedMultiplyAdd(w2, b, a6); }
                if (TP.Value + 2 > 9) { b = Vector512.Create(xc[9 * 8]); if (TP.Value > 9) a9 = Vector512.FusedMultiplyAdd(w0, b, a9); if (TP.Value > 8) a8 = Vector512.FusedMultiplyAdd(w1, b, a8); if (TP.Value > 7) a7 = Vector512.FusedMultiplyAdd(w2, b, a7); }
                if (TP.Value + 2 > 10) { b = Vector512.Create(xc[10 * 8]); if (TP.Value > 10) a10 = Vector512.FusedMultiplyAdd(w0, b, a10); if (TP.Value > 9) a9 = Vector512.FusedMultiplyAdd(w1, b, a9); if (TP.Value > 8) a8 = Vector512.FusedMultiplyAdd(w2, b, a8); }
                if (TP.Value + 2 > 11) { b = Vector512.Create(xc[11 * 8]); if (TP.Value > 11) a11 = Vector512.FusedMultiplyAdd(w0, b, a11); if (TP.Value > 10) a10 = Vector512.FusedMultiplyAdd(w1, b, a10); if (TP.Value > 9) a9 = Vector512.FusedMultiplyAdd(w2, b, a9); }
                if (TP.Value + 2 > 12) { b = Vector512.Create(xc[12 * 8]); if (TP.Value > 12) a12 = Vector512.FusedMultiplyAdd(w0, b, a12); if (TP.Value > 11) a11 = Vector512.FusedMultiplyAdd(w1, b, a11); if (TP.Value > 10) a10 = Vector512.FusedMultiplyAdd(w2, b, a10); }
                if (TP.Value + 2 > 13) { b = Vector512.Create(xc[13 * 8]); if (TP.Value > 13) a13 = Vector512.FusedMultiplyAdd(w0, b, a13); if (TP.Value > 12) a12 = Vector512.FusedMultiplyAdd(w1, b, a12); if (TP.Value > 11) a11 = Vector512.FusedMultiplyAdd(w2, b, a11); }
                if (TP.Value + 2 > 14) { b = Vector512.Create(xc[14 * 8]); if (TP.Value > 13) a13 = Vector512.FusedMultiplyAdd(w1, b, a13); if (TP.Value > 12) a12 = Vector512.FusedMultiplyAdd(w2, b, a12); }
                if (TP.Value + 2 > 15) { b = Vector512.Create(xc[15 * 8]); if (TP.Value > 13) a13 = Vector512.FusedMultiplyAdd(w2, b, a13); }
                xc++;
                w += 16;
            }
            w += 2 * 8 * 16;
        }
        a0.Store(stage + 0);
        if (TP.Value > 1) a1.Store(stage + 16);
        if (TP.Value > 2) a2.Store(stage + 32);
        if (TP.Value > 3) a3.Store(stage + 48);
        if (TP.Value > 4) a4.Store(stage + 64);
        if (TP.Value > 5) a5.Store(stage + 80);
        if (TP.Value > 6) a6.Store(stage + 96);
        if (TP.Value > 7) a7.Store(stage + 112);
        if (TP.Value > 8) a8.Store(stage + 128);
        if (TP.Value > 9) a9.Store(stage + 144);
        if (TP.Value > 10) a10.Store(stage + 160);
        if (TP.Value > 11) a11.Store(stage + 176);
        if (TP.Value > 12) a12.Store(stage + 192);
        if (TP.Value > 13) a13.Store(stage + 208);
    }

    /// <summary>
    /// <see cref="RowTile32{TP, TS}"/> for a kernel row of three taps at stride 1 and dilation 1, each broadcast serving
    /// three taps as in <see cref="RowTile16Span3{TP}"/> (six FMAs per broadcast; 24 accumulators, 6 weight vectors
    /// and a broadcast use 31 of the 32 vector registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTile32Span3<TP>(float* w, int taps, int* tapOffsets, float* x, float* stage)
        where TP : struct, IConstant
    {
        Vector512<float> a0_0 = default, a0_1 = default;
        Vector512<float> a1_0 = default, a1_1 = default;
        Vector512<float> a2_0 = default, a2_1 = default;
        Vector512<float> a3_0 = default, a3_1 = default;
        Vector512<float> a4_0 = default, a4_1 = default;
        Vector512<float> a5_0 = default, a5_1 = default;
        Vector512<float> a6_0 = default, a6_1 = default;
        Vector512<float> a7_0 = default, a7_1 = default;
        Vector512<float> a8_0 = default, a8_1 = default;
        Vector512<float> a9_0 = default, a9_1 = default;
        Vector512<float> a10_0 = default, a10_1 = default;
        Vector512<float> a11_0 = default, a11_1 = default;
        for (int t = 0; t < taps; t += 3)
        {
            float* xc = x + tapOffsets[t];
            for (int c = 0; c < 8; c++)
            {
                var w0_0 = Vector512.Load(w);
                var w0_1 = Vector512.Load(w + 16);
                var w1_0 = Vector512.Load(w + 8 * 32);
                var w1_1 = Vector512.Load(w + 8 * 32 + 16);
                var w2_0 = Vector512.Load(w + 2 * 8 * 32);
                var w2_1 = Vector512.Load(w + 2 * 8 * 32 + 16);
                Vector512<float> b;
                {
                    b = Vector512.Create(xc[0 * 8]);
                    if (TP.Value > 0) { a0_0 = Vector512.FusedMultiplyAdd(w0_0, b, a0_0); a0_1 = Vector512.FusedMultiplyAdd(w0_1, b, a0_1); }
                }
                {
                    b = Vector512.Create(xc[1 * 8]);
                    if (TP.Value > 1) { a1_0 = Vector512.FusedMultiplyAdd(w0_0, b, a1_0); a1_1 = Vector512.FusedMultiplyAdd(w0_1, b, a1_1); }
                    if (TP.Value > 0) { a0_0 = Vector512.FusedMultiplyAdd(w1_0, b, a0_0); a0_1 = Vector512.FusedMultiplyAdd(w1_1, b, a0_1); }
                }
                {
                    b = Vector512.Create(xc[2 * 8]);
                    if (TP.Value > 2) { a2_0 = Vector512.FusedMultiplyAdd(w0_0, b, a2_0); a2_1 = Vector512.FusedMultiplyAdd(w0_1, b, a2_1); }
                    if (TP.Value > 1) { a1_0 = Vector512.FusedMultiplyAdd(w1_0, b, a1_0); a1_1 = Vector512.FusedMultiplyAdd(w1_1, b, a1_1); }
                    if (TP.Value > 0) { a0_0 = Vector512.FusedMultiplyAdd(w2_0, b, a0_0); a0_1 = Vector512.FusedMultiplyAdd(w2_1, b, a0_1); }
                }
                if (TP.Value + 2 > 3) {
                    b = Vector512.Create(xc[3 * 8]);
                    if (TP.Value > 3) { a3_0 = Vector512.FusedMultiplyAdd(w0_0, b, a3_0); a3_1 = Vector512.FusedMultiplyAdd(w0_1, b, a3_1); }
                    if (TP.Value > 2) { a2_0 = Vector512.FusedMultiplyAdd(w1_0, b, a2_0); a2_1 = Vector512.FusedMultiplyAdd(w1_1, b, a2_1); }
                    if (TP.Value > 1) { a1_0 = Vector512.FusedMultiplyAdd(w2_0, b, a1_0); a1_1 = Vector512.FusedMultiplyAdd(w2_1, b, a1_1); }
                }
                if (TP.Value + 2 > 4) {
                    b = Vector512.Create(xc[4 * 8]);
                    if (TP.Value > 4) { a4_0 = Vector512.FusedMultiplyAdd(w0_0, b, a4_0); a4_1 = Vector512.FusedMultiplyAdd(w0_1, b, a4_1); }
                    if (TP.Value > 3) { a3_0 = Vector512.FusedMultiplyAdd(w1_0, b, a3_0); a3_1 = Vector512.FusedMultiplyAdd(w1_1, b, a3_1); }
                    if (TP.Value > 2) { a2_0 = Vector512.FusedMultiplyAdd(w2_0, b, a2_0); a2_1 = Vector512.FusedMultiplyAdd(w2_1, b, a2_1); }
                }
                if (TP.Value + 2 > 5) {
                    b = Vector512.Create(xc[5 * 8]);
                    if (TP.Value > 5) { a5_0 = Vector512.FusedMultiplyAdd(w0_0, b, a5_0); a5_1 = Vector512.FusedMultiplyAdd(w0_1, b, a5_1); }
                    if (TP.Value > 4) { a4_0 = Vector512.FusedMultiplyAdd(w1_0, b, a4_0); a4_1 = Vector512.FusedMultiplyAdd(w1_1, b, a4_1); }
                    if (TP.Value > 3) { a3_0 = Vector512.FusedMultiplyAdd(w2_0, b, a3_0); a3_1 = Vector512.FusedMultiplyAdd(w2_1, b, a3_1); }
                }
                if (TP.Value + 2 > 6) {
                    b = Vector512.Create(xc[6 * 8]);
                    if (TP.Value > 6) { a6_0 = Vector512.FusedMultiplyAdd(w0_0, b, a6_0); a6_1 = Vector512.FusedMultiplyAdd(w0_1, b, a6_1); }
                    if (TP.Value > 5) { a5_0 = Vector512.FusedMultiplyAdd(w1_0, b, a5_0); a5_1 = Vector512.FusedMultiplyAdd(w1_1, b, a5_1); }
                    if (TP.Value > 4) { a4_0 = Vector512.FusedMultiplyAdd(w2_0, b, a4_0); a4_1 = Vector512.FusedMultiplyAdd(w2_1, b, a4_1); }
                }
                if (TP.Value + 2 > 7) {
                    b = Vector512.Create(xc[7 * 8]);
                    if (TP.Value > 7) { a7_0 = Vector512.FusedMultiplyAdd(w0_0, b, a7_0); a7_1 = Vector512.FusedMultiplyAdd(w0_1, b, a7_1); }
                    if (TP.Value > 6) { a6_0 = Vector512.FusedMultiplyAdd(w1_0, b, a6_0); a6_1 = Vector512.FusedMultiplyAdd(w1_1, b, a6_1); }
                    if (TP.Value > 5) { a5_0 = Vector512.FusedMultiplyAdd(w2_0, b, a5_0); a5_1 = Vector512.FusedMultiplyAdd(w2_1, b, a5_1); }
                }
                if (TP.Value + 2 > 8) {
                    b = Vector512.Create(xc[8 * 8]);
                    if (TP.Value > 8) { a8_0 = Vector512.FusedMultiplyAdd(w0_0, b, a8_0); a8_1 = Vector512.FusedMultiplyAdd(w0_1, b, a8_1); }
                    if (TP.Value > 7) { a7_0 = Vector512.FusedMultiplyAdd(w1_0, b, a7_0); a7_1 = Vector512.FusedMultiplyAdd(w1_1, b, a7_1); }
                    if (TP.Value > 6) { a6_0 = Vector512.FusedMultiplyAdd(w2_0, b, a6_0); a6_1 = Vector512.FusedMultiplyAdd(w2_1, b, a6_1); }
                }
                if (TP.Value + 2 > 9) {
                    b = Vector512.Create(xc[9 * 8]);
                    if (TP.Value > 9) { a9_0 = Vector512.FusedMultiplyAdd(w0_0, b, a9_0); a9_1 = Vector512.FusedMultiplyAdd(w0_1, b, a9_1); }
                    if (TP.Value > 8) { a8_0 = Vector512.FusedMultiplyAdd(w1_0, b, a8_0); a8_1 = Vector512.FusedMultiplyAdd(w1_1, b, a8_1); }
                    if (TP.Value > 7) { a7_0 = Vector512.FusedMultiplyAdd(w2_0, b, a7_0); a7_1 = Vector512.FusedMultiplyAdd(w2_1, b, a7_1); }
                }
                if (TP.Value + 2 > 10) {
                    b = Vector512.Create(xc[10 * 8]);
                    if (TP.Value > 10) { a10_0 = Vector512.FusedMultiplyAdd(w0_0, b, a10_0); a10_1 = Vector512.FusedMultiplyAdd(w0_1, b, a10_1); }
                    if (TP.Value > 9) { a9_0 = Vector512.FusedMultiplyAdd(w1_0, b, a9_0); a9_1 = Vector512.FusedMultiplyAdd(w1_1, b, a9_1); }
                    if (TP.Value > 8) { a8_0 = Vector512.FusedMultiplyAdd(w2_0, b, a8_0); a8_1 = Vector512.FusedMultiplyAdd(w2_1, b, a8_1); }
                }
                if (TP.Value + 2 > 11) {
                    b = Vector512.Create(xc[11 * 8]);
                    if (TP.Value > 11) { a11_0 = Vector512.FusedMultiplyAdd(w0_0, b, a11_0); a11_1 = Vector512.FusedMultiplyAdd(w0_1, b, a11_1); }
                    if (TP.Value > 10) { a10_0 = Vector512.FusedMultiplyAdd(w1_0, b, a10_0); a10_1 = Vector512.FusedMultiplyAdd(w1_1, b, a10_1); }
                    if (TP.Value > 9) { a9_0 = Vector512.FusedMultiplyAdd(w2_0, b, a9_0); a9_1 = Vector512.FusedMultiplyAdd(w2_1, b, a9_1); }
                }
                if (TP.Value + 2 > 12) {
                    b = Vector512.Create(xc[12 * 8]);
                    if (TP.Value > 11) { a11_0 = Vector512.FusedMultiplyAdd(w1_0, b, a11_0); a11_1 = Vector512.FusedMultiplyAdd(w1_1, b, a11_1); }
                    if (TP.Value > 10) { a10_0 = Vector512.FusedMultiplyAdd(w2_0, b, a10_0); a10_1 = Vector512.FusedMultiplyAdd(w2_1, b, a10_1); }
                }
                if (TP.Value + 2 > 13) {
                    b = Vector512.Create(xc[13 * 8]);
                    if (TP.Value > 11) { a11_0 = Vector512.FusedMultiplyAdd(w2_0, b, a11_0); a11_1 = Vector512.FusedMultiplyAdd(w2_1, b, a11_1); }
                }
                xc++;
                w += 32;
            }
            w += 2 * 8 * 32;
        }
        a0_0.Store(stage + 0); a0_1.Store(stage + 16);
        if (TP.Value > 1) { a1_0.Store(stage + 32); a1_1.Store(stage + 48); }
        if (TP.Value > 2) { a2_0.Store(stage + 64); a2_1.Store(stage + 80); }
        if (TP.Value > 3) { a3_0.Store(stage + 96); a3_1.Store(stage + 112); }
        if (TP.Value > 4) { a4_0.Store(stage + 128); a4_1.Store(stage + 144); }
        if (TP.Value > 5) { a5_0.Store(stage + 160); a5_1.Store(stage + 176); }
        if (TP.Value > 6) { a6_0.Store(stage + 192); a6_1.Store(stage + 208); }
        if (TP.Value > 7) { a7_0.Store(stage + 224); a7_1.Store(stage + 240); }
        if (TP.Value > 8) { a8_0.Store(stage + 256); a8_1.Store(stage + 272); }
        if (TP.Value > 9) { a9_0.Store(stage + 288); a9_1.Store(stage + 304); }
        if (TP.Value > 10) { a10_0.Store(stage + 320); a10_1.Store(stage + 336); }
        if (TP.Value > 11) { a11_0.Store(stage + 352); a11_1.Store(stage + 368); }
    }
}
