using Elide.Kernels.Tests.Gemm;

namespace Elide.Kernels.Tests.Convolution;

/// <summary>
/// Both register-tile shapes of the direct convolution against the double-precision reference, on every machine:
/// the AVX-512 row tiles run through Vector512's software path where the hardware lacks it, and the AVX2 chunk tiles
/// are forced, so neither shape depends on where the suite runs. (Conv2dKernelTests covers the shape each machine
/// chooses, through the public kernel.)
/// </summary>
public unsafe class DirectConvolutionTilesTests
{
    /// <summary>Output widths 1–30 reach every row-tile width of both channel tiles (1–14 positions of 16 channels,
    /// 1–12 of 32) and rows cut into two or three tiles with an overlapping last one.</summary>
    public static TheoryData<int, int, bool> Layers()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int outChannels in new[] { 5, 16, 17, 48 })
            foreach (int stride in new[] { 1, 2, 3 })
                foreach (bool rows in new[] { true, false })
                    data.Add(outChannels, stride, rows);
        return data;
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void EveryOutputWidthMatchesReference(int outChannels, int stride, bool rowTiles)
    {
        for (int outWidth = 1; outWidth <= 30; outWidth++)
        {
            int inWidth = (outWidth - 1) * stride + 3 - 2; // 3-wide kernel, padding 1 on each side
            var g = new Conv2dGeometry(1, 11, 4, inWidth, outChannels, 3, 3, stride, stride, 1, 1, 1, 1);
            Assert.Equal(outWidth, g.OutWidth);
            Check(g, rowTiles, expectRows: rowTiles && stride <= 2, expectThreeTaps: rowTiles && stride == 1);
        }
    }

    /// <summary>At stride 1 a 3-wide kernel takes the three-tap row tiles; dilation 2 keeps the one-tap form, so both
    /// stride-1 forms meet every tile width.</summary>
    [Theory]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(48)]
    public void OneTapRowTilesAtStrideOneMatchReference(int outChannels)
    {
        for (int outWidth = 1; outWidth <= 30; outWidth++)
        {
            var g = new Conv2dGeometry(1, 11, 6, outWidth, outChannels, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2);
            Assert.Equal(outWidth, g.OutWidth);
            Check(g, rowTiles: true, expectRows: true, expectThreeTaps: false);
        }
    }

    [Fact]
    public void RowTilesHandleDilationAsymmetricPaddingAndManyChannelBlocks()
    {
        Check(new Conv2dGeometry(1, 24, 19, 17, 40, 5, 5, 2, 2, 3, 4, 1, 2, 2, 2), rowTiles: true, expectRows: true);
        Check(new Conv2dGeometry(1, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1), rowTiles: true, expectRows: true);
        Check(new Conv2dGeometry(1, 16, 1, 1, 1, 1, 1), rowTiles: true, expectRows: true);
        Check(new Conv2dGeometry(1, 8, 5, 20, 16, 3, 3, 1, 1, 1, 1, 1, 1), rowTiles: true, expectRows: true); // bands of 3 + 2 rows
    }

    private static void Check(Conv2dGeometry g, bool rowTiles, bool expectRows, bool? expectThreeTaps = null)
    {
        var x = GemmReference.RandomArray((int)g.InputLength, 1);
        var w = GemmReference.RandomArray((int)g.WeightLength, 2);
        var b = GemmReference.RandomArray(g.OutChannels, 3);
        var r = GemmReference.RandomArray((int)g.OutputLength, 4);
        var (expected, magnitude) = ConvReference.Compute(g, x, w, b, r);

        var direct = new DirectConvolution(g, w, rowTiles);
        Assert.Equal(expectRows, direct.RowTiles);
        if (expectThreeTaps is bool threeTaps) Assert.Equal(threeTaps, direct.ThreeTapRows);
        Assert.Equal(expectRows && g.OutChannels > 16 ? 32 : 16, direct.OcTile);
        var image = new float[direct.ImageFloats];
        Array.Fill(image, float.NaN); // Build must write every float the tiles read
        var y = new float[g.OutputLength];
        Array.Fill(y, float.NaN);
        fixed (float* px = x, pi = image, py = y, pr = r, pb = b)
        {
            direct.Build(px, pi, 0, direct.ChannelBlocks);
            var output = new ConvOutput(py, pr, pb, g.OutWidth, g.OutHeight * g.OutWidth, g.OutWidth, null, Activation.None);
            // Two calls over a split of the units: a unit must not depend on the ones before it.
            int half = direct.UnitCount / 2;
            direct.Compute(pi, output, 0, half, prefetchOutput: false);
            direct.Compute(pi, output, half, direct.UnitCount, prefetchOutput: true);
        }
        int depth = g.InChannels * g.KernelHeight * g.KernelWidth;
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = GemmReference.Tolerance(magnitude[i], depth) + 1e-6;
            Assert.True(Math.Abs(y[i] - expected[i]) <= tolerance,
                $"{g.OutChannels} outputs, width {g.OutWidth}, stride {g.StrideWidth}, row tiles {direct.RowTiles}: y[{i}] = {y[i]}, expected {expected[i]}");
        }
    }
}

