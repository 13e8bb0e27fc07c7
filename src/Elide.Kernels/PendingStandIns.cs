// TEMPORARY naive stand-ins for the GEMM and convolution APIs until the gemm branch merges; deleted then.
using Elide.Kernels.Threading;
namespace Elide.Kernels;
public readonly record struct Conv2dGeometry(int Batch, int InChannels, int InHeight, int InWidth, int OutChannels,
    int KernelHeight, int KernelWidth, int StrideHeight = 1, int StrideWidth = 1, int PadTop = 0, int PadLeft = 0,
    int PadBottom = 0, int PadRight = 0, int DilationHeight = 1, int DilationWidth = 1, int Groups = 1)
{
    public int OutHeight => (InHeight + PadTop + PadBottom - DilationHeight * (KernelHeight - 1) - 1) / StrideHeight + 1;
    public int OutWidth => (InWidth + PadLeft + PadRight - DilationWidth * (KernelWidth - 1) - 1) / StrideWidth + 1;
}
public sealed unsafe class Conv2dKernel
{
    private readonly Conv2dGeometry g; private readonly float[] w, b; private readonly Activation act;
    public Conv2dKernel(in Conv2dGeometry geometry, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Activation activation)
    { g = geometry; w = weights.ToArray(); b = bias.ToArray(); act = activation; }
    public string Method => "standin"; public long WorkspaceFloats => 0;
    public void Run(float* x, float* y, float* r, float* ws, WorkerPool? pool)
    {
        int cg = g.InChannels / g.Groups, mg = g.OutChannels / g.Groups, oh = g.OutHeight, ow = g.OutWidth;
        for (int n = 0; n < g.Batch; n++) for (int oc = 0; oc < g.OutChannels; oc++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++)
        {
            float s = b.Length > 0 ? b[oc] : 0; int gr = oc / mg;
            for (int ic = 0; ic < cg; ic++) for (int ky = 0; ky < g.KernelHeight; ky++) for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight, ix = ox * g.StrideWidth - g.PadLeft + kx * g.DilationWidth;
                if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                s += x[((n * g.InChannels + gr * cg + ic) * g.InHeight + iy) * g.InWidth + ix] * w[((oc * cg + ic) * g.KernelHeight + ky) * g.KernelWidth + kx];
            }
            int o = ((n * g.OutChannels + oc) * oh + oy) * ow + ox;
            if (r != null) s += r[o];
            y[o] = act.Apply(s);
        }
    }
}
public static class Gemm { public static unsafe void Sgemm(bool ta, bool tb, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, WorkerPool? pool = null)
 { for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) { float s = 0; for (int p = 0; p < k; p++) s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]); c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]); } } }
