namespace Elide.Kernels.Tests.Normalization;

public class LayerNormKernelsTests
{
    private static double[] Naive(int rows, int size, float[] x, float[] scale, float[] bias, float epsilon)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, variance = 0;
            for (int i = 0; i < size; i++) mean += x[r * size + i];
            mean /= size;
            for (int i = 0; i < size; i++) variance += Math.Pow(x[r * size + i] - mean, 2);
            variance /= size;
            for (int i = 0; i < size; i++)
                y[r * size + i] = (x[r * size + i] - mean) / Math.Sqrt(variance + epsilon) * scale[i] + (bias.Length == 0 ? 0 : bias[i]);
        }
        return y;
    }

    [Fact]
    public void EverySizeMatchesNaiveWithAndWithoutBias()
    {
        for (int size = 1; size <= 130; size++)
        {
            var x = Reference.Random(3 * size, size, -4f, 4f);
            var scale = Reference.Random(size, size + 1, -2f, 2f);
            foreach (var bias in new[] { Reference.Random(size, size + 2), Array.Empty<float>() })
            {
                var expected = Naive(3, size, x, scale, bias, 1e-5f);
                var y = new float[x.Length];
                LayerNormKernels.LayerNorm(3, size, x, scale, bias, 1e-5f, y);
                for (int i = 0; i < y.Length; i++)
                    Reference.Close(expected[i], y[i], 0, 2e-6 * (Math.Abs(expected[i]) + 4 * Math.Abs(scale[i % size]) + 1), $"size={size} bias={bias.Length} at {i}");
            }
        }
    }

    [Fact]
    public void LargeMeanSmallSpreadDoesNotCancel()
    {
        // E[x²] − μ² would lose every digit here; the two-pass variance keeps the result accurate.
        var x = Enumerable.Range(0, 64).Select(i => 1e4f + (i % 8) * 0.01f).ToArray();
        var scale = Enumerable.Repeat(1f, 64).ToArray();
        var expected = Naive(1, 64, x, scale, [], 1e-9f);
        var y = new float[64];
        LayerNormKernels.LayerNorm(1, 64, x, scale, [], 1e-9f, y);
        for (int i = 0; i < 64; i++) Reference.Close(expected[i], y[i], 0, 1e-4 * (Math.Abs(expected[i]) + 1), $"at {i}");
    }

    [Fact]
    public void NaNPoisonsOnlyItsRowAndInPlaceWorks()
    {
        var x = Reference.Random(3 * 20, 1);
        x[25] = float.NaN;
        var scale = Reference.Random(20, 2);
        var y = new float[x.Length];
        LayerNormKernels.LayerNorm(3, 20, x, scale, [], 1e-5f, y);
        for (int i = 0; i < y.Length; i++) Assert.Equal(i is >= 20 and < 40, float.IsNaN(y[i]));
        LayerNormKernels.LayerNorm(3, 20, x, scale, [], 1e-5f, x);
        Assert.Equal(y, x);
    }

    [Fact]
    public void Validation()
    {
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => LayerNormKernels.LayerNorm(2, 3, new float[5], new float[3], [], 1e-5f, new float[6])).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentException>(() => LayerNormKernels.LayerNorm(2, 3, new float[6], new float[2], [], 1e-5f, new float[6])).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => LayerNormKernels.LayerNorm(2, 3, new float[6], new float[3], new float[2], 1e-5f, new float[6])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LayerNormKernels.LayerNorm(2, 3, new float[6], new float[3], [], 1e-5f, new float[7])).ParamName);
        var x = Reference.Random(60, 3);
        var scale = new float[20];
        Assert.Equal(0, Elementwise.AllocationTests.AllocatedBy(() => LayerNormKernels.LayerNorm(3, 20, x, scale, [], 1e-5f, x)));
    }
}
