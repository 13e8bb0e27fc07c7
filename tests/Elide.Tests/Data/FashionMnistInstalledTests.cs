using Elide.Data;

namespace Elide.Tests.Data;

/// <summary>Checks against the real Fashion-MNIST files of Debian's dataset-fashion-mnist package (CI installs it).</summary>
public class FashionMnistInstalledTests
{
    private static readonly Lazy<DatasetSplits> Splits = new(() => DatasetCatalog.LoadSplits("fashion-mnist"));

    [FashionMnistFact]
    public void OfficialCountsAndBalancedLabels()
    {
        DatasetSplits splits = Splits.Value;
        // Xiao, Rasul and Vollgraf, "Fashion-MNIST" (2017): 60,000 training and 10,000 test images, 10 balanced classes.
        Assert.Equal(60_000, splits.Train.Count + splits.Validation.Count);
        Assert.Equal(10_000, splits.Test.Count);
        Assert.Equal(new ImageShape(1, 28, 28), splits.Train.Shape);
        Assert.All(splits.Test.ClassCounts(), c => Assert.Equal(1_000, c));
        int[] training = new int[10];
        foreach (ImageDataset part in new[] { splits.Train, splits.Validation })
            for (int c = 0; c < 10; c++)
                training[c] += part.ClassCounts()[c];
        Assert.All(training, c => Assert.Equal(6_000, c));
    }

    [FashionMnistFact]
    public void ValidationIsTheStratifiedDefaultHoldout()
    {
        DatasetSplits splits = Splits.Value;
        Assert.Equal(55_000, splits.Train.Count);
        Assert.Equal(5_000, splits.Validation.Count);
        Assert.All(splits.Validation.ClassCounts(), c => Assert.Equal(500, c));
        var validation = Enumerable.Range(0, 5_000).Select(splits.Validation.SourceIndex).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(0, 55_000).Select(splits.Train.SourceIndex), validation.Contains);
    }

    [FashionMnistFact]
    public void PixelsAreInUnitRangeAndStatisticsAreTheKnownOnes()
    {
        DatasetSplits splits = Splits.Value;
        float min = float.MaxValue, max = float.MinValue;
        for (int i = 0; i < splits.Test.Count; i++)
            foreach (float v in splits.Test.Image(i))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        Assert.Equal(0f, min);
        Assert.Equal(1f, max);
        // The full training set's widely quoted statistics are mean 0.2860, std 0.3530; the 55,000-image
        // Train split must be within a small margin of them.
        ChannelStandardization statistics = ChannelStandardization.Compute(splits.Train);
        Assert.Equal(0.2860, statistics.Mean[0], 0.005);
        Assert.Equal(0.3530, statistics.StandardDeviation[0], 0.005);
    }

    private sealed class FashionMnistFactAttribute : FactAttribute
    {
        public FashionMnistFactAttribute()
        {
            if (!File.Exists(Path.Combine(DatasetCatalog.DebianFashionMnistDirectory, "train-images-idx3-ubyte.gz")))
                Skip = $"Fashion-MNIST is not installed in {DatasetCatalog.DebianFashionMnistDirectory}: apt-get install -y dataset-fashion-mnist";
        }
    }
}
