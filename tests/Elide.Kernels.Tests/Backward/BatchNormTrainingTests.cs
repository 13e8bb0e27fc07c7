using Elide.Kernels.Threading;
using static Elide.Kernels.Tests.Backward.BackwardTestUtil;

namespace Elide.Kernels.Tests.Backward;

public unsafe class BatchNormTrainingTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 3, 35)]
    [InlineData(2, 5, 17)]
    [InlineData(3, 17, 64)]
    [InlineData(8, 16, 1024)] // large enough to fan out over the pool
    public void ForwardAndBackwardMatchDefinitionAndDoubleReference(int batch, int channels, int spatial)
    {
        int total = batch * channels * spatial;
        var x = Random(total, 1, -2f, 3f);
        var dy = Random(total, 2);
        var gamma = Random(channels, 3, 0.5f, 1.5f);
        var beta = Random(channels, 4);
        const float eps = 1e-5f;
        var (refY, refMean, refVar, refDx, refDGamma, refDBeta) = Reference(batch, channels, spatial, x, dy, gamma, beta, eps);

        var y = new float[total];
        var mean = new float[channels];
        var variance = new float[channels];
        BatchNormTraining.ForwardScalar(batch, channels, spatial, x, gamma, beta, eps, y, mean, variance);
        AssertClose(y, refY, 1e-5, "scalar y");
        AssertClose(mean, refMean, 1e-5, "scalar mean");
        AssertClose(variance, refVar, 1e-5, "scalar variance");
        var dx = new float[total];
        var dGamma = new float[channels];
        var dBeta = new float[channels];
        BatchNormTraining.BackwardScalar(batch, channels, spatial, x, dy, gamma, mean, variance, eps, dx, dGamma, dBeta);
        AssertClose(dx, refDx, 1e-4, "scalar ∂x");
        AssertClose(dGamma, refDGamma, 1e-5, "scalar ∂γ");
        AssertClose(dBeta, refDBeta, 1e-5, "scalar ∂β");

        foreach (var pool in new[] { null, WorkerPool.Shared(3) })
        {
            var fy = new float[total];
            var fMean = new float[channels];
            var fVar = new float[channels];
            var fdx = new float[total];
            var fdg = new float[channels];
            var fdb = new float[channels];
            fixed (float* px = x, pdy = dy, pg = gamma, pb = beta, py = fy, pm = fMean, pv = fVar, pdx = fdx, pdg = fdg, pdb = fdb)
            {
                BatchNormTraining.Forward(batch, channels, spatial, px, pg, pb, eps, py, pm, pv, pool);
                BatchNormTraining.Backward(batch, channels, spatial, px, pdy, pg, pm, pv, eps, pdx, pdg, pdb, pool);
            }
            AssertClose(fy, refY, 1e-5, "fast y");
            AssertClose(fMean, refMean, 1e-5, "fast mean");
            AssertClose(fVar, refVar, 1e-5, "fast variance");
            AssertClose(fdx, refDx, 1e-4, "fast ∂x");
            AssertClose(fdg, refDGamma, 1e-5, "fast ∂γ");
            AssertClose(fdb, refDBeta, 1e-5, "fast ∂β");
            AssertClose(fdx, dx, 1e-4, "fast vs scalar ∂x");
        }
    }

    [Fact]
    public void RunningStatisticsUseMomentumAndUnbiasedVariance()
    {
        var runningMean = new float[] { 1f, -2f };
        var runningVar = new float[] { 4f, 0.5f };
        BatchNormTraining.UpdateRunningStatistics([3f, 0f], [2f, 1f], count: 5, momentum: 0.1f, runningMean, runningVar);
        Assert.Equal(0.9 * 1 + 0.1 * 3, runningMean[0], 5);
        Assert.Equal(0.9 * -2 + 0.1 * 0, runningMean[1], 5);
        Assert.Equal(0.9 * 4 + 0.1 * 2 * 5 / 4.0, runningVar[0], 5);
        Assert.Equal(0.9 * 0.5 + 0.1 * 1 * 5 / 4.0, runningVar[1], 5);
    }

    private static (double[] Y, double[] Mean, double[] Var, double[] Dx, double[] DGamma, double[] DBeta) Reference(
        int batch, int channels, int spatial, float[] x, float[] dy, float[] gamma, float[] beta, double eps)
    {
        // Written as the chain rule through μ and σ² (Ioffe & Szegedy 2015, §3), not the simplified closed form the kernels use.
        int total = x.Length, m = batch * spatial;
        var y = new double[total];
        var dx = new double[total];
        var mean = new double[channels];
        var variance = new double[channels];
        var dGamma = new double[channels];
        var dBeta = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            var idx = Enumerable.Range(0, batch).SelectMany(n => Enumerable.Range(0, spatial).Select(i => (n * channels + c) * spatial + i)).ToArray();
            double mu = idx.Average(i => (double)x[i]);
            double var = idx.Average(i => (x[i] - mu) * (x[i] - mu));
            double inv = 1 / Math.Sqrt(var + eps);
            double dVar = 0, dMu = 0;
            foreach (var i in idx)
            {
                double xhat = (x[i] - mu) * inv;
                y[i] = gamma[c] * xhat + beta[c];
                dGamma[c] += dy[i] * xhat;
                dBeta[c] += dy[i];
                dVar += dy[i] * gamma[c] * (x[i] - mu) * -0.5 * Math.Pow(var + eps, -1.5);
                dMu += -dy[i] * gamma[c] * inv;
            }
            dMu += dVar * idx.Sum(i => -2 * (x[i] - mu)) / m;
            foreach (var i in idx) dx[i] = dy[i] * gamma[c] * inv + dVar * 2 * (x[i] - mu) / m + dMu / m;
            mean[c] = mu;
            variance[c] = var;
        }
        return (y, mean, variance, dx, dGamma, dBeta);
    }
}
