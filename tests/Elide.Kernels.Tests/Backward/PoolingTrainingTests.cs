using Elide.Kernels.Threading;
using static Elide.Kernels.Tests.Backward.BackwardTestUtil;

namespace Elide.Kernels.Tests.Backward;

public class PoolingTrainingTests
{
    public static TheoryData<PoolWindow2d> Windows() =>
    [
        Window(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1),
        Window(7, 3, 5, 7, 2, 2, 2, 2, 0, 0, 0, 0, 1),
        Window(2, 5, 5, 7, 3, 3, 2, 2, 1, 0, 2, 1, 1),   // asymmetric padding
        Window(3, 3, 7, 5, 3, 2, 1, 2, 1, 1, 1, 1, 2),   // dilation
        Window(1, 17, 6, 6, 3, 3, 3, 3, 0, 0, 2, 2, 1),  // end padding only (as ceil mode produces)
        Window(8, 16, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1), // large: planes run on the pool
    ];

    [Theory, MemberData(nameof(Windows))]
    public void MaxPoolMatchesDoubleReference(PoolWindow2d g)
    {
        var x = Random(g.Planes * g.InHeight * g.InWidth, 1);
        var dy = Random(g.Planes * g.OutHeight * g.OutWidth, 2);
        var (refY, refDx) = Reference(g, x, dy, max: true, countIncludePad: false);
        var y = new float[dy.Length];
        var argmax = new int[dy.Length];
        var dx = new float[x.Length];
        PoolingTraining.MaxForwardScalar(g, x, y, argmax);
        PoolingTraining.MaxBackwardScalar(g, dy, argmax, dx);
        AssertClose(y, refY, 0, "scalar y");
        AssertClose(dx, refDx, 1e-6, "scalar ∂x");
        var fy = new float[dy.Length];
        var fArgmax = new int[dy.Length];
        var fdx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
        PoolingTraining.MaxForward(g, x, fy, fArgmax, WorkerPool.Shared(3));
        PoolingTraining.MaxBackward(g, dy, fArgmax, fdx, WorkerPool.Shared(3));
        Assert.Equal(y, fy);
        Assert.Equal(dx, fdx);
    }

    [Theory, MemberData(nameof(Windows))]
    public void AveragePoolMatchesDoubleReference(PoolWindow2d g)
    {
        var x = Random(g.Planes * g.InHeight * g.InWidth, 3);
        var dy = Random(g.Planes * g.OutHeight * g.OutWidth, 4);
        foreach (bool includePad in new[] { false, true })
        {
            var (refY, refDx) = Reference(g, x, dy, max: false, includePad);
            var y = new float[dy.Length];
            var dx = new float[x.Length];
            PoolingTraining.AverageForwardScalar(g, includePad, x, y);
            PoolingTraining.AverageBackwardScalar(g, includePad, dy, dx);
            AssertClose(y, refY, 1e-6, "scalar y");
            AssertClose(dx, refDx, 1e-6, "scalar ∂x");
            var fy = new float[dy.Length];
            var fdx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
            PoolingTraining.AverageForward(g, includePad, x, fy, WorkerPool.Shared(3));
            PoolingTraining.AverageBackward(g, includePad, dy, fdx, WorkerPool.Shared(3));
            Assert.Equal(y, fy);
            Assert.Equal(dx, fdx);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 35)]
    [InlineData(21, 64)]
    public void GlobalAveragePoolMatchesDefinition(int planes, int spatial)
    {
        var x = Random(planes * spatial, 5);
        var dy = Random(planes, 6);
        var y = new float[planes];
        var dx = new float[x.Length];
        PoolingTraining.GlobalAverageForward(planes, spatial, x, y);
        PoolingTraining.GlobalAverageBackward(planes, spatial, dy, dx);
        var refY = Enumerable.Range(0, planes).Select(p => Enumerable.Range(0, spatial).Average(i => (double)x[p * spatial + i])).ToArray();
        var refDx = Enumerable.Range(0, x.Length).Select(i => (double)dy[i / spatial] / spatial).ToArray();
        AssertClose(y, refY, 1e-6, "y");
        AssertClose(dx, refDx, 1e-6, "∂x");
    }

    [Fact]
    public void MaxPoolGradientGoesToTheFirstMaximumOfATie()
    {
        var g = Window(1, 1, 1, 4, 1, 2, 1, 2, 0, 0, 0, 0, 1);
        var y = new float[2];
        var argmax = new int[2];
        var dx = new float[4];
        PoolingTraining.MaxForwardScalar(g, [3f, 3f, -1f, 5f], y, argmax);
        PoolingTraining.MaxBackwardScalar(g, [1f, 2f], argmax, dx);
        Assert.Equal([3f, 5f], y);
        Assert.Equal([1f, 0f, 0f, 2f], dx);
    }

    private static PoolWindow2d Window(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int d)
    {
        int oh = (h + pt + pb - d * (kh - 1) - 1) / sh + 1, ow = (w + pl + pr - d * (kw - 1) - 1) / sw + 1;
        return new PoolWindow2d(n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, d, d);
    }

    /// <summary>Forward by gathering each window, backward by brute force: ∂x_i = Σ_o ∂y_o·∂y_o/∂x_i.</summary>
    private static (double[] Y, double[] Dx) Reference(PoolWindow2d g, float[] x, float[] dy, bool max, bool countIncludePad)
    {
        var y = new double[dy.Length];
        var dx = new double[x.Length];
        int plane = g.InHeight * g.InWidth;
        for (int p = 0; p < g.Planes; p++)
        for (int oy = 0; oy < g.OutHeight; oy++)
        for (int ox = 0; ox < g.OutWidth; ox++)
        {
            var positions = new List<int>();
            int padded = 0;
            for (int ky = 0; ky < g.KernelHeight; ky++)
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int iy = oy * g.StrideHeight - g.PadTop + ky * g.DilationHeight, ix = ox * g.StrideWidth - g.PadLeft + kx * g.DilationWidth;
                if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth) positions.Add(p * plane + iy * g.InWidth + ix);
                else if (iy < g.InHeight + g.PadBottom && ix < g.InWidth + g.PadRight) padded++;
            }
            int o = (p * g.OutHeight + oy) * g.OutWidth + ox;
            if (max)
            {
                int best = positions.OrderByDescending(i => x[i]).ThenBy(i => positions.IndexOf(i)).First();
                y[o] = x[best];
                dx[best] += dy[o];
            }
            else
            {
                int count = positions.Count + (countIncludePad ? padded : 0);
                y[o] = positions.Sum(i => (double)x[i]) / count;
                foreach (var i in positions) dx[i] += (double)dy[o] / count;
            }
        }
        return (y, dx);
    }
}
