using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Elide.Kernels;

/// <summary>
/// Direct convolution on a channel-blocked copy of the input (Groups = 1): the image is staged once as padded
/// NCHW8c, [⌈C/8⌉][Hp][Wp][8], and each register tile of output channels × output positions is accumulated in
/// vector registers, vectorized along output channels: per input channel and tap, the tile's weight vectors and one
/// broadcast input value per position feed its FMAs. Two tile shapes:
/// <list type="bullet">
/// <item>AVX2 ("chunk" tiles): 16 channels (two Vector256) × 6 positions of a flat chunk of 48, which may span output
/// rows, each position with its own input pointer.</item>
/// <item>AVX-512 ("row" tiles, horizontal stride 1 or 2): 32 channels (two Vector512) × up to 12 positions, or 16
/// channels × up to 14 when the layer has at most 16 outputs, all in one output row, so every position's input is a
/// constant distance from the first's (one pointer, immediate offsets). A row of OW positions is cut into
/// ⌈OW / max⌉ tiles of equal width; the last one is moved back to end at the row's end when it would overrun
/// (recomputing a few positions rather than running a narrower kernel). A 3-wide kernel at stride 1 and dilation 1
/// takes its kernel rows three taps at a time: input position j feeds outputs j, j − 1 and j − 2, so one broadcast
/// serves three taps (<see cref="ThreeTapRows"/>; 1.10–1.15× on 16-channel layers, 1.02× on 32 and 64, Zen 5).</item>
/// </list>
/// </summary>
/// <remarks>
/// Unlike <see cref="ImplicitGemmConvolution"/>, whose vectors run along output columns and so compute the
/// padding columns of every row (9/7 of the work on a 7-wide layer, plus rounding to whole 32-column tiles), the
/// vectors here run along channels, so only real output positions are computed; a tile's six positions may span
/// output rows. The layout is the NCHWc blocking that oneDNN and ONNX Runtime's MLAS use for their direct
/// convolutions on AVX2 (8 floats = one ymm register). The price is two transposes, both in L1: the input into
/// the blocked image, and each chunk of results back to NCHW before bias, residual and activation are applied by
/// <see cref="ConvOutput"/>. Weights are packed per 16 output channels as [tap (cb, kh, kw)][c mod 8][16], zero
/// for channels past InChannels or OutChannels.
/// </remarks>
internal sealed unsafe partial class DirectConvolution
{
    /// <summary>Output positions per chunk tile (AVX2).</summary>
    public const int PositionTile = 6;

    /// <summary>Output positions staged and transposed together by chunk tiles: a multiple of the position tile and of 8.</summary>
    public const int Chunk = 48;

    private readonly Conv2dGeometry g;
    private readonly int channelBlocks, paddedWidth, taps;
    private readonly float[] weightStorage;
    private readonly int[] tapStorage, positionStorage;
    private readonly float* weights;
    private readonly int* tapOffsets;      // per (cb, kh, kw): float offset from a position's top-left input
    private readonly int* positionOffsets; // per output position oh·OW + ow: float offset of its top-left input
    private readonly delegate*<float*, int, int*, float*, float*, void> rowTile; // null: chunk tiles
    private readonly int rowPositions, rowTiles, rowsPerUnit;

