using Elide.Data;

namespace Elide.Tests.Data;

public class ChannelStandardizationTests
{
    private static ImageDataset RandomDataset(int count, ImageShape shape, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var pixels = new float[count * shape.Size];
        for (int i = 0; i < pixels.Length; i++)
        {
            int channel = i / shape.PlaneSize % shape.Channels;
            // Channels get different centres and spreads so a mix-up between them shows.
            pixels[i] = (random.NextInt(256) / 255f) * (channel + 1) / shape.Channels;
        }
        return new ImageDataset("random", shape, pixels, new int[count], 1);
    }

    [Theory]
    [InlineData(1, 28, 28)]
    [InlineData(3, 5, 7)]
    [InlineData(5, 1, 1)]
    public void StatisticsMatchADoublePrecisionReference(int channels, int height, int width)
    {
        var shape = new ImageShape(channels, height, width);
        ImageDataset dataset = RandomDataset(13, shape, 4);
        ChannelStandardization standardization = ChannelStandardization.Compute(dataset);
        for (int c = 0; c < channels; c++)
        {
            var values = new List<double>();
            for (int i = 0; i < dataset.Count; i++)
                values.AddRange(dataset.Image(i).Slice(c * shape.PlaneSize, shape.PlaneSize).ToArray().Select(v => (double)v));
            double mean = values.Average();
            double deviation = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
            Assert.Equal(mean, standardization.Mean[c], 1e-6);
            Assert.Equal(deviation, standardization.StandardDeviation[c], 1e-6);
        }
    }

    [Fact]
    public void ApplyGivesZeroMeanUnitDeviationPerChannel()
    {
        var shape = new ImageShape(3, 4, 4);
        ImageDataset dataset = RandomDataset(20, shape, 8);
        ChannelStandardization standardization = ChannelStandardization.Compute(dataset);
        var sums = new double[3];
        var squares = new double[3];
        for (int i = 0; i < dataset.Count; i++)
        {
            float[] image = dataset.Image(i).ToArray();
            standardization.Apply(image, shape);
            for (int j = 0; j < image.Length; j++)
            {
                sums[j / 16] += image[j];
                squares[j / 16] += image[j] * (double)image[j];
            }
        }
        int n = 20 * 16;
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(0, sums[c] / n, 1e-5);
            Assert.Equal(1, squares[c] / n, 1e-4);
        }
    }

    [Fact]
    public void ApplyIsTheFormula()
    {
        var standardization = new ChannelStandardization([0.5f, 1f], [0.25f, 2f]);
        float[] image = [0.5f, 1f, 0f, 3f];
        standardization.Apply(image, new ImageShape(2, 1, 2));
        Assert.Equal([0f, 2f, -0.5f, 1f], image);
    }

    [Fact]
    public void RejectsBadStatisticsAndMismatchedImages()
    {
        Assert.Throws<ArgumentException>(() => new ChannelStandardization([0f], [0f]));
        Assert.Throws<ArgumentException>(() => new ChannelStandardization([0f], [float.NaN]));
        Assert.Throws<ArgumentException>(() => new ChannelStandardization([0f, 1f], [1f]));
        Assert.Throws<ArgumentException>(() => new ChannelStandardization([], []));
        var standardization = new ChannelStandardization([0f], [1f]);
        Assert.Throws<ArgumentException>(() => standardization.Apply(new float[8], new ImageShape(2, 2, 2)));
        Assert.Throws<ArgumentException>(() => standardization.Apply(new float[3], new ImageShape(1, 2, 2)));
    }

    [Fact]
    public void ConstantChannelOrEmptyDatasetCannotBeStandardized()
    {
        var shape = new ImageShape(2, 1, 2);
        var constantSecondChannel = new ImageDataset("c", shape, [0f, 1f, 0.5f, 0.5f, 1f, 0f, 0.5f, 0.5f], [0, 0], 1);
        Assert.Contains("Channel 1", Assert.Throws<ArgumentException>(() => ChannelStandardization.Compute(constantSecondChannel)).Message);
        Assert.Throws<ArgumentException>(() => ChannelStandardization.Compute(new ImageDataset("e", shape, [], [], 1)));
    }
}
