using Elide.Kernels.Threading;

namespace Elide.Kernels.Tests.Softmax;

public class SoftmaxKernelsTests
{
    /// <summary>Textbook definition in double: shift by the maximum, exponentiate, normalize.</summary>
    private static double[] Naive(bool log, int outer, int axis, int inner, float[] x)
    {
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            double max = double.NegativeInfinity;
            bool nan = false;
            for (int k = 0; k < axis; k++)
            {
                double v = x[(o * axis + k) * inner + i];
                nan |= double.IsNaN(v);
                max = Math.Max(max, v);
            }
            double sum = 0;
            for (int k = 0; k < axis; k++) sum += Math.Exp(x[(o * axis + k) * inner + i] - max);
            for (int k = 0; k < axis; k++)
            {
                int index = (o * axis + k) * inner + i;
                double shifted = x[index] - max;
                y[index] = nan ? double.NaN : log ? shifted - Math.Log(sum) : Math.Exp(shifted) / sum;
            }
        }
        return y;
    }

    private static void Check(bool log, int outer, int axis, int inner, float[] x, string context)
    {
        var expected = Naive(log, outer, axis, inner, x);
        var y = new float[x.Length];
        if (log) SoftmaxKernels.LogSoftmax(outer, axis, inner, x, y);
        else SoftmaxKernels.Softmax(outer, axis, inner, x, y);
        for (int i = 0; i < y.Length; i++)
        {
            // Softmax: relative error from exp (≈1.2 ulp), the float sum and the scaling, plus the rounding of x − m in
            // float, which e^ turns into a relative error of |x − m|·2^−24 (|x − m| ≤ |ln y| + ln axis), inherent to any
            // float softmax. LogSoftmax: absolute error relative to the magnitudes subtracted.
            double absolute = log
                ? 6e-7 * (Math.Abs(expected[i]) + Math.Log(axis + 1) + 1)
                : 1e-38 + Math.Abs(expected[i]) * 6e-8 * (Math.Abs(Math.Log(Math.Abs(expected[i]) + 1e-300)) + Math.Log(axis) + 1);
            Reference.Close(expected[i], y[i], log ? 4 : 8 + axis / 16.0, absolute, $"{context} log={log} at {i}");
        }
    }

    [Fact]
    public void EveryRowLengthMatchesNaive()
    {
        for (int axis = 1; axis <= 130; axis++)
        {
            var x = Reference.Random(3 * axis, axis, -8f, 8f);
            Check(false, 3, axis, 1, x, $"axis={axis}");
            Check(true, 3, axis, 1, x, $"axis={axis}");
        }
    }

    [Fact]
    public void EveryInnerWidthMatchesNaive()
    {
        for (int inner = 2; inner <= 70; inner++)
        {
            var x = Reference.Random(2 * 5 * inner, inner, -8f, 8f);
            Check(false, 2, 5, inner, x, $"inner={inner}");
            Check(true, 2, 5, inner, x, $"inner={inner}");
        }
    }

    [Theory]
    [InlineData(new[] { 7 })]
    [InlineData(new[] { 3, 17 })]
    [InlineData(new[] { 2, 3, 5 })]
    [InlineData(new[] { 7, 1, 4, 33 })]
    [InlineData(new[] { 2, 3, 4, 5, 6 })]
    public void AxisAtEveryPosition(int[] shape)
    {
        var x = Reference.Random(Reference.Count(shape), shape.Length, -20f, 20f);
        for (int axis = 0; axis < shape.Length; axis++)
        {
            int outer = Reference.Count(shape.AsSpan(0, axis)), inner = Reference.Count(shape.AsSpan(axis + 1));
            Check(false, outer, shape[axis], inner, x, $"axis {axis}");
            Check(true, outer, shape[axis], inner, x, $"axis {axis}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(19)]
    public void LargeMagnitudesStayFinite(int inner)
    {
        var x = Reference.Random(4 * 37 * inner, 5, -1e4f, 1e4f);
        for (int i = 0; i < x.Length; i += 7) x[i] = (i & 1) == 0 ? 1e4f : -1e4f;
        x[3] = 1e4f - 0.5f; // a near tie so more than one term is non-negligible
        Check(false, 4, 37, inner, x, "±1e4");
        Check(true, 4, 37, inner, x, "±1e4");
        var y = new float[x.Length];
        SoftmaxKernels.Softmax(4, 37, inner, x, y);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void RowsSumToOne()
    {
        var x = Reference.Random(5 * 1000, 1, -30f, 30f);
        var y = new float[x.Length];
        SoftmaxKernels.Softmax(5, 1000, 1, x, y);
        for (int o = 0; o < 5; o++) Assert.Equal(1.0, y.Skip(o * 1000).Take(1000).Sum(v => (double)v), 5);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    public void NaNPoisonsOnlyItsSlice(int inner)
    {
        for (int position = 0; position < 33; position++)
        {
            var x = Reference.Random(2 * 33 * inner, position);
            x[position * inner] = float.NaN; // slice (outer 0, inner 0)
            foreach (bool log in new[] { false, true })
            {
                var y = new float[x.Length];
                if (log) SoftmaxKernels.LogSoftmax(2, 33, inner, x, y);
                else SoftmaxKernels.Softmax(2, 33, inner, x, y);
                for (int o = 0; o < 2; o++)
                for (int k = 0; k < 33; k++)
                for (int i = 0; i < inner; i++)
                    Assert.Equal(o == 0 && i == 0, float.IsNaN(y[(o * 33 + k) * inner + i]));
            }
        }
    }

    [Fact]
    public void InPlaceAndEmptyAndValidation()
    {
        var x = Reference.Random(4 * 21, 2);
        var expected = new float[x.Length];
        SoftmaxKernels.Softmax(4, 21, 1, x, expected);
        SoftmaxKernels.Softmax(4, 21, 1, x, x);
        Assert.Equal(expected, x);
        SoftmaxKernels.Softmax(0, 5, 3, [], []);
        SoftmaxKernels.LogSoftmax(3, 0, 3, [], []);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => SoftmaxKernels.Softmax(2, 3, 4, new float[23], new float[24])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => SoftmaxKernels.LogSoftmax(2, 3, 4, new float[24], new float[25])).ParamName);
    }

    [Theory]
    [InlineData(1000, 100, 1)]
    [InlineData(1, 100, 1000)]
    [InlineData(3, 10, 3000)]
    public unsafe void PoolSplitMatchesSingleThread(int outer, int axis, int inner)
    {
        using var pool = new WorkerPool(3);
        var x = Reference.Random(outer * axis * inner, 4);
        var expected = new float[x.Length];
        var actual = new float[x.Length];
        foreach (bool log in new[] { false, true })
        {
            fixed (float* px = x) fixed (float* py = actual)
            {
                if (log)
                {
                    SoftmaxKernels.LogSoftmax(outer, axis, inner, x, expected);
                    SoftmaxKernels.LogSoftmax(outer, axis, inner, px, py, pool);
                }
                else
                {
                    SoftmaxKernels.Softmax(outer, axis, inner, x, expected);
                    SoftmaxKernels.Softmax(outer, axis, inner, px, py, pool);
                }
            }
            Assert.Equal(expected, actual);
        }
    }
}
