namespace Elide.Data;

/// <summary>
/// One mini-batch: <see cref="Count"/> images as float32 NCHW plus their labels. Batches are pooled buffers: a
/// batch yielded by an enumerator stays valid only until that enumerator's next <c>MoveNext</c> (or its disposal).
/// </summary>
public sealed class Batch
{
    internal Batch(ImageShape shape, int capacity)
    {
        Shape = shape;
        Capacity = capacity;
        ImageBuffer = new float[(long)capacity * shape.Size];
        LabelBuffer = new int[capacity];
        SampleIndexBuffer = new int[capacity];
    }

    /// <summary>Shape of each image.</summary>
    public ImageShape Shape { get; }

    /// <summary>Maximum number of images (the batch size).</summary>
    public int Capacity { get; }

    /// <summary>Number of valid images; less than <see cref="Capacity"/> only for a final partial batch.</summary>
    public int Count { get; private set; }

    /// <summary>The epoch this batch belongs to.</summary>
    public int Epoch { get; private set; }

    /// <summary>Position of this batch within its epoch, from 0.</summary>
    public int Index { get; private set; }

    /// <summary>The whole NCHW image buffer (Capacity × Shape.Size floats); only the first Count images are valid.</summary>
    public float[] ImageBuffer { get; }

    /// <summary>The whole label buffer (Capacity ints); only the first Count are valid.</summary>
    public int[] LabelBuffer { get; }

    /// <summary>The whole buffer of dataset indices (Capacity ints); only the first Count are valid.</summary>
    public int[] SampleIndexBuffer { get; }

    /// <summary>The valid images: Count × Shape.Size floats, NCHW.</summary>
    public Span<float> Images => ImageBuffer.AsSpan(0, Count * Shape.Size);

    /// <summary>The valid labels.</summary>
    public ReadOnlySpan<int> Labels => LabelBuffer.AsSpan(0, Count);

    /// <summary>Which dataset image each slot holds.</summary>
    public ReadOnlySpan<int> SampleIndices => SampleIndexBuffer.AsSpan(0, Count);

    /// <summary>Marks the start of a new fill.</summary>
    internal void Begin(int epoch, int index, int count)
    {
        Epoch = epoch;
        Index = index;
        Count = count;
    }

    /// <summary>
    /// Puts dataset image <paramref name="sample"/> into <paramref name="slot"/>: copy (or augment with
    /// <paramref name="random"/>), then standardize.
    /// </summary>
    internal void Load(int slot, ImageDataset dataset, int sample, IImageAugmentation? augmentation,
        DeterministicRandom random, ChannelStandardization? standardization)
    {
        int size = Shape.Size;
        Span<float> destination = ImageBuffer.AsSpan(slot * size, size);
        ReadOnlySpan<float> source = dataset.Image(sample);
        if (augmentation is null)
            source.CopyTo(destination);
        else
            augmentation.Apply(source, destination, Shape, ref random);
        standardization?.Apply(destination, Shape);
        LabelBuffer[slot] = dataset.Label(sample);
        SampleIndexBuffer[slot] = sample;
    }
}
