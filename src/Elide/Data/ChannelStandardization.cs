namespace Elide.Data;

/// <summary>
/// Per-channel standardization x' = (x − mean_c) / std_c, with mean and (population) standard deviation taken over
/// every pixel of channel c in a training split.
/// </summary>
/// <remarks>
/// Statistics come from the Train split only, so neither the validation nor the test images leak into
/// preprocessing. Sums are accumulated in double and the variance uses the two-pass formula
/// Σ(x − mean)² / n (Chan, Golub and LeVeque, "Algorithms for computing the sample variance", 1983), which does not
/// cancel catastrophically over tens of millions of pixels.
/// </remarks>
public sealed class ChannelStandardization
{
    private readonly float[] mean;
    private readonly float[] standardDeviation;
    private readonly float[] inverseDeviation;

    /// <summary>Creates the transform from given statistics (one value per channel).</summary>
    /// <exception cref="ArgumentException">The lengths differ or are zero, or a deviation is not positive and finite.</exception>
    public ChannelStandardization(ReadOnlySpan<float> mean, ReadOnlySpan<float> standardDeviation)
    {
        if (mean.Length == 0 || mean.Length != standardDeviation.Length)
            throw new ArgumentException($"Need one mean and one deviation per channel; got {mean.Length} and {standardDeviation.Length}.");
        for (int c = 0; c < standardDeviation.Length; c++)
        {
            if (!(standardDeviation[c] > 0) || !float.IsFinite(standardDeviation[c]) || !float.IsFinite(mean[c]))
                throw new ArgumentException($"Channel {c}: mean {mean[c]} and deviation {standardDeviation[c]} must be finite, the deviation positive.");
        }
        this.mean = mean.ToArray();
        this.standardDeviation = standardDeviation.ToArray();
        inverseDeviation = new float[mean.Length];
        for (int c = 0; c < inverseDeviation.Length; c++)
            inverseDeviation[c] = 1f / standardDeviation[c];
    }

    /// <summary>Per-channel means.</summary>
    public ReadOnlySpan<float> Mean => mean;

    /// <summary>Per-channel population standard deviations.</summary>
    public ReadOnlySpan<float> StandardDeviation => standardDeviation;

    /// <summary>Number of channels.</summary>
    public int Channels => mean.Length;

    /// <summary>Computes the per-channel statistics of <paramref name="training"/>.</summary>
    /// <exception cref="ArgumentException">The dataset is empty or a channel is constant (zero deviation).</exception>
    public static ChannelStandardization Compute(ImageDataset training)
    {
        if (training.Count == 0)
            throw new ArgumentException($"Dataset '{training.Name}' is empty; cannot compute channel statistics.", nameof(training));
        ImageShape shape = training.Shape;
        int plane = shape.PlaneSize;
        var sums = new double[shape.Channels];
        for (int i = 0; i < training.Count; i++)
        {
            ReadOnlySpan<float> image = training.Image(i);
            for (int c = 0; c < shape.Channels; c++)
                sums[c] += Sum(image.Slice(c * plane, plane));
        }
        double perChannel = (double)training.Count * plane;
        var means = new double[shape.Channels];
        for (int c = 0; c < shape.Channels; c++)
            means[c] = sums[c] / perChannel;
        var squares = new double[shape.Channels];
        for (int i = 0; i < training.Count; i++)
        {
            ReadOnlySpan<float> image = training.Image(i);
            for (int c = 0; c < shape.Channels; c++)
                squares[c] += SquaredDeviation(image.Slice(c * plane, plane), means[c]);
        }
        var meanOut = new float[shape.Channels];
        var deviationOut = new float[shape.Channels];
        for (int c = 0; c < shape.Channels; c++)
        {
            meanOut[c] = (float)means[c];
            deviationOut[c] = (float)Math.Sqrt(squares[c] / perChannel);
            if (!(deviationOut[c] > 0))
                throw new ArgumentException($"Channel {c} of '{training.Name}' is constant; standardization is undefined.", nameof(training));
        }
        return new ChannelStandardization(meanOut, deviationOut);
    }

    /// <summary>Standardizes one CHW image in place: x = (x − mean_c) · (1 / std_c).</summary>
    /// <exception cref="ArgumentException">The shape's channel count differs, or the span is shorter than the image.</exception>
    public void Apply(Span<float> image, ImageShape shape)
    {
        if (shape.Channels != mean.Length)
            throw new ArgumentException($"Standardization has {mean.Length} channels but the image {shape} has {shape.Channels}.", nameof(shape));
        if (image.Length < shape.Size)
            throw new ArgumentException($"{image.Length} values cannot hold an image of {shape}.", nameof(image));
        int plane = shape.PlaneSize;
        for (int c = 0; c < mean.Length; c++)
        {
            Span<float> values = image.Slice(c * plane, plane);
            float m = mean[c], scale = inverseDeviation[c];
            for (int i = 0; i < values.Length; i++)
                values[i] = (values[i] - m) * scale;
        }
    }

    private static double Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
            sum += v;
        return sum;
    }

    private static double SquaredDeviation(ReadOnlySpan<float> values, double center)
    {
        double sum = 0;
        foreach (float v in values)
        {
            double d = v - center;
            sum += d * d;
        }
        return sum;
    }
}
