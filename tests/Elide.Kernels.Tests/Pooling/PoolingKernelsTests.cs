using Elide.Kernels.Threading;

namespace Elide.Kernels.Tests.Pooling;

public class PoolingKernelsTests
{
    /// <summary>Plain definition: walk every tap of every window; padding taps are skipped, counted only for the
    /// include-pad divisor when they lie inside the padded image.</summary>
    private static double[] Naive(Pool2dGeometry g, float[] x, bool max, bool countIncludePad)
    {
        int oh = g.OutHeight, ow = g.OutWidth;
        var y = new double[g.Batch * g.Channels * oh * ow];
        for (int p = 0; p < g.Batch * g.Channels; p++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double best = double.NegativeInfinity, sum = 0;
            int valid = 0, padded = 0;
            bool nan = false;
            for (int kh = 0; kh < g.KernelHeight; kh++)
            for (int kw = 0; kw < g.KernelWidth; kw++)
            {
                int ih = i * g.StrideHeight - g.PadTop + kh * g.DilationHeight;
                int iw = j * g.StrideWidth - g.PadLeft + kw * g.DilationWidth;
                bool insidePadded = ih >= -g.PadTop && ih < g.InHeight + g.PadBottom && iw >= -g.PadLeft && iw < g.InWidth + g.PadRight;
                if (insidePadded) padded++;
                if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                double v = x[(p * g.InHeight + ih) * g.InWidth + iw];
                if (double.IsNaN(v)) nan = true;
                best = Math.Max(best, v);
                sum += v;
                valid++;
            }
            int divisor = countIncludePad ? padded : valid;
            double result = max ? best : divisor == 0 ? 0 : sum / divisor;
            y[(p * oh + i) * ow + j] = nan ? double.NaN : result;
        }
        return y;
    }

