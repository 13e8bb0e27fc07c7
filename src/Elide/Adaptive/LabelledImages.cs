using System.Text.Json;
using Elide.Data;
using Elide.Graph;

namespace Elide.Adaptive;

/// <summary>
/// Images ready to feed a network (float32 NCHW, standardized if the model wants it) with their labels: the
/// evaluation data of <see cref="Evaluator"/> and <see cref="CachingEvaluator"/>.
/// </summary>
public sealed class LabelledImages
{
    /// <summary>
    /// Metadata key a trainer may set to the input standardization the model expects, as JSON
    /// <c>{"mean":[m_c…],"std":[s_c…]}</c>; when absent, pixels are fed in [0, 1].
    /// </summary>
    public const string StandardizationMetadataKey = "elide.input_standardization";

    /// <summary>Labelled images from explicit arrays.</summary>
    /// <exception cref="ArgumentException">The pixel count is not Count · Shape.Size.</exception>
    public LabelledImages(ImageShape shape, float[] pixels, int[] labels)
    {
        if (pixels.Length != (long)labels.Length * shape.Size)
            throw new ArgumentException($"{pixels.Length} pixels do not hold {labels.Length} images of {shape}", nameof(pixels));
        Shape = shape;
        Pixels = pixels;
        Labels = labels;
    }

    /// <summary>Shape of one image (C, H, W).</summary>
    public ImageShape Shape { get; }

    /// <summary>All images, NCHW.</summary>
    public float[] Pixels { get; }

    /// <summary>Class of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>
    /// Copies <paramref name="dataset"/> (or <paramref name="limit"/> of its images, evenly spaced so a class-sorted
    /// split still yields every class in proportion) and standardizes them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit below 1.</exception>
    public static LabelledImages From(ImageDataset dataset, ChannelStandardization? standardization = null, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (limit is < 1) throw new ArgumentOutOfRangeException(nameof(limit), limit, "the image limit must be ≥ 1");
        int n = Math.Min(dataset.Count, limit ?? dataset.Count);
        int size = dataset.Shape.Size;
        var pixels = new float[(long)n * size];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int source = (int)((long)i * dataset.Count / n);
            var image = pixels.AsSpan(i * size, size);
            dataset.Image(source).CopyTo(image);
            standardization?.Apply(image, dataset.Shape);
            labels[i] = dataset.Label(source);
        }
        return new LabelledImages(dataset.Shape, pixels, labels);
    }

    /// <summary>The standardization recorded in <paramref name="graph"/>'s metadata under <see cref="StandardizationMetadataKey"/>, or null.</summary>
    /// <exception cref="FormatException">The entry exists but is not {"mean":[…],"std":[…]} with equal, non-empty lengths.</exception>
    public static ChannelStandardization? StandardizationOf(ComputeGraph graph)
    {
        if (!graph.Metadata.TryGetValue(StandardizationMetadataKey, out var json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var mean = doc.RootElement.GetProperty("mean").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var std = doc.RootElement.GetProperty("std").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            if (mean.Length == 0 || mean.Length != std.Length) throw new FormatException("mean and std must be non-empty and of equal length");
            return new ChannelStandardization(mean, std);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"metadata '{StandardizationMetadataKey}' is not {{\"mean\":[…],\"std\":[…]}}: {e.Message}", e);
        }
    }
}
