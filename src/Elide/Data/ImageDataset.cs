namespace Elide.Data;

/// <summary>
/// A labelled image classification dataset: <see cref="Count"/> images of one <see cref="Shape"/>, each stored as
/// float32 CHW with values in [0, 1] (byte / 255), and an integer label in [0, <see cref="ClassCount"/>).
/// </summary>
/// <remarks>
/// A dataset made by <see cref="Subset"/> is a view: it shares the pixel storage of its source and only keeps an
/// index map and its own labels, so the train/validation split of a 50,000-image CIFAR set costs no pixel copies.
/// Datasets are immutable and safe to read from several threads.
/// </remarks>
public sealed class ImageDataset
{
    private readonly float[] pixels;
    private readonly int[]? sourceIndices;
    private readonly int[] labels;

    /// <summary>Creates a dataset over already-converted pixels (taken over, not copied).</summary>
    /// <param name="name">Display name, e.g. "fashion-mnist/train".</param>
    /// <param name="shape">Shape of one image.</param>
    /// <param name="pixels">labels.Length × shape.Size floats, image after image, CHW within an image.</param>
    /// <param name="labels">One label per image, each in [0, <paramref name="classCount"/>).</param>
    /// <param name="classCount">Number of classes, at least 1.</param>
    /// <exception cref="ArgumentException">The sizes disagree or a label is out of range.</exception>
    public ImageDataset(string name, ImageShape shape, float[] pixels, int[] labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        shape.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if ((long)labels.Length * shape.Size != pixels.Length)
            throw new ArgumentException(
                $"Dataset '{name}': {pixels.Length} pixel values do not hold {labels.Length} images of {shape}.", nameof(pixels));
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentException($"Dataset '{name}': label {labels[i]} of image {i} is outside [0, {classCount}).", nameof(labels));
        }
        Name = name;
        Shape = shape;
        ClassCount = classCount;
        this.pixels = pixels;
        this.labels = labels;
    }

    private ImageDataset(string name, ImageShape shape, float[] pixels, int[] sourceIndices, int[] labels, int classCount)
    {
        Name = name;
        Shape = shape;
        ClassCount = classCount;
        this.pixels = pixels;
        this.sourceIndices = sourceIndices;
        this.labels = labels;
    }

    /// <summary>Converts raw bytes to a dataset: pixel = byte / 255, label = byte.</summary>
    /// <exception cref="ArgumentException">The sizes disagree or a label is out of range.</exception>
    public static ImageDataset FromBytes(string name, ImageShape shape, ReadOnlySpan<byte> pixelBytes,
        ReadOnlySpan<byte> labelBytes, int classCount)
    {
        shape.Validate();
        if ((long)labelBytes.Length * shape.Size != pixelBytes.Length)
            throw new ArgumentException(
                $"Dataset '{name}': {pixelBytes.Length} pixel bytes do not hold {labelBytes.Length} images of {shape}.", nameof(pixelBytes));
        var pixels = GC.AllocateUninitializedArray<float>(pixelBytes.Length);
        ConvertToUnitRange(pixelBytes, pixels);
        var labels = new int[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = labelBytes[i];
        return new ImageDataset(name, shape, pixels, labels, classCount);
    }

    /// <summary>Display name, e.g. "cifar10/validation".</summary>
    public string Name { get; }

    /// <summary>Shape of every image.</summary>
    public ImageShape Shape { get; }

    /// <summary>Number of images.</summary>
    public int Count => labels.Length;

    /// <summary>Number of classes; every label is in [0, ClassCount).</summary>
    public int ClassCount { get; }

    /// <summary>All labels, in image order.</summary>
    public ReadOnlySpan<int> Labels => labels;

    /// <summary>The label of image <paramref name="index"/>.</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is outside [0, Count).</exception>
    public int Label(int index) => labels[index];

    /// <summary>The pixels of image <paramref name="index"/>: Shape.Size floats in CHW order, in [0, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, Count).</exception>
    public ReadOnlySpan<float> Image(int index)
    {
        if ((uint)index >= (uint)labels.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Dataset '{Name}' has {Count} images.");
        int size = Shape.Size;
        return new ReadOnlySpan<float>(pixels, SourceIndex(index) * size, size);
    }

    /// <summary>
    /// The index of image <paramref name="index"/> in the dataset this one was loaded as (itself for a loaded
    /// dataset; for a subset, the position in the root dataset the subset chain started from).
    /// </summary>
    public int SourceIndex(int index) => sourceIndices is null ? index : sourceIndices[index];

    /// <summary>
    /// A view holding the images at <paramref name="indices"/>, in that order (repeats allowed). Pixels are shared,
    /// not copied.
    /// </summary>
    /// <param name="indices">Positions in this dataset.</param>
    /// <param name="name">Name of the view; defaults to this dataset's name.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, Count).</exception>
    public ImageDataset Subset(ReadOnlySpan<int> indices, string? name = null)
    {
        var map = new int[indices.Length];
        var subsetLabels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), index, $"Subset index {i} is outside dataset '{Name}' of {Count} images.");
            map[i] = SourceIndex(index);
            subsetLabels[i] = labels[index];
        }
        return new ImageDataset(name ?? Name, Shape, pixels, map, subsetLabels, ClassCount);
    }

    /// <summary>How many images each class has: result[c] = |{i : Label(i) = c}|.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int label in labels)
            counts[label]++;
        return counts;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Count} images of {Shape}, {ClassCount} classes";

    /// <summary>destination[i] = source[i] / 255 (exact division, so 255 maps to exactly 1).</summary>
    internal static void ConvertToUnitRange(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
            destination[i] = source[i] / 255f;
    }
}