    public static IEnumerable<object[]> Geometries()
    {
        // (batch, channels, h, w, kernel, stride, pads t/l/b/r, dilation, ceil)
        int[][] cases =
        [
            [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0],
            [1, 3, 1, 1, 2, 1, 1, 1, 0, 0, 1, 0],
            [1, 1, 5, 7, 1, 1, 0, 0, 0, 0, 1, 0],
            [1, 3, 5, 7, 2, 2, 0, 0, 0, 0, 1, 0],
            [1, 3, 5, 7, 2, 2, 0, 0, 0, 0, 1, 1],
            [7, 17, 5, 7, 3, 1, 1, 1, 1, 1, 1, 0],
            [1, 17, 5, 7, 3, 2, 1, 1, 1, 1, 1, 1],
            [7, 3, 5, 7, 3, 3, 0, 1, 2, 0, 1, 1],
            [1, 1, 5, 7, 3, 3, 2, 0, 0, 2, 1, 0],
            [1, 3, 9, 11, 3, 2, 1, 0, 2, 1, 2, 0],
            [1, 3, 9, 11, 3, 2, 1, 0, 2, 1, 2, 1],
            [2, 3, 13, 12, 7, 2, 3, 3, 3, 3, 1, 0],
            [1, 5, 13, 12, 7, 3, 3, 1, 2, 3, 1, 1],
            [1, 2, 7, 5, 7, 1, 0, 3, 6, 1, 1, 1],
            [1, 1, 6, 6, 2, 3, 1, 1, 1, 1, 1, 1],
            [1, 1, 4, 4, 2, 1, 0, 0, 0, 0, 3, 0],
            [1, 2, 3, 40, 3, 2, 1, 1, 1, 1, 1, 1],
            [1, 1, 112, 112, 3, 2, 1, 1, 1, 1, 1, 0],
            [1, 2, 1, 1, 2, 1, 2, 2, 2, 2, 3, 0], // dilated windows whose taps all fall in padding
            [1, 3, 6, 40, 3, 1, 1, 1, 1, 1, 1, 0], // stride 1, wide enough for the vector column pass and its tails
            [2, 1, 5, 37, 2, 1, 0, 1, 1, 0, 2, 1],
            [1, 2, 4, 21, 7, 1, 3, 3, 3, 3, 1, 0],
            [1, 1, 3, 130, 5, 1, 2, 4, 2, 0, 1, 1],
            [1, 2, 5, 50, 3, 2, 2, 1, 2, 3, 2, 1], // stride 2, dilated: the even/odd column pass
            [1, 1, 3, 33, 2, 2, 0, 0, 1, 1, 1, 1],
            [7, 3, 4, 69, 7, 2, 3, 3, 3, 3, 1, 0],
        ];
        foreach (var c in cases)
            yield return [new Pool2dGeometry(c[0], c[1], c[2], c[3], c[4], c[4], c[5], c[5], c[6], c[7], c[8], c[9], c[10], c[10], c[11] == 1)];
        // Non-square kernel, strides and dilations per axis.
        yield return [new Pool2dGeometry(1, 3, 9, 8, 3, 2, 2, 1, 1, 0, 0, 1, 1, 2, true)];
        yield return [new Pool2dGeometry(7, 1, 8, 9, 1, 3, 1, 2, 0, 1, 0, 2, 3, 1, false)];
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MaxPoolMatchesNaive(Pool2dGeometry g)
    {
        g.Validate();
        var x = Reference.Random((int)g.InputLength, g.InHeight * 31 + g.KernelHeight);
        var expected = Naive(g, x, max: true, countIncludePad: false);
        var y = new float[expected.Length];
        PoolingKernels.MaxPool2d(g, x, y);
        for (int i = 0; i < y.Length; i++) Assert.Equal((float)expected[i], y[i]);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void AveragePoolMatchesNaiveWithAndWithoutPadCounting(Pool2dGeometry g)
    {
        var x = Reference.Random((int)g.InputLength, g.InWidth * 17 + g.KernelWidth);
        foreach (bool includePad in new[] { false, true })
        {
            var expected = Naive(g, x, max: false, includePad);
            var y = new float[expected.Length];
            PoolingKernels.AveragePool2d(g, includePad, x, y);
            for (int i = 0; i < y.Length; i++)
                Reference.Close(expected[i], y[i], 2, 1e-6 * g.KernelHeight * g.KernelWidth, $"includePad={includePad} at {i}");
        }
    }

    [Theory]
    [InlineData(5, 3, 2, 1, 1, false, 3)]   // floor((5+2-3)/2)+1
    [InlineData(6, 3, 2, 0, 0, false, 2)]
    [InlineData(6, 3, 2, 0, 0, true, 3)]    // ceil((6-3)/2)+1
    [InlineData(5, 2, 2, 0, 1, true, 3)]    // ceil((5+1-2)/2)+1 = 3; last window starts at 4 < 5
    [InlineData(4, 2, 2, 0, 1, true, 2)]    // ceil((4+1-2)/2)+1 = 3, last window would start at 4 ≥ 4+0: dropped
    [InlineData(1, 1, 1, 0, 0, true, 1)]
    [InlineData(112, 3, 2, 1, 1, false, 56)]
    [InlineData(2, 3, 1, 0, 0, false, 0)]
    public void OutputSizeFollowsOnnxRules(int input, int kernel, int stride, int padBegin, int padEnd, bool ceil, int expected)
    {
        var g = new Pool2dGeometry(1, 1, input, input, kernel, kernel, stride, stride, padBegin, padBegin, padEnd, padEnd, CeilMode: ceil);
        Assert.Equal(expected, g.OutHeight);
        Assert.Equal(expected, g.OutWidth);
    }

    [Fact]
    public void ValidateNamesTheBadField()
    {
        Assert.Contains("StrideWidth", Assert.Throws<ArgumentException>(() => new Pool2dGeometry(1, 1, 4, 4, 2, 2, StrideWidth: 0).Validate()).Message);
        Assert.Contains("PadTop", Assert.Throws<ArgumentException>(() => new Pool2dGeometry(1, 1, 4, 4, 2, 2, PadTop: 2).Validate()).Message);
        Assert.Contains("OutHeight", Assert.Throws<ArgumentException>(() => new Pool2dGeometry(1, 1, 2, 4, 3, 2).Validate()).Message);
        var g = new Pool2dGeometry(1, 2, 4, 4, 2, 2, 2, 2);
        var ex = Assert.Throws<ArgumentException>(() => PoolingKernels.MaxPool2d(g, new float[31], new float[8]));
        Assert.Equal("x", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => PoolingKernels.AveragePool2d(g, false, new float[32], new float[9]));
        Assert.Equal("y", ex.ParamName);
        var buffer = new float[40];
        ex = Assert.Throws<ArgumentException>(() => PoolingKernels.MaxPool2d(g, buffer.AsSpan(0, 32), buffer.AsSpan(30, 8)));
        Assert.Equal("y", ex.ParamName);
        Assert.Throws<ArgumentException>(() => PoolingKernels.GlobalMaxPool(2, 16, buffer.AsSpan(0, 32), buffer.AsSpan(31, 2)));
    }

    [Fact]
    public void NaNInAWindowGivesNaN()
    {
        var g = new Pool2dGeometry(1, 1, 4, 37, 2, 2, 2, 2);
        var x = Reference.Random(4 * 37, 5);
        x[37 + 20] = float.NaN; // row 1, column 20: window (0, 10)
        var y = new float[g.OutHeight * g.OutWidth];
        PoolingKernels.MaxPool2d(g, x, y);
        Assert.True(float.IsNaN(y[10]));
        Assert.Equal(1, y.Count(float.IsNaN));
        PoolingKernels.AveragePool2d(g, false, x, y);
        Assert.True(float.IsNaN(y[10]));
        Assert.Equal(1, y.Count(float.IsNaN));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(17, 49)]
    [InlineData(7, 130)]
    [InlineData(5, 1000)]
    public void GlobalPoolsMatchNaive(int planes, int spatial)
    {
        var x = Reference.Random(planes * spatial, spatial);
        var average = new float[planes];
        var max = new float[planes];
        PoolingKernels.GlobalAveragePool(planes, spatial, x, average);
        PoolingKernels.GlobalMaxPool(planes, spatial, x, max);
        for (int p = 0; p < planes; p++)
        {
            double sum = 0, best = double.NegativeInfinity, magnitude = 0;
            for (int s = 0; s < spatial; s++)
            {
                sum += x[p * spatial + s];
                magnitude += Math.Abs(x[p * spatial + s]);
                best = Math.Max(best, x[p * spatial + s]);
            }
            Reference.Close(sum / spatial, average[p], 1, 6e-8 * Math.Log2(spatial + 1) * magnitude / spatial, $"average plane {p}");
            Assert.Equal((float)best, max[p]);
        }
    }

    [Fact]
    public void GlobalPoolsPropagateNaNFromEveryPosition()
    {
        for (int position = 0; position < 41; position++)
        {
            var x = Reference.Random(41, position);
            x[position] = float.NaN;
            var y = new float[1];
            PoolingKernels.GlobalMaxPool(1, 41, x, y);
            Assert.True(float.IsNaN(y[0]), $"max at {position}");
            PoolingKernels.GlobalAveragePool(1, 41, x, y);
            Assert.True(float.IsNaN(y[0]), $"average at {position}");
        }
    }

    [Fact]
    public void GlobalPoolValidation()
    {
        Assert.Equal("spatial", Assert.Throws<ArgumentException>(() => PoolingKernels.GlobalMaxPool(2, 0, [], new float[2])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => PoolingKernels.GlobalAveragePool(2, 3, new float[5], new float[2])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => PoolingKernels.GlobalAveragePool(2, 3, new float[6], new float[3])).ParamName);
    }

    [Fact]
    public unsafe void PoolSplitMatchesSingleThread()
    {
        using var pool = new WorkerPool(3);
        var g = new Pool2dGeometry(2, 17, 60, 70, 3, 3, 2, 2, 1, 1, 1, 1, CeilMode: true);
        var x = Reference.Random((int)g.InputLength, 8);
        var expected = new float[g.OutputLength];
        var actual = new float[g.OutputLength];
        fixed (float* px = x) fixed (float* py = actual)
        {
            PoolingKernels.MaxPool2d(g, x, expected);
            PoolingKernels.MaxPool2d(g, px, py, pool);
            Assert.Equal(expected, actual);
            PoolingKernels.AveragePool2d(g, true, x, expected);
            PoolingKernels.AveragePool2d(g, true, px, py, pool);
            Assert.Equal(expected, actual);
            var planes = new float[34];
            var planesParallel = new float[34];
            fixed (float* pp = planesParallel)
            {
                PoolingKernels.GlobalAveragePool(34, 60 * 70, x, planes);
                PoolingKernels.GlobalAveragePool(34, 60 * 70, px, pp, pool);
                Assert.Equal(planes, planesParallel);
                PoolingKernels.GlobalMaxPool(34, 60 * 70, x, planes);
                PoolingKernels.GlobalMaxPool(34, 60 * 70, px, pp, pool);
                Assert.Equal(planes, planesParallel);
            }
        }
    }

    [Fact]
    public void WideRowsUseTheRentedBuffer()
    {
        var g = new Pool2dGeometry(1, 1, 3, 5000, 3, 3, 1, 2, 1, 1, 1, 1);
        var x = Reference.Random((int)g.InputLength, 9);
        var expected = Naive(g, x, max: true, countIncludePad: false);
        var y = new float[expected.Length];
        PoolingKernels.MaxPool2d(g, x, y);
        for (int i = 0; i < y.Length; i++) Assert.Equal((float)expected[i], y[i]);
        foreach (var wide in new[] { g, g with { StrideWidth = 1, KernelWidth = 2, PadRight = 1 } })
        {
            var average = Naive(wide, x, max: false, countIncludePad: true);
            var ya = new float[average.Length];
            PoolingKernels.AveragePool2d(wide, true, x, ya);
            for (int i = 0; i < ya.Length; i++) Reference.Close(average[i], ya[i], 2, 1e-5, $"wide average at {i}");
        }
    }
}
