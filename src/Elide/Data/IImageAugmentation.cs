namespace Elide.Data;

/// <summary>
/// A random, per-image transformation applied by <see cref="BatchLoader"/> while it assembles a training batch.
/// </summary>
/// <remarks>
/// Implementations must draw all their randomness from <paramref name="random"/> (never from shared state): the loader
/// hands every (epoch, image) its own stream, which is what makes batches depend only on (seed, epoch).
/// <see cref="Apply"/> runs on the loader's worker thread and must not keep references to the spans.
/// </remarks>
public interface IImageAugmentation
{
    /// <summary>Writes the transformed <paramref name="source"/> image into <paramref name="destination"/>
    /// (both CHW of <paramref name="shape"/>; they never overlap).</summary>
    void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, ref DeterministicRandom random);
}
