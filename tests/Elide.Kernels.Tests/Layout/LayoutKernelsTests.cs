namespace Elide.Kernels.Tests.Layout;

public class LayoutKernelsTests
{
    private static int[] Strides(int[] shape)
    {
        var strides = new int[shape.Length];
        int running = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { strides[d] = running; running *= shape[d]; }
        return strides;
    }

    private static int[] Unflatten(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { index[d] = flat % shape[d]; flat /= shape[d]; }
        return index;
    }

    private static float[] NaiveTranspose(float[] x, int[] shape, int[] permutation)
    {
        var outShape = permutation.Select(p => shape[p]).ToArray();
        var inStrides = Strides(shape);
        var y = new float[x.Length];
        for (int flat = 0; flat < y.Length; flat++)
        {
            var index = Unflatten(flat, outShape);
            int source = 0;
            for (int j = 0; j < index.Length; j++) source += index[j] * inStrides[permutation[j]];
            y[flat] = x[source];
        }
        return y;
    }

    [Fact]
    public void RandomPermutationsOfRankOneToFive()
    {
        var random = new Random(1234);
        for (int trial = 0; trial < 400; trial++)
        {
            int rank = 1 + trial % 5;
            var shape = Enumerable.Range(0, rank).Select(_ => random.Next(4) == 0 ? 1 : random.Next(1, 8)).ToArray();
            var permutation = Enumerable.Range(0, rank).OrderBy(_ => random.Next()).ToArray();
            var x = Reference.Random(Reference.Count(shape), trial);
            var y = new float[x.Length];
            LayoutKernels.Transpose(x, shape, permutation, y);
            Assert.True(NaiveTranspose(x, shape, permutation).AsSpan().SequenceEqual(y),
                $"shape [{string.Join(",", shape)}] permutation [{string.Join(",", permutation)}]");
        }
    }

    [Theory]
    [InlineData(new[] { 37, 53 }, new[] { 1, 0 })]
    [InlineData(new[] { 100, 3 }, new[] { 1, 0 })]
    [InlineData(new[] { 1, 1 }, new[] { 1, 0 })]
    [InlineData(new[] { 2, 17, 9, 11 }, new[] { 0, 2, 3, 1 })]   // NCHW → NHWC
    [InlineData(new[] { 2, 9, 11, 17 }, new[] { 0, 3, 1, 2 })]   // NHWC → NCHW
    [InlineData(new[] { 3, 40, 33 }, new[] { 0, 2, 1 })]
    [InlineData(new[] { 5, 1, 7, 1, 3 }, new[] { 4, 3, 2, 1, 0 })]
    [InlineData(new[] { 4, 5, 6 }, new[] { 0, 1, 2 })]
    [InlineData(new int[0], new int[0])]
    [InlineData(new[] { 3, 0, 2 }, new[] { 2, 0, 1 })]
    public void NamedLayoutsMatchNaive(int[] shape, int[] permutation)
    {
        var x = Reference.Random(Reference.Count(shape), 3);
        var y = new float[x.Length];
        LayoutKernels.Transpose(x, shape, permutation, y);
        Assert.Equal(NaiveTranspose(x, shape, permutation), y);
    }

    [Fact]
    public void TransposeValidation()
    {
        Assert.Equal("permutation", Assert.Throws<ArgumentException>(() => LayoutKernels.Transpose(new float[6], [2, 3], [0, 0], new float[6])).ParamName);
        Assert.Equal("permutation", Assert.Throws<ArgumentException>(() => LayoutKernels.Transpose(new float[6], [2, 3], [1], new float[6])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => LayoutKernels.Transpose(new float[5], [2, 3], [1, 0], new float[6])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LayoutKernels.Transpose(new float[6], [2, 3], [1, 0], new float[7])).ParamName);
        var buffer = new float[12];
        Assert.Throws<ArgumentException>(() => LayoutKernels.Transpose(buffer.AsSpan(0, 6), [2, 3], [1, 0], buffer.AsSpan(3, 6)));
    }

