namespace Elide.Data;

/// <summary>Which part of a dataset to load.</summary>
public enum DatasetSplit
{
    /// <summary>The official training set minus the validation hold-out: what a model trains on.</summary>
    Train,

    /// <summary>A fixed, seeded, stratified hold-out of the official training set: what model selection uses.</summary>
    Validation,

    /// <summary>The official test set: used only for reporting final figures.</summary>
    Test,
}

/// <summary>The datasets Elide knows how to find and read.</summary>
public enum DatasetKind
{
    /// <summary>MNIST handwritten digits: IDX files, 1×28×28, 10 classes.</summary>
    Mnist,

    /// <summary>Zalando's Fashion-MNIST: IDX files, 1×28×28, 10 classes.</summary>
    FashionMnist,

    /// <summary>CIFAR-10 binary version: 3×32×32, 10 classes.</summary>
    Cifar10,

    /// <summary>CIFAR-100 binary version: 3×32×32, 100 fine (or 20 coarse) classes.</summary>
    Cifar100,
}

/// <summary>How <see cref="DatasetCatalog"/> builds the splits.</summary>
public sealed record DatasetLoadOptions
{
    /// <summary>Images held out of the training set for validation (default 5,000). 0 leaves Validation empty.</summary>
    public int ValidationSize { get; init; } = DatasetCatalog.DefaultValidationSize;

    /// <summary>Seed of the validation hold-out (see <see cref="StratifiedHoldout"/>).</summary>
    public ulong ValidationSeed { get; init; } = DatasetCatalog.DefaultValidationSeed;

    /// <summary>Which CIFAR-100 labels to use (default fine).</summary>
    public CifarLabelKind Cifar100Labels { get; init; } = CifarLabelKind.Fine;
}

/// <summary>All three splits of a dataset; Train and Validation are views of one loaded training set.</summary>
/// <param name="Train">Training set minus the hold-out.</param>
/// <param name="Validation">The stratified hold-out.</param>
/// <param name="Test">The official test set.</param>
public sealed record DatasetSplits(ImageDataset Train, ImageDataset Validation, ImageDataset Test);
