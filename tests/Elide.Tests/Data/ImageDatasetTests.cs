using Elide.Data;

namespace Elide.Tests.Data;

public class ImageDatasetTests
{
    internal static ImageDataset Numbered(int count, ImageShape shape, int classCount, string name = "numbered")
    {
        // Value j of image i is i + j/1000 so every value names its image; label is i mod classCount.
        var pixels = new float[count * shape.Size];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < shape.Size; j++)
                pixels[i * shape.Size + j] = i + j / 1000f;
        int[] labels = Enumerable.Range(0, count).Select(i => i % classCount).ToArray();
        return new ImageDataset(name, shape, pixels, labels, classCount);
    }

    [Fact]
    public void FromBytesDividesBy255()
    {
        ImageDataset dataset = ImageDataset.FromBytes("b", new ImageShape(1, 1, 3), [0, 128, 255, 1, 2, 3], [0, 1], 2);
        Assert.Equal([0f, 128 / 255f, 1f], dataset.Image(0).ToArray());
        Assert.Equal([1 / 255f, 2 / 255f, 3 / 255f], dataset.Image(1).ToArray());
        Assert.Equal([0, 1], dataset.Labels.ToArray());
    }

    [Fact]
    public void ConstructorValidates()
    {
        var shape = new ImageShape(1, 2, 2);
        Assert.Throws<ArgumentException>(() => new ImageDataset("x", shape, new float[7], [0, 0], 2));
        Assert.Throws<ArgumentException>(() => new ImageDataset("x", shape, new float[8], [0, 2], 2));
        Assert.Throws<ArgumentException>(() => new ImageDataset("x", shape, new float[8], [0, -1], 2));
        Assert.Throws<ArgumentException>(() => new ImageDataset("x", new ImageShape(0, 2, 2), [], [], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageDataset("x", shape, [], [], 0));
    }

    [Fact]
    public void SubsetIsAViewInTheGivenOrderAndComposes()
    {
        ImageDataset dataset = Numbered(10, new ImageShape(2, 2, 2), 3);
        ImageDataset subset = dataset.Subset([7, 2, 2, 9], "sub");
        Assert.Equal("sub", subset.Name);
        Assert.Equal(4, subset.Count);
        Assert.Equal([1, 2, 2, 0], subset.Labels.ToArray());
        Assert.Equal(dataset.Image(7).ToArray(), subset.Image(0).ToArray());
        Assert.Equal(7, subset.SourceIndex(0));

        ImageDataset nested = subset.Subset([3, 0]);
        Assert.Equal("sub", nested.Name);
        Assert.Equal([9, 7], new[] { nested.SourceIndex(0), nested.SourceIndex(1) });
        Assert.Equal(dataset.Image(9).ToArray(), nested.Image(0).ToArray());
        Assert.Equal([0, 1], nested.Labels.ToArray());
    }

    [Fact]
    public void SubsetAndImageRejectBadIndices()
    {
        ImageDataset dataset = Numbered(3, new ImageShape(1, 1, 1), 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Subset([0, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Subset([-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Image(3));
    }

    [Fact]
    public void ClassCountsCountLabels()
    {
        Assert.Equal([4, 3, 3], Numbered(10, new ImageShape(1, 1, 1), 3).ClassCounts());
    }
}
