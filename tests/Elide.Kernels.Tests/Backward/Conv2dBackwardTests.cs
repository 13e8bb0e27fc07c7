using Elide.Kernels.Threading;
using static Elide.Kernels.Tests.Backward.BackwardTestUtil;

namespace Elide.Kernels.Tests.Backward;

public unsafe class Conv2dBackwardTests
{
    public static TheoryData<Conv2dGeometry> Geometries() =>
    [
        new(1, 1, 1, 1, 1, 1, 1),                                                    // batch 1, 1x1 image, 1x1 kernel
        new(7, 3, 5, 7, 5, 3, 3, 2, 2, 1, 0, 2, 1),                                  // stride 2, asymmetric padding
        new(2, 4, 6, 5, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2),                         // groups 2, dilation 2
        new(3, 5, 7, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5),                         // depthwise
        new(7, 3, 5, 7, 5, 1, 1, 2, 2),                                              // 1x1 projection, stride 2
        new(1, 3, 5, 7, 5, 2, 3, 1, 2, 0, 1, 1, 0, 1, 1, 1),                         // 2x3 kernel, mixed stride
        new(2, 3, 1, 1, 4, 3, 3, 1, 1, 1, 1, 1, 1),                                  // 1x1 image, 3x3 kernel all padding but centre
        new(0, 3, 4, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1),                                  // empty batch
        new(2, 3, 5, 19, 4, 3, 5, 1, 1, 2, 0, 1, 4),                                 // stride 1, asymmetric padding, wide rows
        new(1, 2, 3, 2, 3, 3, 3, 1, 1, 0, 3, 2, 3),                                  // stride 1, padding wider than the image
        new(2, 3, 6, 5, 4, 3, 3, 1, 1, 1, 0, 1, 2),                                  // stride 1, same width, all padding on the right
        new(3, 2, 4, 7, 3, 3, 3, 1, 1, 0, 2, 2, 0),                                  // stride 1, same width, all padding on the left and bottom
    ];

    [Theory, MemberData(nameof(Geometries))]
    public void BackwardDataMatchesDefinitionAndDoubleReference(Conv2dGeometry g)
    {
        var (x, w, dy) = Inputs(g, 1);
        var expected = ReferenceBackwardData(g, dy, w);
        var scalar = new float[x.Length];
        Conv2dBackward.BackwardDataScalar(g, dy, w, scalar);
        AssertClose(scalar, expected, 1e-5, "scalar ∂X");
        foreach (var pool in Pools())
        {
            var fast = Enumerable.Repeat(float.NaN, x.Length).ToArray(); // must be overwritten, not accumulated into
            var workspace = new float[Conv2dBackward.BackwardDataWorkspaceFloats(g, pool?.Threads ?? 1)];
            fixed (float* pdy = dy, pw = w, pdx = fast, pws = workspace)
                Conv2dBackward.BackwardData(g, pdy, pw, pdx, pws, pool);
            AssertClose(fast, expected, 1e-5, $"fast ∂X threads={pool?.Threads ?? 1}");
            AssertClose(fast, scalar, 1e-5, "fast vs scalar ∂X");
        }
    }

    [Theory, MemberData(nameof(Geometries))]
    public void DataGradientAsForwardConvolutionMatchesDoubleReference(Conv2dGeometry g)
    {
        bool eligible = Conv2dBackward.TryDataGradientGeometry(g, out var transposed);
        Assert.Equal(g.StrideHeight == 1 && g.StrideWidth == 1
            && Math.Max(g.PadTop, g.PadBottom) <= g.DilationHeight * (g.KernelHeight - 1)
            && Math.Max(g.PadLeft, g.PadRight) <= g.DilationWidth * (g.KernelWidth - 1), eligible);
        if (!eligible) return;
        Assert.Equal((g.InHeight, g.InWidth, g.InChannels), (transposed.OutHeight, transposed.OutWidth, transposed.OutChannels));
        var (x, w, dy) = Inputs(g, 3);
        var expected = ReferenceBackwardData(g, dy, w);
        var flipped = new float[w.Length];
        Conv2dBackward.DataGradientWeights(g, w, flipped);
        var kernel = new Conv2dKernel(transposed, flipped, ReadOnlySpan<float>.Empty, Activation.None);
        foreach (var pool in Pools())
        {
            var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
            var workspace = new float[Math.Max(kernel.WorkspaceFloats, 1)];
            fixed (float* pdy = dy, pdx = dx, pws = workspace) kernel.Run(pdy, pdx, null, pws, pool);
            AssertClose(dx, expected, 1e-5, $"∂X as convolution threads={pool?.Threads ?? 1}");
        }
    }

