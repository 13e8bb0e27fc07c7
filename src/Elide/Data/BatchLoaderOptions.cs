namespace Elide.Data;

/// <summary>How a <see cref="BatchLoader"/> assembles training batches.</summary>
public sealed record BatchLoaderOptions
{
    /// <summary>Images per batch (default 128).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Whether each epoch visits the images in a fresh seeded random order (default true).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Whether to skip the final partial batch of an epoch (default true, so every step sees BatchSize images).</summary>
    public bool DropLast { get; init; } = true;

    /// <summary>Batches assembled ahead on a background worker (default 2). 0 assembles each batch on the consumer's
    /// thread inside MoveNext. The batches themselves never depend on this value.</summary>
    public int PrefetchDepth { get; init; } = 2;

    /// <summary>Seed of the shuffles and augmentations: batches depend only on (Seed, epoch).</summary>
    public ulong Seed { get; init; }

    /// <summary>Random per-image augmentation (e.g. <see cref="RandomCropFlip"/>), or null for none.</summary>
    public IImageAugmentation? Augmentation { get; init; }

    /// <summary>Standardization applied after augmentation, or null to keep pixels in [0, 1].</summary>
    public ChannelStandardization? Standardization { get; init; }
}
