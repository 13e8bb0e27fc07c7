using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Elide.Kernels;

/// <summary>
/// The input of one image rearranged so every convolution tap reads a contiguous run: zero padding is made
/// explicit and a stride-s axis is split into s phases (the space-to-depth identity
/// x[s·o + d·k] = phase[(d·k) mod s][o + ⌊d·k / s⌋]).
/// </summary>
/// <remarks>
/// Layout: [phase][channel][Hq][Wq] with Hq = OutHeight + ⌊d_h(KH − 1)/s_h⌋ and Wq = OutWidth + ⌊d_w(KW − 1)/s_w⌋.
/// Output (oh, ow) is computed at flat index j = oh·Wq + ow, so tap (c, kh, kw) of every output is the float at
/// <see cref="TapOffsets"/>[tap] + j: a convolution becomes a GEMM whose B rows are contiguous slices of this
/// image, read in place (no im2col copy). Columns ow ≥ OutWidth are computed and thrown away; that waste is
/// (Wq − OutWidth)/Wq, 2/30 for a 28-wide 3×3 pad-1 layer. Only the phases some tap uses are stored (one for
/// 1×1 stride 2). The image ends with slack so the last NR-wide tile may read past the end harmlessly.
/// </remarks>
internal sealed unsafe class PhaseImage
{
    private readonly Conv2dGeometry g;
    private readonly int[] phaseOfTap;     // phase slot of (kh, kw), row-major
    private readonly int[] phaseY, phaseX; // (py, px) of each stored phase
    private readonly int[] offsetStorage;
    private readonly ulong[] validRunStorage;