    /// <param name="geometry">The layer.</param>
    /// <param name="weightsOihw">Its weights, [OutChannels, InChannels, KernelHeight, KernelWidth].</param>
    /// <param name="rowTiles">Use AVX-512 row tiles where the stride allows; false forces the AVX2 chunk tiles.</param>
    public DirectConvolution(in Conv2dGeometry geometry, ReadOnlySpan<float> weightsOihw, bool rowTiles)
    {
        g = geometry;
        channelBlocks = (g.InChannels + 7) / 8;
        paddedWidth = g.InWidth + g.PadLeft + g.PadRight;
        taps = channelBlocks * g.KernelHeight * g.KernelWidth;
        if (rowTiles && g.StrideWidth is 1 or 2)
        {
            OcTile = g.OutChannels <= 16 ? 16 : 32;
            int max = MaxRowPositions(OcTile);
            this.rowTiles = (g.OutWidth + max - 1) / max;
            rowPositions = (g.OutWidth + this.rowTiles - 1) / this.rowTiles;
            ThreeTapRows = g.KernelWidth == 3 && g.DilationWidth == 1 && g.StrideWidth == 1;
            rowTile = ThreeTapRows ? RowTileSpan3Kernel(OcTile, rowPositions) : RowTileKernel(OcTile, rowPositions, g.StrideWidth);
            // Whole rows per unit, about a chunk's worth of positions: finishing transposes 8 positions at a time, so
            // a lone 7-wide row would be all tail.
            rowsPerUnit = Math.Clamp((Chunk + g.OutWidth - 1) / g.OutWidth, 1, g.OutHeight);
        }
        else OcTile = 16;
        OcTiles = (g.OutChannels + OcTile - 1) / OcTile;
        Positions = g.OutHeight * g.OutWidth;
        ChannelBlockStride = (long)(g.InHeight + g.PadTop + g.PadBottom) * paddedWidth * 8;
        ImageFloats = channelBlocks * ChannelBlockStride;

        tapStorage = GC.AllocateArray<int>(Math.Max(taps, 1), pinned: true);
        for (int cb = 0; cb < channelBlocks; cb++)
            for (int kh = 0; kh < g.KernelHeight; kh++)
                for (int kw = 0; kw < g.KernelWidth; kw++)
                    tapStorage[(cb * g.KernelHeight + kh) * g.KernelWidth + kw] = checked((int)(cb * ChannelBlockStride
                        + ((long)kh * g.DilationHeight * paddedWidth + (long)kw * g.DilationWidth) * 8));
        tapOffsets = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(tapStorage));