    [Fact]
    public void DataGradientAsForwardConvolutionCoversTheResNetShapes()
    {
        // 3x3 pad 1 and 1x1 pad 0 at stride 1 are eligible; the strided downsampling convolutions are not.
        Assert.True(Conv2dBackward.TryDataGradientGeometry(new(2, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1), out _));
        Assert.True(Conv2dBackward.TryDataGradientGeometry(new(2, 16, 28, 28, 32, 1, 1), out _));
        Assert.False(Conv2dBackward.TryDataGradientGeometry(new(2, 16, 28, 28, 32, 3, 3, 2, 2, 1, 1, 1, 1), out _));
        Assert.False(Conv2dBackward.TryDataGradientGeometry(new(2, 16, 28, 28, 32, 1, 1, 1, 1, 1, 0, 0, 0), out _)); // pad > k − 1
        var g = new Conv2dGeometry(3, 5, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1);
        var (x, w, dy) = Inputs(g, 4);
        var flipped = new float[w.Length];
        Conv2dBackward.DataGradientWeights(g, w, flipped);
        Assert.True(Conv2dBackward.TryDataGradientGeometry(g, out var t));
        var kernel = new Conv2dKernel(t, flipped, ReadOnlySpan<float>.Empty, Activation.None);
        var dx = new float[x.Length];
        var workspace = new float[Math.Max(kernel.WorkspaceFloats, 1)];
        fixed (float* pdy = dy, pdx = dx, pws = workspace) kernel.Run(pdy, pdx, null, pws);
        AssertClose(dx, ReferenceBackwardData(g, dy, w), 1e-5, "∂X of a 3x3 ResNet-style convolution");
    }

    [Theory, MemberData(nameof(Geometries))]
    public void BackwardWeightsMatchesDefinitionAndDoubleReference(Conv2dGeometry g)
    {
        var (x, w, dy) = Inputs(g, 2);
        var (expectedW, expectedB) = ReferenceBackwardWeights(g, x, dy);
        var scalarW = new float[w.Length];
        var scalarB = new float[g.OutChannels];
        Conv2dBackward.BackwardWeightsScalar(g, x, dy, scalarW, scalarB);
        AssertClose(scalarW, expectedW, 1e-5, "scalar ∂W");
        AssertClose(scalarB, expectedB, 1e-5, "scalar ∂b");
        foreach (var pool in Pools())
        {
            var fastW = Enumerable.Repeat(float.NaN, w.Length).ToArray();
            var fastB = Enumerable.Repeat(float.NaN, g.OutChannels).ToArray();
            var workspace = new float[Conv2dBackward.BackwardWeightsWorkspaceFloats(g, pool?.Threads ?? 1)];
            fixed (float* px = x, pdy = dy, pdw = fastW, pdb = fastB, pws = workspace)
                Conv2dBackward.BackwardWeights(g, px, pdy, pdw, pdb, pws, pool);
            AssertClose(fastW, expectedW, 1e-5, $"fast ∂W threads={pool?.Threads ?? 1}");
            AssertClose(fastB, expectedB, 1e-5, "fast ∂b");
        }
    }

