using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        long lastGroupBase = (long)(g.Groups - 1) * groupChannels * ChannelStride;
        long lastRead = lastGroupBase + maxOffset + GemmTiling.RoundUp(FlatLength, tileWidth);
        StoredFloats = phaseY.Length * PhaseStride;
        ImageFloats = Math.Max(StoredFloats, lastRead) + 16;
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
        for (int phase = 0; phase < phaseY.Length; phase++)
        {
            int py = phaseY[phase], px = phaseX[phase];
            // Columns j whose source column j·sw + px − PadLeft lies inside the image.
            int jLo = Math.Min(Wq, Math.Max(0, CeilDiv(g.PadLeft - px, sw)));
            int jHi = Math.Clamp(CeilDiv(w + g.PadLeft - px, sw), jLo, Wq);
            int srcCol0 = jLo * sw + px - g.PadLeft;
            for (int c = channelStart; c < channelEnd; c++)
            {
                float* dstChannel = image + phase * PhaseStride + (long)c * ChannelStride;
                float* srcChannel = input + (long)c * h * w;
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
                        for (int j = jLo; j < jHi; j++) dst[j] = src[(j - jLo) * sw];
                    for (int j = jHi; j < Wq; j++) dst[j] = 0f;
                }
            }
        }
        if (channelEnd == g.InChannels)
            new Span<float>(image + StoredFloats, checked((int)(ImageFloats - StoredFloats))).Clear();
    }

    private static int CeilDiv(int a, int b) => a <= 0 ? -(-a / b) : (a + b - 1) / b;
}