        positionStorage = GC.AllocateArray<int>(Math.Max(Positions, 1), pinned: true);
        for (int oh = 0; oh < g.OutHeight; oh++)
            for (int ow = 0; ow < g.OutWidth; ow++)
                positionStorage[oh * g.OutWidth + ow] = checked(((oh * g.StrideHeight) * paddedWidth + ow * g.StrideWidth) * 8);
        positionOffsets = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(positionStorage));

        // [oc tile][tap][c mod 8][16 output channels]
        int kernelArea = g.KernelHeight * g.KernelWidth;
        long tileFloats = (long)taps * 8 * OcTile;
        // 64-byte aligned (16 floats of slack): a 512-bit weight load that straddles two cache lines costs two.
        weightStorage = GC.AllocateArray<float>(checked((int)(OcTiles * tileFloats + 16)), pinned: true);
        int align = (int)((64 - (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(weightStorage)) % 64) % 64) / sizeof(float);
        for (int oc = 0; oc < g.OutChannels; oc++)
        {
            int tile = oc / OcTile, lane = oc % OcTile;
            for (int c = 0; c < g.InChannels; c++)
            {
                for (int k = 0; k < kernelArea; k++)
                {
                    int tap = (c / 8) * kernelArea + k;
                    weightStorage[align + tile * tileFloats + ((long)tap * 8 + c % 8) * OcTile + lane] =
                        weightsOihw[(oc * g.InChannels + c) * kernelArea + k];
                }
            }
        }
        weights = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(weightStorage)) + align;
    }

    /// <summary>Output channels per register tile: 16 (chunk tiles, or row tiles of layers with at most 16 outputs) or 32.</summary>
    public int OcTile { get; }

    /// <summary>Whether the AVX-512 row tiles run (else the AVX2 chunk tiles).</summary>
    public bool RowTiles => rowTile != null;

    /// <summary>Whether the row tiles take a kernel row of three taps at a time (3-wide kernels at stride 1 and
    /// dilation 1), one broadcast serving all three.</summary>
    public bool ThreeTapRows { get; }

    /// <summary>Groups of <see cref="OcTile"/> output channels (the last may be partly padding).</summary>
    public int OcTiles { get; }

    /// <summary>Output positions of one image: OutHeight · OutWidth.</summary>
    public int Positions { get; }

    /// <summary>Floats of one channel block of the staged image: Hp · Wp · 8.</summary>
    public long ChannelBlockStride { get; }

    /// <summary>Floats of one staged image.</summary>
    public long ImageFloats { get; }

    /// <summary>Independent pieces of one image: (output-channel tile, position chunk) pairs, or (output-channel
    /// tile, band of whole output rows) pairs with row tiles.</summary>
    public int UnitCount => OcTiles * (RowTiles ? RowBands : (Positions + Chunk - 1) / Chunk);

    private int RowBands => (g.OutHeight + rowsPerUnit - 1) / rowsPerUnit;

    /// <summary>Channel blocks of the staged image (the unit of a parallel <see cref="Build"/>).</summary>
    public int ChannelBlocks => channelBlocks;

    /// <summary>Stages channel blocks [blockStart, blockEnd) of one NCHW image as padded NCHW8c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public void Build(float* input, float* image, int blockStart, int blockEnd)
    {
        int h = g.InHeight, w = g.InWidth, plane = h * w;
        int rowFloats = paddedWidth * 8;
        for (int cb = blockStart; cb < blockEnd; cb++)
        {
            float* block = image + cb * ChannelBlockStride;
            int channels = Math.Min(8, g.InChannels - cb * 8);
            Zero(block, g.PadTop * rowFloats);
            Zero(block + (long)(g.PadTop + h) * rowFloats, g.PadBottom * rowFloats);
            float* source = input + (long)cb * 8 * plane;
            for (int y = 0; y < h; y++)
            {
                float* row = block + (long)(g.PadTop + y) * rowFloats;
                Zero(row, g.PadLeft * 8);
                Zero(row + (g.PadLeft + w) * 8, g.PadRight * 8);
                float* dst = row + g.PadLeft * 8;
                float* src = source + y * w;
                if (channels == 8 && Avx.IsSupported)
                {
                    // Eight channel rows at a time become eight pixels. A ragged end is redone as the row's last 8
                    // pixels (rewriting some with the same values); rows narrower than 8 use masked loads, which
                    // never read past the row.
                    int x = 0;
                    for (; x + 8 <= w; x += 8)
                    {
                        Transpose8x8(src + x, plane, dst + x * 8, 8);
                    }
                    if (x < w)
                    {
                        if (w >= 8) Transpose8x8(src + w - 8, plane, dst + (w - 8) * 8, 8);
                        else TransposeTail(src, plane, dst, w);
                    }
                    continue;
                }
                for (int x = 0; x < w; x++)
                {
                    int c = 0;
                    for (; c < channels; c++) dst[x * 8 + c] = src[(long)c * plane + x];
                    for (; c < 8; c++) dst[x * 8 + c] = 0f;
                }
            }
        }
    }

    /// <summary>Zeroes <paramref name="count"/> floats, a multiple of 8 (whole pixels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(float* at, int count)
    {
        for (int i = 0; i < count; i += 8) Vector256<float>.Zero.Store(at + i);
    }

    /// <summary>As <see cref="Transpose8x8"/> with row stride 8 out, for the first <paramref name="columns"/> (&lt; 8)
    /// columns: reads and writes nothing beyond them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [SkipLocalsInit]
    private static void TransposeTail(float* src, long srcStride, float* dst, int columns)
    {
        var mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(columns)).AsSingle();
        float* block = stackalloc float[64];
        for (int r = 0; r < 8; r++) Avx.MaskLoad(src + r * srcStride, mask).Store(block + r * 8);
        Transpose8x8(block, 8, block, 8);
        for (int c = 0; c < columns; c++) Vector256.Load(block + c * 8).Store(dst + c * 8);
    }

    /// <summary>Computes units [unitStart, unitEnd) of one image from its staged copy and stores them; with
    /// <paramref name="prefetchOutput"/>, each chunk's output (and residual) lines are fetched before it is computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public void Compute(float* image, in ConvOutput output, int unitStart, int unitEnd, bool prefetchOutput)
    {
        if (RowTiles)
        {
            ComputeRows(image, output, unitStart, unitEnd, prefetchOutput);
            return;
        }
        int chunks = (Positions + Chunk - 1) / Chunk;
        var scratch = ScratchBuffers.ForCurrentThread;
        float* stage = scratch.Tiles((long)Chunk * OcTile);
        long tileFloats = (long)taps * 8 * OcTile;
        for (int unit = unitStart; unit < unitEnd; unit++)
        {
            int ocTile = unit / chunks, chunk = unit - ocTile * chunks;
            int j0 = chunk * Chunk, count = Math.Min(Chunk, Positions - j0);
            float* tileWeights = weights + ocTile * tileFloats;
            int oc0 = ocTile * OcTile, rows = Math.Min(OcTile, g.OutChannels - oc0);
            if (prefetchOutput) output.Prefetch(oc0, rows, j0, count);
            // Positions past the chunk's end repeat its last one: computed, never stored.
            int last = j0 + count - 1;
            int* at = positionOffsets;
            for (int p = 0; p < count; p += PositionTile)
            {
                Tile(tileWeights, taps, tapOffsets,
                    image + at[j0 + p], image + at[Math.Min(j0 + p + 1, last)], image + at[Math.Min(j0 + p + 2, last)],
                    image + at[Math.Min(j0 + p + 3, last)], image + at[Math.Min(j0 + p + 4, last)], image + at[Math.Min(j0 + p + 5, last)],
                    stage + p * OcTile);
            }
            Finish(stage, OcTile, output, oc0, rows, j0, count);
        }
    }

    /// <summary>The row-tile form of <see cref="Compute"/>: a unit is one output-channel tile of a band of
    /// <see cref="rowsPerUnit"/> output rows (the last band may be shorter).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private void ComputeRows(float* image, in ConvOutput output, int unitStart, int unitEnd, bool prefetchOutput)
    {
        int width = g.OutWidth, bands = RowBands;
        var scratch = ScratchBuffers.ForCurrentThread;
        float* stage = scratch.Tiles((long)rowsPerUnit * width * OcTile);
        long tileFloats = (long)taps * 8 * OcTile;
        for (int unit = unitStart; unit < unitEnd; unit++)
        {
            int ocTile = unit / bands, band = unit - ocTile * bands;
            int row0 = band * rowsPerUnit, rowCount = Math.Min(rowsPerUnit, g.OutHeight - row0);
            int j0 = row0 * width, count = rowCount * width;
            float* tileWeights = weights + ocTile * tileFloats;
            int oc0 = ocTile * OcTile, rows = Math.Min(OcTile, g.OutChannels - oc0);
            if (prefetchOutput) output.Prefetch(oc0, rows, j0, count);
            for (int r = 0; r < rowCount; r++)
            {
                int rowStart = j0 + r * width;
                float* rowStage = stage + (long)r * width * OcTile;
                for (int t = 0; t < rowTiles; t++)
                {
                    int ow = Math.Min(t * rowPositions, width - rowPositions);
                    rowTile(tileWeights, taps, tapOffsets, image + positionOffsets[rowStart + ow], rowStage + ow * OcTile);
                }
            }
            Finish(stage, OcTile, output, oc0, rows, j0, count);
        }
    }

    /// <summary>
    /// Stores staged results, [position][<paramref name="stride"/> channels] for positions [j0, j0 + count), as output channels
    /// [oc0, oc0 + rows) of the NCHW output: y = act(acc + bias + residual). With AVX, eight positions × eight
    /// channels at a time are transposed in registers and finished there (output position j is NCHW offset j).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Finish(float* stage, int stride, in ConvOutput output, int oc0, int rows, int j0, int count)
    {
        var activation = output.Activation;
        if (!Avx.IsSupported || activation.Kind == ActivationKind.Tanh)
        {
            for (int r = 0; r < rows; r++)
            {
                int oc = oc0 + r;
                float bias = output.Bias == null ? 0f : output.Bias[oc];
                float* dst = output.Output + (long)oc * output.OutPlane + j0;
                float* residual = output.Residual == null ? null : output.Residual + (long)oc * output.OutPlane + j0;
                for (int p = 0; p < count; p++)
                    dst[p] = activation.Apply(stage[p * stride + r] + bias + (residual == null ? 0f : residual[p]));
            }
            return;
        }
        // The activation is a type parameter: one switch per call instead of one per finished vector.
        switch (activation.Kind)
        {
            case ActivationKind.None:
                FinishVectors(stage, stride, output, oc0, rows, j0, count, new EpilogueKernels.Identity256());
                break;
            case ActivationKind.Relu:
                FinishVectors(stage, stride, output, oc0, rows, j0, count, new EpilogueKernels.Relu256());
                break;
            default:
                FinishVectors(stage, stride, output, oc0, rows, j0, count, new EpilogueKernels.VectorActivation256(activation));
                break;
        }
    }

    /// <summary>The AVX part of <see cref="Finish"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void FinishVectors<TAct>(float* stage, int stride, in ConvOutput output, int oc0, int rows, int j0, int count, TAct act)
        where TAct : struct, EpilogueKernels.IVectorActivation256
    {
        float* tail = stackalloc float[8];
        float* ragged = stackalloc float[64];
        for (int half = 0; half * 8 < rows; half++)
        {
            for (int p = 0; p < count; p += 8)
            {
                float* s = stage + p * stride + half * 8;
                int n = Math.Min(8, count - p), channels = Math.Min(8, rows - half * 8);
                long rowStride = stride;
                if (n < 8)
                {
                    // A ragged last group: the stage holds only n more positions (a band of 7-wide rows ends 3 past a
                    // multiple of 8), so they are copied out rather than read as 8 rows past its end.
                    for (int i = 0; i < n; i++) Avx.LoadVector256(s + (long)i * stride).Store(ragged + i * 8);
                    for (int i = n; i < 8; i++) Vector256<float>.Zero.Store(ragged + i * 8);
                    s = ragged;
                    rowStride = 8;
                }
                Transpose(Avx.LoadVector256(s), Avx.LoadVector256(s + rowStride), Avx.LoadVector256(s + 2 * rowStride),
                    Avx.LoadVector256(s + 3 * rowStride), Avx.LoadVector256(s + 4 * rowStride), Avx.LoadVector256(s + 5 * rowStride),
                    Avx.LoadVector256(s + 6 * rowStride), Avx.LoadVector256(s + 7 * rowStride),
                    out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
                int oc = oc0 + half * 8;
                long at = (long)oc * output.OutPlane + j0 + p;
                FinishChannel(output, act, c0, oc, at, n, tail);
                if (channels > 1) FinishChannel(output, act, c1, oc + 1, at + output.OutPlane, n, tail);
                if (channels > 2) FinishChannel(output, act, c2, oc + 2, at + 2L * output.OutPlane, n, tail);
                if (channels > 3) FinishChannel(output, act, c3, oc + 3, at + 3L * output.OutPlane, n, tail);
                if (channels > 4) FinishChannel(output, act, c4, oc + 4, at + 4L * output.OutPlane, n, tail);
                if (channels > 5) FinishChannel(output, act, c5, oc + 5, at + 5L * output.OutPlane, n, tail);
                if (channels > 6) FinishChannel(output, act, c6, oc + 6, at + 6L * output.OutPlane, n, tail);
                if (channels > 7) FinishChannel(output, act, c7, oc + 7, at + 7L * output.OutPlane, n, tail);
            }
        }
    }

    /// <summary>Eight (or the first <paramref name="n"/>) positions of one channel: bias, residual, activation, store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishChannel<TAct>(in ConvOutput output, TAct act, Vector256<float> x, int oc, long at, int n, float* tail)
        where TAct : struct, EpilogueKernels.IVectorActivation256
    {
        if (output.Bias != null) x += Vector256.Create(output.Bias[oc]);
        if (n == 8)
        {
            if (output.Residual != null) x += Vector256.Load(output.Residual + at);
            act.Apply(x).Store(output.Output + at);
            return;
        }
        if (output.Residual != null)
        {
            for (int i = 0; i < n; i++) tail[i] = output.Residual[at + i];
            x += Vector256.Load(tail);
        }
        act.Apply(x).Store(tail);
        for (int i = 0; i < n; i++) output.Output[at + i] = tail[i];
    }

    /// <summary>
    /// One chunk tile (AVX2): out[p][0..16) = Σ_tap Σ_c w[tap][c][0..16) · x_p[tapOffset[tap] + c] for the six
    /// positions x_0..x_5, written to <paramref name="stage"/> as six rows of 16 floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* w, int taps, int* tapOffsets, float* x0, float* x1, float* x2, float* x3,
        float* x4, float* x5, float* stage)
    {
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector256<float> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        for (int t = 0; t < taps; t++)
        {
            // The six positions share the tap's offset; the 8 channels of its block are unrolled (a loop of 8 ran
            // at ~0.8x: its exit branch and counter cost issue slots the FMAs need; a loop of 4 two-channel steps
            // measured 0.96-1.00x of this in paired resnet20/56 runs, so the repetition stays).
            nint o = tapOffsets[t];
            var w0 = Vector256.Load(w + 0);
            var w1 = Vector256.Load(w + 8);
            var b = Vector256.Create(x0[o + 0]); a00 = Vector256.FusedMultiplyAdd(w0, b, a00); a01 = Vector256.FusedMultiplyAdd(w1, b, a01);
            b = Vector256.Create(x1[o + 0]); a10 = Vector256.FusedMultiplyAdd(w0, b, a10); a11 = Vector256.FusedMultiplyAdd(w1, b, a11);
            b = Vector256.Create(x2[o + 0]); a20 = Vector256.FusedMultiplyAdd(w0, b, a20); a21 = Vector256.FusedMultiplyAdd(w1, b, a21);
            b = Vector256.Create(x3[o + 0]); a30 = Vector256.FusedMultiplyAdd(w0, b, a30); a31 = Vector256.FusedMultiplyAdd(w1, b, a31);
            b = Vector256.Create(x4[o + 0]); a40 = Vector256.FusedMultiplyAdd(w0, b, a40); a41 = Vector256.FusedMultiplyAdd(w1, b, a41);
            b = Vector256.Create(x5[o + 0]); a50 = Vector256.FusedMultiplyAdd(w0, b, a50); a51 = Vector256.FusedMultiplyAdd(w1, b, a51);
            w0 = Vector256.Load(w + 16);
            w1 = Vector256.Load(w + 24);
            b = Vector256.Create(x0[o + 1]); a00 = Vector256.FusedMultiplyAdd(w0, b, a00); a01 = Vector256.FusedMultiplyAdd(w1, b, a01);
            b = Vector256.Create(x1[o + 1]); a10 = Vector256.FusedMultiplyAdd(w0, b, a10); a11 = Vector256.FusedMultiplyAdd(w1, b, a11);
            b = Vector256.Create(x2[o + 1]); a20 = Vector256.FusedMultiplyAdd(w0, b, a20); a21 = Vector256.FusedMultiplyAdd(w1, b, a21);
            b = Vector256.Create(x3[o + 1]); a30 = Vector256.FusedMultiplyAdd(w0, b, a30); a31 = Vector256.FusedMultiplyAdd(w1, b, a31);
            b = Vector256.Create(x4[o + 1]); a40 = Vector256.FusedMultiplyAdd(w0, b, a40); a41 = Vector256.FusedMultiplyAdd(w1, b, a41);
            b = Vector256.Create(x5[o + 1]); a50 = Vector256.FusedMultiplyAdd(w0, b, a50); a51 = Vector256.FusedMultiplyAdd(w1, b, a51);
            w0 = Vector256.Load(w + 32);
            w1 = Vector256.Load(w + 40);
            b = Vector256.Create(x0[o + 2]); a00 = Vector256.FusedMultiplyAdd(w0, b, a00); a01 = Vector256.FusedMultiplyAdd(w1, b, a01);
            b = Vector256.Create(x1[o + 2]); a10 = Vector256.FusedMultiplyAdd(w0, b, a10); a11 = Vector256.FusedMultiplyAdd(w1, b, a11);
            b = Vector256.Create(x2[o + 2]); a20 = Vector256.FusedMultiplyAdd(w0, b, a20); a21 = Vector256.FusedMultiplyAdd(w1, b, a21);
            b = Vector256.Create(x3[o + 2]); a30 = Vector256.FusedMultiplyAdd(w0, b, a30); a31 = Vector256.FusedMultiplyAdd(w1, b, a31);
            b = Vector256.Create(x4[o + 2]); a40 = Vector256.FusedMultiplyAdd(w0, b, a40); a41 = Vector256.FusedMultiplyAdd(w1, b, a41);
            b = Vector256.Create(x5[o + 2]); a50 = Vector256.FusedMultiplyAdd(w0, b, a50); a51 = Vector256.FusedMultiplyAdd(w1, b, a51);
            w0 = Vector256.Load(w + 48);
            w1 = Vector256.Load(w + 56);
            b = Vector256.Create(x0[o + 3]); a00 = Vector256.FusedMultiplyAdd(w0, b, a00); a01 = Vector256.FusedMultiplyAdd(w1, b, a01);
            b = Vector256.Create(x1[o + 3]); a10 = Vector256.FusedMultiplyAdd(w0, b, a10); a11 = Vector256.FusedMultiplyAdd(w1, b, a11);
            b = Vector256.Create(x2[o + 3]); a20 = Vector256.FusedMultiplyAdd(w0, b, a20); a21 = Vector256.FusedMultiplyAdd(w1, b, a21);
            b = Vector256.Create(x3[o + 3]); a30 = Vector256.FusedMultiplyAdd(w0, b, a30); a31 = Vector256.FusedMultiplyAdd(w1, b, a31);
            b = Vector256.Create(x4[o + 3]); a40 = Vector256.FusedMultiplyAdd(w0, b, a40); a41 = Vector256.FusedMultiplyAdd(w1, b, a41);
            b = Vector256.Create(x5[o + 3]); a50 = Vector256.FusedMultiplyAdd(w0, b, a50); a51 = Vector256.FusedMultiplyAdd(w1, b, a51);
            w0 = Vector256.Load(w + 64);
            w1 = Vector256.Load(w + 72);
            b = Vector256.Create(x0[o + 4]); a00 = Vector256.FusedMultiplyAdd(w0, b, a00); a01 = Vector256.FusedMultiplyAdd(w1, b, a01);
            b = Vector256.Create(x1[o + 4]); a10 = Vector256.FusedMultiplyAdd(w0, b, a10); a11 = Vector256.FusedMultiplyAdd(w1, b, a11);
            b = Vector256.Create(x2[o + 4]); a20 = Vector256.FusedMultiplyAdd(w0, b, a20); a21 = Vector256.FusedMultiplyAdd(w1, b, a21);
            b = Vector256.Create(x3[o + 4]); a30 = Vector256.FusedMultiplyAdd(w0, b, a30); a31 = Vector256.FusedMultiplyAdd(w1, b, a31);
            b = Vector256.Create(x4[o + 4]); a40 = Vector256.FusedMultiplyAdd(w0, b, a40); a41 = Vector256.FusedMultiplyAdd(w1, b, a41);
            b = Vector256.Create(x5[o + 4]); a50 = Vector256.FusedMultiplyAdd(w0, b, a50); a51 = Vector256.FusedMultiplyAdd(w1, b, a51);
            w0 = Vector256.Load(w + 80);
            w1 = Vector256.Load(w + 88);
            b = Vector256.Create(x0[o + 5]); a00 = Vector256.FusedMultiplyAdd(w0, b, a00); a01 = Vector256.FusedMultiplyAdd(w1, b, a01);
            b = Vector256.Create(x1[o + 5]); a10 = Vector256.FusedMultiplyAdd(w0, b, a10); a11 = Vector256.FusedMultiplyAdd(w1, b, a11);
            b = Vector256.Create(x2[o + 5]); a20 = Vector256.FusedMultiplyAdd(w0, b, a20); a21 = Vector256.FusedMultiplyAdd(w1, b, a21);
            b = Vector256.Create(x3[o + 5]); a30 = Vector256.FusedMultiplyAdd(w0, b, a30); a31 = Vector256.FusedMultiplyAdd(w1, b, a31);
            b = Vector256.Create(x4[o + 5]); a40 = Vector256.FusedMultiplyAdd(w0, b, a40); a41 = Vector256.FusedMultiplyAdd(w1, b, a41);
            b = Vector256.Create(x5[o + 5]); a50 = Vector256.FusedMultiplyAdd(w0, b, a50); a51 = Vector256.FusedMultiplyAdd(w1, b, a51);
            w0 = Vector256.Load(w + 96);
            w1 = Vector256.Load(w + 104);
            b = Vector256.Create(x0[o + 6]); a00 = Vector256.FusedMultiplyAdd(w0, b, a00); a01 = Vector256.FusedMultiplyAdd(w1, b, a01);
            b = Vector256.Create(x1[o + 6]); a10 = Vector256.FusedMultiplyAdd(w0, b, a10); a11 = Vector256.FusedMultiplyAdd(w1, b, a11);
            b = Vector256.Create(x2[o + 6]); a20 = Vector256.FusedMultiplyAdd(w0, b, a20); a21 = Vector256.FusedMultiplyAdd(w1, b, a21);
            b = Vector256.Create(x3[o + 6]); a30 = Vector256.FusedMultiplyAdd(w0, b, a30); a31 = Vector256.FusedMultiplyAdd(w1, b, a31);
            b = Vector256.Create(x4[o + 6]); a40 = Vector256.FusedMultiplyAdd(w0, b, a40); a41 = Vector256.FusedMultiplyAdd(w1, b, a41);
            b = Vector256.Create(x5[o + 6]); a50 = Vector256.FusedMultiplyAdd(w0, b, a50); a51 = Vector256.FusedMultiplyAdd(w1, b, a51);
            w0 = Vector256.Load(w + 112);
            w1 = Vector256.Load(w + 120);
            b = Vector256.Create(x0[o + 7]); a00 = Vector256.FusedMultiplyAdd(w0, b, a00); a01 = Vector256.FusedMultiplyAdd(w1, b, a01);
            b = Vector256.Create(x1[o + 7]); a10 = Vector256.FusedMultiplyAdd(w0, b, a10); a11 = Vector256.FusedMultiplyAdd(w1, b, a11);
            b = Vector256.Create(x2[o + 7]); a20 = Vector256.FusedMultiplyAdd(w0, b, a20); a21 = Vector256.FusedMultiplyAdd(w1, b, a21);
            b = Vector256.Create(x3[o + 7]); a30 = Vector256.FusedMultiplyAdd(w0, b, a30); a31 = Vector256.FusedMultiplyAdd(w1, b, a31);
            b = Vector256.Create(x4[o + 7]); a40 = Vector256.FusedMultiplyAdd(w0, b, a40); a41 = Vector256.FusedMultiplyAdd(w1, b, a41);
            b = Vector256.Create(x5[o + 7]); a50 = Vector256.FusedMultiplyAdd(w0, b, a50); a51 = Vector256.FusedMultiplyAdd(w1, b, a51);
            w += 8 * 16;
        }
        a00.Store(stage);
        a01.Store(stage + 8);
        a10.Store(stage + 16);
        a11.Store(stage + 24);
        a20.Store(stage + 32);
        a21.Store(stage + 40);
        a30.Store(stage + 48);
        a31.Store(stage + 56);
        a40.Store(stage + 64);
        a41.Store(stage + 72);
        a50.Store(stage + 80);
        a51.Store(stage + 88);
    }

    /// <summary>dst[c·dstStride + r] = src[r·srcStride + c] for an 8×8 block (src and dst may be the same block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(float* src, long srcStride, float* dst, long dstStride)
    {
        if (!Avx.IsSupported)
        {
            float* copy = stackalloc float[64];
            for (int r = 0; r < 8; r++)
                for (int c = 0; c < 8; c++)
                    copy[c * 8 + r] = src[r * srcStride + c];
            for (int c = 0; c < 8; c++)
                new ReadOnlySpan<float>(copy + c * 8, 8).CopyTo(new Span<float>(dst + c * dstStride, 8));
            return;
        }
        Transpose(Avx.LoadVector256(src), Avx.LoadVector256(src + srcStride), Avx.LoadVector256(src + 2 * srcStride),
            Avx.LoadVector256(src + 3 * srcStride), Avx.LoadVector256(src + 4 * srcStride), Avx.LoadVector256(src + 5 * srcStride),
            Avx.LoadVector256(src + 6 * srcStride), Avx.LoadVector256(src + 7 * srcStride),
            out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
        Avx.Store(dst, c0);
        Avx.Store(dst + dstStride, c1);
        Avx.Store(dst + 2 * dstStride, c2);
        Avx.Store(dst + 3 * dstStride, c3);
        Avx.Store(dst + 4 * dstStride, c4);
        Avx.Store(dst + 5 * dstStride, c5);
        Avx.Store(dst + 6 * dstStride, c6);
        Avx.Store(dst + 7 * dstStride, c7);
    }

    /// <summary>Columns of the 8×8 matrix whose rows are r0..r7 (AVX: unpack, shuffle, then swap 128-bit halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7,
        out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3,
        out Vector256<float> c4, out Vector256<float> c5, out Vector256<float> c6, out Vector256<float> c7)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        c0 = Avx.Permute2x128(u0, u4, 0x20);
        c1 = Avx.Permute2x128(u1, u5, 0x20);
        c2 = Avx.Permute2x128(u2, u6, 0x20);
        c3 = Avx.Permute2x128(u3, u7, 0x20);
        c4 = Avx.Permute2x128(u0, u4, 0x31);
        c5 = Avx.Permute2x128(u1, u5, 0x31);
        c6 = Avx.Permute2x128(u2, u6, 0x31);
        c7 = Avx.Permute2x128(u3, u7, 0x31);
    }
}
