using static Elide.Kernels.Tests.Backward.BackwardTestUtil;

namespace Elide.Kernels.Tests.Backward;

public class SoftmaxCrossEntropyTests
{
    [Theory]
    [InlineData(1, 1, 0f)]
    [InlineData(7, 3, 0f)]
    [InlineData(5, 10, 0.1f)]
    [InlineData(2, 4, 1f)]
    public void LossAndGradientMatchClosedForms(int batch, int classes, float smoothing)
    {
        var z = Random(batch * classes, 1, -5f, 5f);
        var labels = Enumerable.Range(0, batch).Select(i => (i * 7 + 3) % classes).ToArray();
        var p = new float[z.Length];
        double loss = SoftmaxCrossEntropy.Forward(batch, classes, z, labels, smoothing, p);
        var dz = new float[z.Length];
        SoftmaxCrossEntropy.Backward(batch, classes, p, labels, smoothing, 2f, dz);
        double expectedLoss = 0;
        var expectedGrad = new double[z.Length];
        for (int n = 0; n < batch; n++)
        {
            double lse = Math.Log(Enumerable.Range(0, classes).Sum(k => Math.Exp(z[n * classes + k])));
            for (int k = 0; k < classes; k++)
            {
                double q = (k == labels[n] ? 1 - smoothing : 0) + smoothing / (double)classes;
                expectedLoss -= q * (z[n * classes + k] - lse) / batch;
                expectedGrad[n * classes + k] = 2 * (Math.Exp(z[n * classes + k] - lse) - q) / batch;
            }
        }
        Assert.Equal(expectedLoss, loss, 1e-6);
        AssertClose(dz, expectedGrad, 1e-5, "∂z");
    }

    [Fact]
    public void HugeLogitsDoNotOverflow()
    {
        var p = new float[3];
        double loss = SoftmaxCrossEntropy.Forward(1, 3, [1000f, 999f, -1000f], [1], 0f, p);
        Assert.Equal(1 + Math.Log(1 + Math.Exp(-1)), loss, 1e-6);
        Assert.All(p, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void InvalidLabelsAndSmoothingThrow()
    {
        var p = new float[2];
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Forward(1, 2, [0f, 1f], [2], 0f, p));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Forward(1, 2, [0f, 1f], [-1], 0f, p));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Forward(1, 2, [0f, 1f], [0], 1.5f, p));
    }
}
