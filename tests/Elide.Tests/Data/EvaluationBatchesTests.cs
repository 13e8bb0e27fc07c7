using Elide.Data;

namespace Elide.Tests.Data;

public class EvaluationBatchesTests
{
    [Fact]
    public void SequentialUnaugmentedWithPartialLastBatch()
    {
        var shape = new ImageShape(2, 3, 3);
        ImageDataset dataset = ImageDatasetTests.Numbered(23, shape, 5);
        var standardization = new ChannelStandardization([1f, 2f], [2f, 4f]);
        var batches = new List<(int Index, int[] Samples, int[] Labels, float[] Images)>();
        foreach (Batch batch in EvaluationBatches.Enumerate(dataset, 10, standardization))
            batches.Add((batch.Index, batch.SampleIndices.ToArray(), batch.Labels.ToArray(), batch.Images.ToArray()));

        Assert.Equal([0, 1, 2], batches.Select(b => b.Index));
        Assert.Equal([10, 10, 3], batches.Select(b => b.Samples.Length));
        Assert.Equal(Enumerable.Range(0, 23), batches.SelectMany(b => b.Samples));
        Assert.Equal(dataset.Labels.ToArray(), batches.SelectMany(b => b.Labels));
        float[] expected = Enumerable.Range(0, 23).SelectMany(i => dataset.Image(i).ToArray()
            .Select((v, j) => j < 9 ? (v - 1f) * 0.5f : (v - 2f) * 0.25f)).ToArray();
        Assert.Equal(expected, batches.SelectMany(b => b.Images));
    }

    [Fact]
    public void ReusesOneBufferAndHandlesEdgeSizes()
    {
        ImageDataset dataset = ImageDatasetTests.Numbered(9, new ImageShape(1, 2, 2), 3);
        Assert.Single(EvaluationBatches.Enumerate(dataset, 4).Distinct(ReferenceEqualityComparer.Instance));
        Assert.Equal(9, Assert.Single(EvaluationBatches.Enumerate(dataset, 100)).Count);
        Assert.Empty(EvaluationBatches.Enumerate(dataset.Subset([]), 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => EvaluationBatches.Enumerate(dataset, 0));
        Assert.Throws<ArgumentException>(() => EvaluationBatches.Enumerate(dataset, 4, new ChannelStandardization([0f, 0f], [1f, 1f])));
    }
}
