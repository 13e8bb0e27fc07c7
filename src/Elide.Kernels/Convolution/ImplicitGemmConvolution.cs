using System.Runtime.CompilerServices;
using static Elide.Kernels.GemmTiling;

namespace Elide.Kernels;

/// <summary>
/// Convolution as a GEMM per group, C[OutC/G × OH·Wq] = W[OutC/G × (InC/G)·KH·KW] · B, with B's rows read in place
/// from a <see cref="PhaseImage"/> through a tap-offset table (implicit GEMM: no im2col buffer). Weights are the
/// prepacked A operand; each NR-wide column tile is accumulated over K blocks in a small per-thread buffer and then
/// stored through <see cref="ConvOutput"/>, so bias, residual and activation are applied while it is in L1.
/// </summary>
internal static unsafe class ImplicitGemmConvolution
{
    /// <summary>Computes work units [unitStart, unitEnd) of one image, unit u = (group u / tiles, tile u mod tiles);
    /// with <paramref name="prefetchOutput"/>, each tile's output (and residual) lines are fetched before it is computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void Compute(PackedMatrix[] groupWeights, PhaseImage layout, float* image, in ConvOutput output,
        int groupChannels, int unitStart, int unitEnd, bool prefetchOutput)
    {
        int tiles = (layout.FlatLength + NR - 1) / NR;
        int depth = layout.TapCount;
        int groupOut = groupWeights[0].Rows;
        int rowTiles = (groupOut + MR - 1) / MR;
        float* accumulators = ScratchBuffers.ForCurrentThread.Tiles((long)rowTiles * MR * NR);
        for (int unit = unitStart; unit < unitEnd; unit++)
        {
            int group = unit / tiles, tile = unit - group * tiles;
            int j0 = tile * NR;
            float* weights = groupWeights[group].Data;
            float* groupImage = image + layout.ChannelBase(group * groupChannels) + j0;
            int count = Math.Min(NR, layout.FlatLength - j0);
            if (prefetchOutput) output.Prefetch(group * groupOut, groupOut, j0, count);
            for (int pc = 0; pc < depth; pc += KC)
            {
                int kc = Math.Min(KC, depth - pc);
                var b = new OffsetPanelB(groupImage, layout.TapOffsets + pc);
                float beta = pc == 0 ? 0f : 1f;
                for (int rt = 0; rt < rowTiles; rt++)
                    GemmMicroKernel.Full(kc, weights + (long)rt * MR * depth + (long)pc * MR, b,
                        accumulators + rt * MR * NR, NR, 1f, beta);
            }
            output.StoreFlat(accumulators, NR, group * groupOut, groupOut, j0, count);
        }
    }
}