    [Fact]
    public void BackwardDataIsTheAdjointOfTheForwardConvolution()
    {
        // ⟨conv(x), dy⟩ = ⟨x, convᵀ(dy)⟩ ties the gradient to the forward kernel's own indexing conventions.
        var g = new Conv2dGeometry(2, 4, 7, 5, 6, 3, 3, 2, 1, 1, 2, 0, 1, 1, 2, 2);
        var (x, w, dy) = Inputs(g, 3);
        var y = new float[dy.Length];
        var kernel = new Conv2dKernel(g, w, ReadOnlySpan<float>.Empty, Activation.None);
        var ws = new float[Math.Max(1, kernel.WorkspaceFloats)];
        fixed (float* px = x, py = y, pws = ws) kernel.Run(px, py, null, pws, null);
        var dx = new float[x.Length];
        Conv2dBackward.BackwardDataScalar(g, dy, w, dx);
        double left = 0, right = 0;
        for (int i = 0; i < y.Length; i++) left += (double)y[i] * dy[i];
        for (int i = 0; i < x.Length; i++) right += (double)x[i] * dx[i];
        Assert.True(Math.Abs(left - right) <= 1e-4 * Math.Max(1, Math.Abs(left)), $"{left} vs {right}");
    }

    private static IEnumerable<WorkerPool?> Pools() => [null, WorkerPool.Shared(1), WorkerPool.Shared(3)];

    private static (float[] X, float[] W, float[] Dy) Inputs(Conv2dGeometry g, int seed)
    {
        int cg = g.InChannels / g.Groups;
        return (Random(g.Batch * g.InChannels * g.InHeight * g.InWidth, seed),
            Random(g.OutChannels * cg * g.KernelHeight * g.KernelWidth, seed + 100),
            Random(g.Batch * g.OutChannels * g.OutHeight * g.OutWidth, seed + 200));
    }

    /// <summary>∂X in double, written as the gather form (a different loop order from the kernels' scatter).</summary>
    private static double[] ReferenceBackwardData(Conv2dGeometry g, float[] dy, float[] w)
    {
        int cg = g.InChannels / g.Groups, mg = g.OutChannels / g.Groups, oh = g.OutHeight, ow = g.OutWidth;
        var dx = new double[g.Batch * g.InChannels * g.InHeight * g.InWidth];
        for (int n = 0; n < g.Batch; n++)
        for (int c = 0; c < g.InChannels; c++)
        for (int iy = 0; iy < g.InHeight; iy++)
        for (int ix = 0; ix < g.InWidth; ix++)
        {
            int group = c / cg;
            double s = 0;
            for (int m = group * mg; m < (group + 1) * mg; m++)
            for (int ky = 0; ky < g.KernelHeight; ky++)
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int ty = iy + g.PadTop - ky * g.DilationHeight, tx = ix + g.PadLeft - kx * g.DilationWidth;
                if (ty < 0 || tx < 0 || ty % g.StrideHeight != 0 || tx % g.StrideWidth != 0) continue;
                int oy = ty / g.StrideHeight, ox = tx / g.StrideWidth;
                if (oy >= oh || ox >= ow) continue;
                s += (double)w[((m * cg + c % cg) * g.KernelHeight + ky) * g.KernelWidth + kx] * dy[((n * g.OutChannels + m) * oh + oy) * ow + ox];
            }
            dx[((n * g.InChannels + c) * g.InHeight + iy) * g.InWidth + ix] = s;
        }
        return dx;
    }

    private static (double[] Dw, double[] Db) ReferenceBackwardWeights(Conv2dGeometry g, float[] x, float[] dy)
    {
        int cg = g.InChannels / g.Groups, mg = g.OutChannels / g.Groups, oh = g.OutHeight, ow = g.OutWidth;
        var dw = new double[g.OutChannels * cg * g.KernelHeight * g.KernelWidth];
        var db = new double[g.OutChannels];
        for (int m = 0; m < g.OutChannels; m++)
        {
            for (int n = 0; n < g.Batch; n++)
            for (int p = 0; p < oh * ow; p++) db[m] += dy[(n * g.OutChannels + m) * oh * ow + p];
            for (int c = 0; c < cg; c++)
            for (int ky = 0; ky < g.KernelHeight; ky++)
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                double s = 0;
                for (int n = 0; n < g.Batch; n++)
                for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight, ix = ox * g.StrideWidth - g.PadLeft + kx * g.DilationWidth;
                    if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                    s += (double)dy[((n * g.OutChannels + m) * oh + oy) * ow + ox] * x[((n * g.InChannels + m / mg * cg + c) * g.InHeight + iy) * g.InWidth + ix];
                }
                dw[((m * cg + c) * g.KernelHeight + ky) * g.KernelWidth + kx] = s;
            }
        }
        return (dw, db);
    }
}