/// <summary>
/// The direct convolution's finishing stage (transpose back to NCHW, bias, residual, activation) reads its staged
/// results eight positions at a time. A band of row tiles stages exactly its positions, so a ragged last group must
/// not read past them: the stage here ends at a guard page. (Before the fix, a 7-wide band of 21 positions read 3 ×
/// 32 floats past its scratch buffer and crashed the test host about once in three CI runs.)
/// </summary>
public unsafe class DirectConvolutionFinishTests
{
    [Theory]
    [InlineData(16, 16, ActivationKind.None)]
    [InlineData(32, 17, ActivationKind.Relu)]
    [InlineData(32, 32, ActivationKind.None)]
    [InlineData(16, 5, ActivationKind.Sigmoid)]
    public void FinishReadsNoStagedPositionPastTheCount(int stride, int rows, ActivationKind kind)
    {
        var activation = new Activation(kind);
        foreach (int count in new[] { 0, 1, 3, 7, 8, 9, 13, 21, 48 })
        {
            using var stage = new GuardedMemory(count * stride);
            var random = new Random(count * 31 + stride);
            for (int i = 0; i < stage.Length; i++) stage.Pointer[i] = (float)(random.NextDouble() * 4 - 2);
            int j0 = 5, plane = j0 + count + 3;
            var bias = Enumerable.Range(0, rows).Select(i => 0.25f * i - 1f).ToArray();
            var residual = Enumerable.Range(0, rows * plane).Select(i => (float)Math.Sin(i)).ToArray();
            var y = new float[rows * plane];
            Array.Fill(y, float.NaN);
            fixed (float* py = y, pr = residual, pb = bias)
            {
                var output = new ConvOutput(py, pr, pb, plane, plane, plane, null, activation);
                DirectConvolution.Finish(stage.Pointer, stride, output, 0, rows, j0, count);
            }
            for (int oc = 0; oc < rows; oc++)
            {
                for (int j = 0; j < plane; j++)
                {
                    float actual = y[oc * plane + j];
                    if (j < j0 || j >= j0 + count)
                    {
                        Assert.True(float.IsNaN(actual), $"count {count}: channel {oc} position {j} outside the range was written");
                        continue;
                    }
                    float expected = activation.Apply(stage.Pointer[(j - j0) * stride + oc] + bias[oc] + residual[oc * plane + j]);
                    Assert.True(Math.Abs(actual - expected) <= 1e-5f * (1 + Math.Abs(expected)),
                        $"count {count}, stride {stride}: channel {oc} position {j} = {actual}, expected {expected}");
                }
            }
        }
    }
}
