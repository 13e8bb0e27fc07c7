using Elide.Kernels.Threading;

namespace Elide.Kernels.Tests.Convolution;

/// <summary>
/// The engine hands every convolution its shared scratch pointer, even when the chosen method needs none.
/// Regression: 1x1 and depthwise convolutions run image-parallel dereferenced a missing implicit-GEMM layout.
/// </summary>
public unsafe class WorkspacePointerTests
{
    [Theory]
    [InlineData(64, 64, 1, 1, 1)]   // gemm-1x1
    [InlineData(64, 64, 3, 3, 64)]  // depthwise
    [InlineData(16, 32, 3, 3, 1)]   // implicit GEMM
    public void ImageParallelRunWithAnUnneededWorkspaceMatchesSerialRun(int inC, int outC, int kh, int kw, int groups)
    {
        var g = new Conv2dGeometry(3, inC, 30, 30, outC, kh, kw, PadTop: kh / 2, PadLeft: kw / 2, PadBottom: kh / 2, PadRight: kw / 2, Groups: groups);
        var rng = new Random(3);
        var w = Enumerable.Range(0, (int)g.WeightLength).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var x = Enumerable.Range(0, (int)g.InputLength).Select(_ => (float)rng.NextDouble()).ToArray();
        var kernel = new Conv2dKernel(g, w, [], Activation.Relu);
        var serial = new float[g.OutputLength];
        var parallel = new float[g.OutputLength];
        var scratch = new float[Math.Max(kernel.WorkspaceFloats, 1) + 1024];
        using var pool = new WorkerPool(2);
        fixed (float* px = x, ps = serial, pp = parallel, pw = scratch)
        {
            kernel.Run(px, ps, null, kernel.WorkspaceFloats == 0 ? null : pw, null);
            kernel.Run(px, pp, null, pw, pool);
        }
        Assert.Equal(serial, parallel);
    }
}
