using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.InteropServices;

namespace Elide.Kernels;

/// <summary>
/// Where one image's convolution results go, and the fused output stage on the way:
/// y[oc, oh, ow] = act(acc + bias[oc] + residual[oc, oh, ow]).
/// </summary>
/// <remarks>Results arrive in the flat layout of <see cref="PhaseImage"/> (index oh·Wq + ow); columns ow ≥ OutWidth
/// are padding and are dropped here.</remarks>
internal readonly unsafe struct ConvOutput
{
    public readonly float* Output;    // this image's first output float
    public readonly float* Residual;  // this image's first residual float, or null
    public readonly float* Bias;      // OutChannels floats, or null
    public readonly int OutWidth, OutPlane, Wq;
    public readonly Activation Activation;
    public readonly ulong* ValidRuns; // PhaseImage.ValidRuns

    public ConvOutput(float* output, float* residual, float* bias, int outWidth, int outPlane, int wq, ulong* validRuns,
        Activation activation)
    {
        ValidRuns = validRuns;
        Output = output;
        Residual = residual;
        Bias = bias;
        OutWidth = outWidth;
        OutPlane = outPlane;
        Wq = wq;
        Activation = activation;
    }

    /// <summary>Stores flat positions [j0, j0 + count) of channels [oc0, oc0 + rows); row r of the source starts
    /// at src + r·srcStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void StoreFlat(float* src, int srcStride, int oc0, int rows, int j0, int count)
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Activation.Kind != ActivationKind.Tanh
            && Wq != OutWidth && count <= MaxCompactLanes)
        {
            StoreFlatCompacting(src, srcStride, oc0, rows, j0, count);
            return;
        }
        if (!Vector512.IsHardwareAccelerated && Avx2.IsSupported && Activation.Kind != ActivationKind.Tanh
            && Wq != OutWidth && count <= MaxCompactLanes && Residual != Output)
        {
            StoreFlatCompacting256(src, srcStride, oc0, rows, j0, count);
            return;
        }
        int oh0 = j0 / Wq, ow0 = j0 - oh0 * Wq;
        for (int r = 0; r < rows; r++)
        {
            int oc = oc0 + r;
            float bias = Bias == null ? 0f : Bias[oc];
            float* dstPlane = Output + (long)oc * OutPlane;
            float* resPlane = Residual == null ? null : Residual + (long)oc * OutPlane;
            float* source = src + (long)r * srcStride;
            if (Wq == OutWidth)
            {
                // No padding columns: the flat index is the output index.
                EpilogueKernels.Apply(dstPlane + j0, source, count, bias, resPlane == null ? null : resPlane + j0, Activation);
                continue;
            }
            int j = j0, end = j0 + count, oh = oh0, ow = ow0;
            while (j < end)
            {
                if (ow < OutWidth)
                {
                    int length = Math.Min(OutWidth - ow, end - j);
                    long at = (long)oh * OutWidth + ow;
                    EpilogueKernels.Apply(dstPlane + at, source + (j - j0), length, bias,
                        resPlane == null ? null : resPlane + at, Activation);
                }
                j += Wq - ow;
                oh++;
                ow = 0;
            }
        }
    }

    /// <summary>
    /// Starts fetching the output and residual lines that <see cref="StoreFlat"/> will touch for flat positions
    /// [j0, j0 + count) of channels [oc0, oc0 + rows). Called before a tile is computed so that, at batch sizes
    /// whose tensors live in L3, the store finds its lines in L1 instead of waiting for them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int oc0, int rows, int j0, int count)
    {
        if (!Sse.IsSupported) return;
        int first = j0 / Wq * OutWidth + Math.Min(j0 % Wq, OutWidth);
        int lastFlat = j0 + count - 1;
        int last = lastFlat / Wq * OutWidth + Math.Min(lastFlat % Wq, OutWidth - 1);
        for (int r = 0; r < rows; r++)
        {
            long plane = (long)(oc0 + r) * OutPlane;
            for (long at = plane + first; at <= plane + last; at += 16)
            {
                Sse.Prefetch0(Output + at);
                if (Residual != null) Sse.Prefetch0(Residual + at);
            }
            Sse.Prefetch0(Output + plane + last);
            if (Residual != null) Sse.Prefetch0(Residual + plane + last);
        }
    }

    /// <summary>Widest run <see cref="StoreFlatCompacting"/> handles: four zmm vectors.</summary>
    private const int MaxCompactLanes = 64;

    /// <summary>
    /// AVX-512 form of <see cref="StoreFlat"/>: dropping the padding columns from a run of flat positions leaves
    /// consecutive output positions, so each 16-lane group is finished in registers (bias, residual expanded into
    /// the valid lanes, activation), compressed to its valid lanes and stored with one masked store. Narrow layers
    /// (7- or 14-wide) otherwise spend more time splitting tiles into row segments than computing them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private void StoreFlatCompacting(float* src, int srcStride, int oc0, int rows, int j0, int count)
    {
        // Bit l of valid: flat position j0 + l is a real output (column < OutWidth).
        int oh0 = j0 / Wq, ow0 = j0 - oh0 * Wq;
        ulong valid = ValidRuns[ow0] & (count == 64 ? ulong.MaxValue : (1UL << count) - 1);
        int outStart = oh0 * OutWidth + Math.Min(ow0, OutWidth);
        int groups = (count + 15) / 16;
        Vector512<float>* laneMasks = stackalloc Vector512<float>[4];
        Vector512<float>* headMasks = stackalloc Vector512<float>[4];
        int* pops = stackalloc int[4];
        var laneBits = Vector512.Create(1u, 2u, 4u, 8u, 16u, 32u, 64u, 128u, 256u, 512u, 1024u, 2048u, 4096u, 8192u, 16384u, 32768u);
        for (int group = 0; group < groups; group++)
        {
            uint bits = (uint)(valid >> (16 * group)) & 0xFFFF;
            laneMasks[group] = Vector512.Equals(Vector512.Create(bits) & laneBits, laneBits).AsSingle();
            pops[group] = BitOperations.PopCount(bits);
            headMasks[group] = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(pops[group])).AsSingle();
        }
        var activation = new EpilogueKernels.VectorActivation512(Activation);
        for (int r = 0; r < rows; r++)
        {
            int oc = oc0 + r;
            var bias = Vector512.Create(Bias == null ? 0f : Bias[oc]);
            float* dst = Output + (long)oc * OutPlane + outStart;
            float* residual = Residual == null ? null : Residual + (long)oc * OutPlane + outStart;
            float* source = src + (long)r * srcStride;
            int at = 0;
            for (int group = 0; group < groups; group++)
            {
                if (pops[group] == 0) continue;
                var x = Vector512.Load(source + 16 * group) + bias;
                if (residual != null)
                    x += Avx512F.Expand(Vector512<float>.Zero, laneMasks[group],
                        Avx512F.MaskLoad(residual + at, headMasks[group], Vector512<float>.Zero));
                x = activation.Apply(x);
                Avx512F.MaskStore(dst + at, headMasks[group], Avx512F.Compress(Vector512<float>.Zero, laneMasks[group], x));
                at += pops[group];
            }
        }
    }

    /// <summary>
    /// AVX2 form of <see cref="StoreFlatCompacting"/>. AVX2 has no compress, so each 8-lane group is left-packed
    /// with one <c>vpermps</c> by a table indexed by its valid-lane bits, then finished in the packed domain (bias,
    /// the residual's next <c>pop</c> values, activation). A group's store writes all 8 lanes when the tile's valid
    /// outputs still ahead of it cover those lanes (the later groups overwrite the surplus with their values);
    /// only groups near the end of the run need <c>vmaskmovps</c>, which is slow on AMD. Requires the residual not to
    /// alias the output (a surplus lane would clobber residual values still to be read).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private void StoreFlatCompacting256(float* src, int srcStride, int oc0, int rows, int j0, int count)
    {
        int oh0 = j0 / Wq, ow0 = j0 - oh0 * Wq;
        ulong valid = ValidRuns[ow0] & (count == 64 ? ulong.MaxValue : (1UL << count) - 1);
        int outStart = oh0 * OutWidth + Math.Min(ow0, OutWidth);
        int groups = (count + 7) / 8;
        Vector256<int>* perms = stackalloc Vector256<int>[8];
        Vector256<float>* heads = stackalloc Vector256<float>[8];
        int* pops = stackalloc int[8];
        bool* full = stackalloc bool[8];
        int remaining = BitOperations.PopCount(valid);
        ref int table = ref MemoryMarshal.GetArrayDataReference(LeftPack);
        for (int group = 0; group < groups; group++)
        {
            int bits = (int)(valid >> (8 * group)) & 0xFF;
            perms[group] = Vector256.LoadUnsafe(ref table, (nuint)(bits * 8));
            pops[group] = BitOperations.PopCount((uint)bits);
            heads[group] = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(pops[group])).AsSingle();
            full[group] = remaining >= 8; // this group's 8 lanes stay inside the run's valid outputs
            remaining -= pops[group];
        }
        var activation = new EpilogueKernels.VectorActivation256(Activation);
        for (int r = 0; r < rows; r++)
        {
            int oc = oc0 + r;
            var bias = Vector256.Create(Bias == null ? 0f : Bias[oc]);
            float* dst = Output + (long)oc * OutPlane + outStart;
            float* residual = Residual == null ? null : Residual + (long)oc * OutPlane + outStart;
            float* source = src + (long)r * srcStride;
            int at = 0;
            for (int group = 0; group < groups; group++)
            {
                if (pops[group] == 0) continue;
                var x = Avx2.PermuteVar8x32(Vector256.Load(source + 8 * group), perms[group]) + bias;
                if (residual != null) x += Avx.MaskLoad(residual + at, heads[group]);
                x = activation.Apply(x);
                if (full[group]) x.Store(dst + at);
                else Avx.MaskStore(dst + at, heads[group], x);
                at += pops[group];
            }
        }
    }

    /// <summary>Left-pack permutations: entry b (8 ints) lists the set bits of b in increasing order, then zeros.</summary>
    private static readonly int[] LeftPack = BuildLeftPack();

    private static int[] BuildLeftPack()
    {
        var table = new int[256 * 8];
        for (int bits = 0; bits < 256; bits++)
        {
            int k = 0;
            for (int lane = 0; lane < 8; lane++)
                if ((bits & (1 << lane)) != 0) table[bits * 8 + k++] = lane;
        }
        return table;
    }
}
