using System.Runtime.CompilerServices;

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

    public ConvOutput(float* output, float* residual, float* bias, int outWidth, int outPlane, int wq, Activation activation)
    {
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
}
