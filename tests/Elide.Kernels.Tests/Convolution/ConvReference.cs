namespace Elide.Kernels.Tests.Convolution;

/// <summary>Naive double-precision NCHW convolution (ONNX Conv), before the activation.</summary>
internal static class ConvReference
{
    /// <summary>Returns the pre-activation output and, per element, the sum of absolute terms (for tolerances).</summary>
    public static (double[] Value, double[] Magnitude) Compute(Conv2dGeometry g, float[] x, float[] w, float[] bias, float[] residual)
    {
        int oh = g.OutHeight, ow = g.OutWidth;
        int groupIn = g.InChannels / g.Groups, groupOut = g.OutChannels / g.Groups;
        var value = new double[g.OutputLength];
        var magnitude = new double[g.OutputLength];
        for (int n = 0; n < g.Batch; n++)
        for (int oc = 0; oc < g.OutChannels; oc++)
        {
            int group = oc / groupOut;
            for (int y = 0; y < oh; y++)
            for (int xo = 0; xo < ow; xo++)
            {
                double sum = 0, abs = 0;
                for (int c = 0; c < groupIn; c++)
                for (int kh = 0; kh < g.KernelHeight; kh++)
                for (int kw = 0; kw < g.KernelWidth; kw++)
                {
                    int iy = y * g.StrideHeight + kh * g.DilationHeight - g.PadTop;
                    int ix = xo * g.StrideWidth + kw * g.DilationWidth - g.PadLeft;
                    if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                    double term = (double)w[((oc * groupIn + c) * g.KernelHeight + kh) * g.KernelWidth + kw]
                        * x[((n * g.InChannels + group * groupIn + c) * g.InHeight + iy) * g.InWidth + ix];
                    sum += term;
                    abs += Math.Abs(term);
                }
                long at = ((long)(n * g.OutChannels + oc) * oh + y) * ow + xo;
                if (bias.Length > 0) { sum += bias[oc]; abs += Math.Abs(bias[oc]); }
                if (residual.Length > 0) { sum += residual[at]; abs += Math.Abs(residual[at]); }
                value[at] = sum;
                magnitude[at] = abs;
            }
        }
        return (value, magnitude);
    }
}