    public PhaseImage(in Conv2dGeometry geometry, int tileWidth)
    {
        g = geometry;
        int sh = g.StrideHeight, sw = g.StrideWidth, dh = g.DilationHeight, dw = g.DilationWidth;
        Hq = g.OutHeight + dh * (g.KernelHeight - 1) / sh;
        Wq = g.OutWidth + dw * (g.KernelWidth - 1) / sw;
        ChannelStride = Hq * Wq;
        PhaseStride = (long)g.InChannels * ChannelStride;

        int taps = g.KernelHeight * g.KernelWidth;
        phaseOfTap = new int[taps];
        var slotOf = new int[sh * sw];
        Array.Fill(slotOf, -1);
        var ys = new List<int>();
        var xs = new List<int>();
        for (int kh = 0; kh < g.KernelHeight; kh++)
        {
            for (int kw = 0; kw < g.KernelWidth; kw++)
            {
                int py = kh * dh % sh, px = kw * dw % sw;
                if (slotOf[py * sw + px] < 0)
                {
                    slotOf[py * sw + px] = ys.Count;
                    ys.Add(py);
                    xs.Add(px);
                }
                phaseOfTap[kh * g.KernelWidth + kw] = slotOf[py * sw + px];
            }
        }
        phaseY = ys.ToArray();
        phaseX = xs.ToArray();

        // Offsets of the taps of one group: (c, kh, kw) for c < InChannels / Groups, the GEMM's K order.
        int groupChannels = g.InChannels / g.Groups;
        TapCount = groupChannels * taps;
        offsetStorage = GC.AllocateArray<int>(Math.Max(TapCount, 1), pinned: true);
        TapOffsets = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(offsetStorage));
        long maxOffset = 0;
        for (int c = 0; c < groupChannels; c++)
        {
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int kw = 0; kw < g.KernelWidth; kw++)
                {
                    long offset = phaseOfTap[kh * g.KernelWidth + kw] * PhaseStride + (long)c * ChannelStride
                        + (long)(kh * dh / sh) * Wq + kw * dw / sw;
                    offsetStorage[(c * g.KernelHeight + kh) * g.KernelWidth + kw] = checked((int)offset);
                    maxOffset = Math.Max(maxOffset, offset);
                }
            }
        }
        FlatLength = g.OutHeight * Wq;
        validRunStorage = GC.AllocateArray<ulong>(Wq, pinned: true);
        for (int start = 0; start < Wq; start++)
            for (int lane = 0; lane < 64; lane++)
                if ((start + lane) % Wq < g.OutWidth) validRunStorage[start] |= 1UL << lane;
        ValidRuns = (ulong*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(validRunStorage));
        long lastGroupBase = (long)(g.Groups - 1) * groupChannels * ChannelStride;
        long lastRead = lastGroupBase + maxOffset + GemmTiling.RoundUp(FlatLength, tileWidth);
        StoredFloats = phaseY.Length * PhaseStride;
        // Row-wise readers may start a 64-wide run at any column of the last row: up to 63 floats past FlatLength.
        ImageFloats = Math.Max(StoredFloats, lastRead + 64) + 16;
    }

    /// <summary>Rows per channel of one phase.</summary>
    public int Hq { get; }

    /// <summary>Columns per row of one phase; also the row pitch of the flat output index.</summary>
    public int Wq { get; }

    /// <summary>Hq · Wq.</summary>
    public int ChannelStride { get; }

    /// <summary>Floats per stored phase: InChannels · Hq · Wq.</summary>
    public long PhaseStride { get; }

    /// <summary>Flat output positions per channel: OutHeight · Wq.</summary>
    public int FlatLength { get; }

    /// <summary>Taps of one group: (InChannels / Groups) · KernelHeight · KernelWidth.</summary>
    public int TapCount { get; }

    /// <summary>For tap (c, kh, kw) of a group, its float offset from the group's first channel.</summary>
    public int* TapOffsets { get; }

    /// <summary>For a run of 64 flat positions starting at column c (0 ≤ c &lt; Wq), entry c has bit l set when
    /// position l of the run is a real output column, i.e. (c + l) mod Wq &lt; OutWidth.</summary>
    public ulong* ValidRuns { get; }

    /// <summary>Floats written by <see cref="Build"/>.</summary>
    public long StoredFloats { get; }

    /// <summary>Floats one image needs in the workspace, slack included.</summary>
    public long ImageFloats { get; }

    /// <summary>Offset of channel <paramref name="c"/> of phase slot 0.</summary>
    public long ChannelBase(int c) => (long)c * ChannelStride;

    /// <summary>Writes channels [channelStart, channelEnd) of every stored phase of one image (and, for the last
    /// range, zeroes the slack).</summary>
    /// <param name="input">One image, InChannels × InHeight × InWidth.</param>
    /// <param name="image">The image's workspace slot, <see cref="ImageFloats"/> long.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Build(float* input, float* image, int channelStart, int channelEnd)
    {
        int h = g.InHeight, w = g.InWidth, sh = g.StrideHeight, sw = g.StrideWidth;
        // Channel-major, so the phases that share source rows find them in L1/L2 rather than memory.
        for (int c = channelStart; c < channelEnd; c++)
        {
            float* srcChannel = input + (long)c * h * w;
            for (int phase = 0; phase < phaseY.Length; phase++)
            {
                int py = phaseY[phase], px = phaseX[phase];
                // Columns j whose source column j·sw + px − PadLeft lies inside the image.
                int jLo = Math.Min(Wq, Math.Max(0, CeilDiv(g.PadLeft - px, sw)));
                int jHi = Math.Clamp(CeilDiv(w + g.PadLeft - px, sw), jLo, Wq);
                int srcCol0 = jLo * sw + px - g.PadLeft;
                float* dstChannel = image + phase * PhaseStride + (long)c * ChannelStride;
                for (int i = 0; i < Hq; i++)
                {
                    float* dst = dstChannel + (long)i * Wq;
                    int srcRow = i * sh + py - g.PadTop;
                    if (srcRow < 0 || srcRow >= h)
                    {
                        new Span<float>(dst, Wq).Clear();
                        continue;
                    }
                    float* src = srcChannel + (long)srcRow * w + srcCol0;
                    for (int j = 0; j < jLo; j++) dst[j] = 0f;
                    if (sw == 1)
                        new ReadOnlySpan<float>(src, jHi - jLo).CopyTo(new Span<float>(dst + jLo, jHi - jLo));
                    else
                        GatherStrided(src, srcChannel + (long)(srcRow + 1) * w, sw, dst + jLo, jHi - jLo);
                    for (int j = jHi; j < Wq; j++) dst[j] = 0f;
                }
            }
        }
        if (channelEnd == g.InChannels)
            new Span<float>(image + StoredFloats, checked((int)(ImageFloats - StoredFloats))).Clear();
    }

    /// <summary>dst[j] = src[j·stride] for j &lt; count, never reading at or past <paramref name="srcEnd"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherStrided(float* src, float* srcEnd, int stride, float* dst, int count)
    {
        int j = 0;
        if (stride == 2 && Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            // Even lanes of 32 consecutive floats: one two-source permute per 16 outputs; masked at the row end.
            var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            for (; j < count; j += 16)
            {
                float* s = src + 2 * j;
                long available = srcEnd - s;
                if (available >= 32)
                {
                    var lanes = Avx512F.PermuteVar16x32x2(Vector512.Load(s), evens, Vector512.Load(s + 16));
                    if (count - j >= 16)
                    {
                        lanes.Store(dst + j);
                        continue;
                    }
                    Avx512F.MaskStore(dst + j, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count - j)).AsSingle(), lanes);
                    continue;
                }
                int have = (int)available;
                var low = Avx512F.MaskLoad(s, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(have)).AsSingle(), Vector512<float>.Zero);
                var high = Avx512F.MaskLoad(s + 16, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(have - 16)).AsSingle(), Vector512<float>.Zero);
                var result = Avx512F.PermuteVar16x32x2(low, evens, high);
                Avx512F.MaskStore(dst + j, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(Math.Min(16, count - j))).AsSingle(), result);
            }
            return;
        }
        for (; j < count; j++) dst[j] = src[(long)j * stride];
    }

    private static int CeilDiv(int a, int b) => a <= 0 ? -(-a / b) : (a + b - 1) / b;
}
