using Elide.Kernels.Threading;

namespace Elide.Kernels.Tests.Normalization;

public class NormalizationKernelsTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 0, 3, 5 }, { 1, 0, 5 }, { 1, 1, 1 }, { 1, 3, 1 }, { 7, 17, 1 }, { 2, 33, 1 }, { 1, 5, 7 },
        { 7, 3, 13 }, { 1, 17, 49 }, { 2, 5, 130 }, { 3, 1, 16 }, { 1, 2, 31 },
    };

    private static (float[] Scale, float[] Bias, float[] Mean, float[] Variance) Parameters(int channels, int seed)
    {
        var scale = Reference.Random(channels, seed, -2f, 2f);
        var bias = Reference.Random(channels, seed + 1, -1f, 1f);
        var mean = Reference.Random(channels, seed + 2, -3f, 3f);
        var variance = Reference.Random(channels, seed + 3, 0f, 4f);
        return (scale, bias, mean, variance);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BatchNormMatchesDoubleReference(int batch, int channels, int spatial)
    {
        var x = Reference.Random(batch * channels * spatial, 42);
        var (scale, bias, mean, variance) = Parameters(channels, batch + spatial);
        const float Epsilon = 1e-5f;
        var y = new float[x.Length];
        NormalizationKernels.BatchNormInference(batch, channels, spatial, x, scale, bias, mean, variance, Epsilon, y);
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < channels; c++)
        for (int s = 0; s < spatial; s++)
        {
            int i = (n * channels + c) * spatial + s;
            double k = scale[c] / Math.Sqrt((double)variance[c] + Epsilon);
            double expected = k * ((double)x[i] - mean[c]) + bias[c];
            // Error budget: a few roundings of the largest term involved.
            double magnitude = Math.Abs(k * ((double)Math.Abs(x[i]) + Math.Abs(mean[c]))) + Math.Abs(bias[c]);
            Reference.Close(expected, y[i], 0, 4e-7 * magnitude, $"n={n} c={c} s={s}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ChannelAffineMatchesDoubleReferenceForEveryActivation(int batch, int channels, int spatial)
    {
        var x = Reference.Random(batch * channels * spatial, 9);
        var multiplier = Reference.Random(channels, 10, -2f, 2f);
        var addend = Reference.Random(channels, 11, -2f, 2f);
        foreach (var activation in Reference.AllActivations())
        {
            var y = new float[x.Length];
            NormalizationKernels.ChannelAffine(batch, channels, spatial, x, multiplier, addend, y, activation);
            for (int i = 0; i < x.Length; i++)
            {
                int c = i / spatial % channels;
                double pre = (double)x[i] * multiplier[c] + addend[c];
                double expected = Reference.Activate(activation, pre);
                var (ulps, absolute) = Reference.Tolerance(activation, pre);
                // The pre-activation may round differently (FMA vs multiply-add): allow that slack through the slope ≤ 1.
                double slack = 2.4e-7 * (Math.Abs((double)x[i] * multiplier[c]) + Math.Abs(addend[c]));
                Reference.Close(expected, y[i], ulps, absolute + slack, $"{activation.Kind} i={i}");
            }
        }
    }

    [Fact]
    public void NaNPropagatesAndNegativeVarianceGivesNaN()
    {
        var x = Reference.Random(2 * 3 * 20, 1);
        x[5] = float.NaN;
        var y = new float[x.Length];
        NormalizationKernels.BatchNormInference(2, 3, 20, x, [1, 1, 1], [0, 0, 0], [0, 0, 0], [1, -2, 1], 1e-5f, y);
        Assert.True(float.IsNaN(y[5]));
        for (int i = 20; i < 40; i++) Assert.True(float.IsNaN(y[i]), $"channel 1 at {i}");
        Assert.False(float.IsNaN(y[4]));
        NormalizationKernels.ChannelAffine(2, 3, 20, x, [1, float.NaN, 1], [0, 0, 0], y, Activation.Relu);
        Assert.True(float.IsNaN(y[5]));
        Assert.True(float.IsNaN(y[25]));
        Assert.False(float.IsNaN(y[45]));
    }

    [Fact]
    public void InPlaceWorks()
    {
        var x = Reference.Random(3 * 5 * 11, 2);
        var expected = new float[x.Length];
        NormalizationKernels.ChannelAffine(3, 5, 11, x, [1, 2, 3, 4, 5], [5, 4, 3, 2, 1], expected, Activation.Relu);
        NormalizationKernels.ChannelAffine(3, 5, 11, x, [1, 2, 3, 4, 5], [5, 4, 3, 2, 1], x, Activation.Relu);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void WrongLengthsNameTheArgument()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            NormalizationKernels.BatchNormInference(2, 3, 4, new float[23], new float[3], new float[3], new float[3], new float[3], 1e-5f, new float[24]));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("23", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            NormalizationKernels.BatchNormInference(2, 3, 4, new float[24], new float[3], new float[3], new float[2], new float[3], 1e-5f, new float[24]));
        Assert.Equal("mean", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() =>
            NormalizationKernels.ChannelAffine(2, 3, 4, new float[24], new float[3], new float[4], new float[24]));
        Assert.Equal("addend", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() =>
            NormalizationKernels.ChannelAffine(2, 3, 4, new float[24], new float[3], new float[3], new float[25]));
        Assert.Equal("y", ex.ParamName);
    }

    [Theory]
    [InlineData(2, 64, 1000)]
    [InlineData(1000, 100, 1)]
    [InlineData(1, 3, 30000)]
    public unsafe void PoolSplitMatchesSingleThread(int batch, int channels, int spatial)
    {
        using var pool = new WorkerPool(3);
        var x = Reference.Random(batch * channels * spatial, 3);
        var (scale, bias, mean, variance) = Parameters(channels, 4);
        var expected = new float[x.Length];
        var actual = new float[x.Length];
        NormalizationKernels.BatchNormInference(batch, channels, spatial, x, scale, bias, mean, variance, 1e-3f, expected);
        fixed (float* px = x) fixed (float* ps = scale) fixed (float* pb = bias) fixed (float* pm = mean) fixed (float* pv = variance) fixed (float* py = actual)
            NormalizationKernels.BatchNormInference(batch, channels, spatial, px, ps, pb, pm, pv, 1e-3f, py, pool);
        Assert.Equal(expected, actual);

        var activation = new Activation(ActivationKind.HardSwish);
        NormalizationKernels.ChannelAffine(batch, channels, spatial, x, scale, bias, expected, activation);
        fixed (float* px = x) fixed (float* ps = scale) fixed (float* pb = bias) fixed (float* py = actual)
            NormalizationKernels.ChannelAffine(batch, channels, spatial, px, ps, pb, py, activation, pool);
        Assert.Equal(expected, actual);
    }
}