    [Fact]
    public void TransposeCopiesNaNPayloadsBitForBit()
    {
        float payload = BitConverter.Int32BitsToSingle(0x7FC01234);
        var x = new float[] { 1, payload, 3, 4, 5, 6 };
        var y = new float[6];
        LayoutKernels.Transpose(x, [2, 3], [1, 0], y);
        Assert.Equal(0x7FC01234, BitConverter.SingleToInt32Bits(y[2]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ConcatThenSplitAlongEveryAxis(int axis)
    {
        int[] shape = [2, 3, 4, 5];
        int[] axisSizes = [1, 3, 2];
        int outer = Reference.Count(shape.AsSpan(0, axis)), inner = Reference.Count(shape.AsSpan(axis + 1));
        int total = axisSizes.Sum();
        var inputs = axisSizes.Select((a, i) => Reference.Random(outer * a * inner, i)).ToArray();
        var y = new float[outer * total * inner];
        int offset = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            LayoutKernels.ConcatInto(inputs[i], outer, axisSizes[i], inner, y, total, offset);
            offset += axisSizes[i];
        }
        // Naive: output index (o, k, r) comes from the input whose axis range holds k.
        for (int o = 0; o < outer; o++)
        for (int k = 0; k < total; k++)
        for (int r = 0; r < inner; r++)
        {
            int which = 0, local = k;
            while (local >= axisSizes[which]) local -= axisSizes[which++];
            Assert.Equal(inputs[which][(o * axisSizes[which] + local) * inner + r], y[(o * total + k) * inner + r]);
        }
        offset = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            var part = new float[inputs[i].Length];
            LayoutKernels.SplitFrom(y, outer, total, inner, offset, part, axisSizes[i]);
            Assert.Equal(inputs[i], part);
            offset += axisSizes[i];
        }
    }

    [Fact]
    public void ConcatValidation()
    {
        Assert.Equal("axisOffset", Assert.Throws<ArgumentException>(() => LayoutKernels.ConcatInto(new float[6], 2, 3, 1, new float[10], 5, 3)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => LayoutKernels.ConcatInto(new float[5], 2, 3, 1, new float[10], 5, 0)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => LayoutKernels.ConcatInto(new float[6], 2, 3, 1, new float[11], 5, 0)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => LayoutKernels.SplitFrom(new float[9], 2, 5, 1, 0, new float[6], 3)).ParamName);
    }

    [Fact]
    public void RandomSlicesMatchNaive()
    {
        var random = new Random(99);
        for (int trial = 0; trial < 300; trial++)
        {
            int rank = 1 + trial % 4;
            var shape = Enumerable.Range(0, rank).Select(_ => random.Next(1, 9)).ToArray();
            var starts = new int[rank];
            var steps = new int[rank];
            var outShape = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                steps[d] = random.Next(2) == 0 ? random.Next(1, 4) : -random.Next(1, 4);
                starts[d] = random.Next(shape[d]);
                int room = steps[d] > 0 ? (shape[d] - 1 - starts[d]) / steps[d] : starts[d] / -steps[d];
                outShape[d] = random.Next(room + 2) % (room + 2); // 0 .. room + 1 elements
            }
            var x = Reference.Random(Reference.Count(shape), trial);
            var y = new float[Reference.Count(outShape)];
            LayoutKernels.Slice(x, shape, starts, steps, outShape, y);
            var inStrides = Strides(shape);
            for (int flat = 0; flat < y.Length; flat++)
            {
                var index = Unflatten(flat, outShape);
                int source = 0;
                for (int d = 0; d < rank; d++) source += (starts[d] + index[d] * steps[d]) * inStrides[d];
                Assert.Equal(x[source], y[flat]);
            }
        }
    }

    [Fact]
    public void SliceValidation()
    {
        Assert.Equal("steps", Assert.Throws<ArgumentException>(() => LayoutKernels.Slice(new float[6], [2, 3], [0, 0], [1, 0], [2, 3], new float[6])).ParamName);
        Assert.Equal("starts", Assert.Throws<ArgumentException>(() => LayoutKernels.Slice(new float[6], [2, 3], [0, 1], [1, 1], [2, 3], new float[6])).ParamName);
        Assert.Equal("starts", Assert.Throws<ArgumentException>(() => LayoutKernels.Slice(new float[6], [2, 3], [0, 1], [1, -1], [2, 3], new float[6])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LayoutKernels.Slice(new float[6], [2, 3], [0, 0], [1, 1], [2, 2], new float[6])).ParamName);
    }

    [Theory]
    [InlineData(1, 1, 1, 0, 0, 0, 0)]
    [InlineData(3, 5, 7, 1, 2, 3, 0)]
    [InlineData(2, 4, 4, 0, 0, 0, 0)]
    [InlineData(1, 2, 3, 2, 2, 2, 2)]
    [InlineData(0, 2, 3, 1, 1, 1, 1)]
    public void PadMatchesNaive(int planes, int height, int width, int top, int left, int bottom, int right)
    {
        var x = Reference.Random(planes * height * width, 5);
        int oh = top + height + bottom, ow = left + width + right;
        var y = new float[planes * oh * ow];
        LayoutKernels.Pad2d(planes, height, width, top, left, bottom, right, -7.5f, x, y);
        for (int p = 0; p < planes; p++)
        for (int h = 0; h < oh; h++)
        for (int w = 0; w < ow; w++)
        {
            int ih = h - top, iw = w - left;
            float expected = ih >= 0 && ih < height && iw >= 0 && iw < width ? x[(p * height + ih) * width + iw] : -7.5f;
            Assert.Equal(expected, y[(p * oh + h) * ow + w]);
        }
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LayoutKernels.Pad2d(planes, height, width, top, left, bottom, right, 0f, x, new float[y.Length + 1])).ParamName);
    }
}
