using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Elide.Kernels;

/// <summary>
/// Depthwise convolution (Groups = InChannels = OutChannels): each channel is filtered by its own KH×KW kernel.
/// A GEMM would have one row per group, so this runs directly: for a chunk of <see cref="Chunk"/> flat output
/// positions, acc[j] = Σ_taps w[tap] · image[offset(tap) + j], vectorized over j (the taps of a
/// <see cref="PhaseImage"/> are contiguous in j for any stride and dilation).
/// Each channel's padded phase planes are built just before use in a per-thread buffer that stays in L2; the
/// layer is memory-bound, and a whole-image phase copy would add a write and a read of the input's size.
/// </summary>
internal static unsafe class DepthwiseConvolution
{
    /// <summary>Flat positions computed per step: four zmm accumulators.</summary>
    public const int Chunk = 64;

    /// <summary>Computes channels [channelStart, channelEnd) of one image.</summary>
    /// <param name="weights">[Channels][KH·KW] filter taps.</param>
    /// <param name="channelLayout">Phase layout of a single channel.</param>
    /// <param name="input">The image, Channels × InHeight × InWidth.</param>
    /// <param name="inputPlane">InHeight · InWidth.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(float* weights, PhaseImage channelLayout, float* input, int inputPlane,
        in ConvOutput output, int channelStart, int channelEnd)
    {
        float* planes = ScratchBuffers.ForCurrentThread.PackB(channelLayout.ImageFloats);
        bool rows = Vector512.IsHardwareAccelerated && Avx512F.IsSupported && output.OutWidth >= 16
            && output.Activation.Kind != ActivationKind.Tanh;
        for (int c = channelStart; c < channelEnd; c++)
        {
            channelLayout.Build(input + (long)c * inputPlane, planes, 0, 1);
            if (rows) ComputeRows512(weights, channelLayout, planes, output, c);
            else ComputeFlat(weights, channelLayout, planes, output, c);
        }
    }

    /// <summary>Channel <paramref name="c"/> in flat runs of <see cref="Chunk"/> positions (any width, any ISA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void ComputeFlat(float* weights, PhaseImage layout, float* source, in ConvOutput output, int c)
    {
        int taps = layout.TapCount;
        int* offsets = layout.TapOffsets;
        float* chunk = stackalloc float[Chunk];
        {
            float* w = weights + (long)c * taps;
            for (int j0 = 0; j0 < layout.FlatLength; j0 += Chunk)
            {
                if (Vector512.IsHardwareAccelerated) Chunk512(source + j0, w, offsets, taps, chunk);
                else if (Vector256.IsHardwareAccelerated) Chunk256(source + j0, w, offsets, taps, chunk);
                else ChunkScalar(source + j0, w, offsets, taps, chunk);
                output.StoreFlat(chunk, Chunk, c, 1, j0, Math.Min(Chunk, layout.FlatLength - j0));
            }
        }
    }

    /// <summary>
    /// Path for outputs at least one vector wide: walks output rows instead of flat runs, so each run of results
    /// goes through bias, residual and activation straight into the output row, with no padding columns to drop.
    /// The run is staged in a 64-float L1 buffer: finishing it in registers too left the JIT short of registers
    /// and it spilled the accumulators inside the tap loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void ComputeRows512(float* weights, PhaseImage layout, float* image, in ConvOutput output, int c)
    {
        int taps = layout.TapCount, outWidth = output.OutWidth, outHeight = output.OutPlane / outWidth;
        int* offsets = layout.TapOffsets;
        float* chunk = stackalloc float[Chunk];
        {
            float* w = weights + (long)c * taps;
            float bias = output.Bias == null ? 0f : output.Bias[c];
            for (int oh = 0; oh < outHeight; oh++)
            {
                float* source = image + (long)oh * layout.Wq;
                long rowStart = (long)c * output.OutPlane + (long)oh * outWidth;
                for (int ow0 = 0; ow0 < outWidth; ow0 += Chunk)
                {
                    Chunk512(source + ow0, w, offsets, taps, chunk);
                    long at = rowStart + ow0;
                    EpilogueKernels.Apply(output.Output + at, chunk, Math.Min(Chunk, outWidth - ow0), bias,
                        output.Residual == null ? null : output.Residual + at, output.Activation);
                }
            }
        }
    }

    /// <summary>The definition: chunk[j] = Σ_t w[t] · source[offsets[t] + j].</summary>
    public static void ChunkScalar(float* source, float* w, int* offsets, int taps, float* chunk)
    {
        for (int j = 0; j < Chunk; j++) chunk[j] = 0f;
        for (int t = 0; t < taps; t++)
        {
            float wt = w[t];
            float* s = source + offsets[t];
            for (int j = 0; j < Chunk; j++) chunk[j] += wt * s[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Chunk512(float* source, float* w, int* offsets, int taps, float* chunk)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int t = 0; t < taps; t++)
        {
            var wt = Vector512.Create(w[t]);
            float* s = source + offsets[t];
            a0 = Vector512.FusedMultiplyAdd(wt, Vector512.Load(s), a0);
            a1 = Vector512.FusedMultiplyAdd(wt, Vector512.Load(s + 16), a1);
            a2 = Vector512.FusedMultiplyAdd(wt, Vector512.Load(s + 32), a2);
            a3 = Vector512.FusedMultiplyAdd(wt, Vector512.Load(s + 48), a3);
        }
        a0.Store(chunk);
        a1.Store(chunk + 16);
        a2.Store(chunk + 32);
        a3.Store(chunk + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Chunk256(float* source, float* w, int* offsets, int taps, float* chunk)
    {
        for (int half = 0; half < Chunk; half += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int t = 0; t < taps; t++)
            {
                var wt = Vector256.Create(w[t]);
                float* s = source + offsets[t] + half;
                a0 = Vector256.FusedMultiplyAdd(wt, Vector256.Load(s), a0);
                a1 = Vector256.FusedMultiplyAdd(wt, Vector256.Load(s + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(wt, Vector256.Load(s + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(wt, Vector256.Load(s + 24), a3);
            }
            a0.Store(chunk + half);
            a1.Store(chunk + half + 8);
            a2.Store(chunk + half + 16);
            a3.Store(chunk + half + 24);
        }
    }
}
