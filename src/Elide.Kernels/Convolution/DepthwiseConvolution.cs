using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Elide.Kernels;

/// <summary>
/// Depthwise convolution (Groups = InChannels = OutChannels): each channel is filtered by its own KH×KW kernel.
/// A GEMM would have one row per group, so this runs directly: for a chunk of <see cref="Chunk"/> flat output
/// positions, acc[j] = Σ_taps w[tap] · image[offset(tap) + j], vectorized over j (the taps of a
/// <see cref="PhaseImage"/> are contiguous in j for any stride and dilation).
/// </summary>
internal static unsafe class DepthwiseConvolution
{
    /// <summary>Flat positions computed per step: four zmm accumulators.</summary>
    public const int Chunk = 64;

    /// <summary>Computes channels [channelStart, channelEnd) of one image.</summary>
    /// <param name="weights">[Channels][KH·KW] filter taps.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void Compute(float* weights, PhaseImage layout, float* image, in ConvOutput output,
        int channelStart, int channelEnd)
    {
        int taps = layout.TapCount;
        int* offsets = layout.TapOffsets;
        float* chunk = stackalloc float[Chunk];
        for (int c = channelStart; c < channelEnd; c++)
        {
            float* source = image + layout.ChannelBase(c);
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
