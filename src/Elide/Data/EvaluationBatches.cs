namespace Elide.Data;

/// <summary>
/// Plain sequential batches for evaluation: images in dataset order, no augmentation, no shuffling, the last
/// partial batch included, optional standardization. Runs on the caller's thread with one reused buffer.
/// </summary>
public static class EvaluationBatches
{
    /// <summary>
    /// Yields ⌈Count / batchSize⌉ batches; batch k holds images [k·batchSize, min((k+1)·batchSize, Count)).
    /// Each yielded batch is the same reused buffer, valid until the next iteration step.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The standardization's channel count differs from the images'.</exception>
    public static IEnumerable<Batch> Enumerate(ImageDataset dataset, int batchSize, ChannelStandardization? standardization = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (standardization is not null && standardization.Channels != dataset.Shape.Channels)
            throw new ArgumentException(
                $"Standardization has {standardization.Channels} channels but '{dataset.Name}' has {dataset.Shape.Channels}.", nameof(standardization));
        return Iterate(dataset, batchSize, standardization);
    }

    private static IEnumerable<Batch> Iterate(ImageDataset dataset, int batchSize, ChannelStandardization? standardization)
    {
        if (dataset.Count == 0)
            yield break;
        var batch = new Batch(dataset.Shape, Math.Min(batchSize, dataset.Count));
        for (int start = 0, index = 0; start < dataset.Count; start += batchSize, index++)
        {
            int count = Math.Min(batchSize, dataset.Count - start);
            batch.Begin(epoch: 0, index, count);
            for (int slot = 0; slot < count; slot++)
                batch.Load(slot, dataset, start + slot, augmentation: null, default, standardization);
            yield return batch;
        }
    }
}
