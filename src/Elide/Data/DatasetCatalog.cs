namespace Elide.Data;

/// <summary>
/// Finds and loads the standard image classification datasets and cuts them into Train / Validation / Test.
/// </summary>
/// <remarks>
/// <para>Names: <c>mnist</c>, <c>fashion-mnist</c>, <c>cifar10</c>, <c>cifar100</c> (case-insensitive; <c>cifar-10</c>,
/// <c>cifar-100</c>, <c>fashion_mnist</c> also accepted). A bare name looks in Debian's location
/// (<c>/usr/share/datasets/&lt;name&gt;</c>; Fashion-MNIST ships in package <c>dataset-fashion-mnist</c>);
/// <c>name:directory</c> reads that directory; a bare directory is recognised by the files it holds.</para>
/// <para>Splits: Validation is a stratified hold-out of the official training set
/// (<see cref="StratifiedHoldout"/>, default 5,000 images, seed <see cref="DefaultValidationSeed"/>), Train is the
/// rest, and Test is the official test set, kept for reporting only. Both index sets are fixed by (labels, size,
/// seed), so they are identical on every machine and run.</para>
/// </remarks>
public static class DatasetCatalog
{
    /// <summary>Where Debian's dataset packages install their files.</summary>
    public const string DebianDatasetRoot = "/usr/share/datasets";

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the four gzip IDX files.</summary>
    public const string DebianFashionMnistDirectory = DebianDatasetRoot + "/fashion-mnist";

    /// <summary>Default number of training images held out for validation.</summary>
    public const int DefaultValidationSize = 5_000;

    /// <summary>Default seed of the validation hold-out: the ASCII bytes of "Elide" (0x456C696465).</summary>
    public const ulong DefaultValidationSeed = 0x456C696465;

    private static readonly string[] IdxTrainImages = ["train-images-idx3-ubyte", "train-images.idx3-ubyte"];
    private static readonly string[] IdxTrainLabels = ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"];
    private static readonly string[] IdxTestImages = ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"];
    private static readonly string[] IdxTestLabels = ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"];
    private static readonly string[] Cifar10TrainFiles = Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
    private const string Cifar10TestFile = "test_batch.bin";
    private const string Cifar10Subdirectory = "cifar-10-batches-bin";
    private const string Cifar100TrainFile = "train.bin";
    private const string Cifar100TestFile = "test.bin";
    private const string Cifar100Subdirectory = "cifar-100-binary";

    /// <summary>Loads one split of a dataset given by name, <c>name:directory</c>, or directory.</summary>
    /// <exception cref="DatasetNotFoundException">The name is unknown or the files are missing (the message says
    /// what to install or which path to pass).</exception>
    /// <exception cref="DatasetFormatException">A file is malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The validation size exceeds the training set.</exception>
    public static ImageDataset Load(string nameOrPath, DatasetSplit split, DatasetLoadOptions? options = null)
    {
        (DatasetKind kind, string directory) = Resolve(nameOrPath);
        return Load(kind, directory, split, options);
    }

    /// <summary>Loads one split of a dataset of known kind from <paramref name="directory"/> (or its standard
    /// subdirectory, e.g. cifar-10-batches-bin).</summary>
    /// <exception cref="DatasetNotFoundException">A file is missing.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The validation size exceeds the training set.</exception>
    public static ImageDataset Load(DatasetKind kind, string directory, DatasetSplit split, DatasetLoadOptions? options = null)
    {
        options ??= new DatasetLoadOptions();
        directory = LocateFiles(kind, directory, directory);
        if (split == DatasetSplit.Test)
            return LoadOfficial(kind, directory, training: false, options);
        (ImageDataset train, ImageDataset validation) = HoldOut(LoadOfficial(kind, directory, training: true, options), options);
        return split == DatasetSplit.Train ? train : validation;
    }

    /// <summary>Loads all three splits, reading the training files once.</summary>
    /// <exception cref="DatasetNotFoundException">The name is unknown or the files are missing.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed.</exception>
    public static DatasetSplits LoadSplits(string nameOrPath, DatasetLoadOptions? options = null)
    {
        (DatasetKind kind, string directory) = Resolve(nameOrPath);
        return LoadSplits(kind, directory, options);
    }

    /// <summary>Loads all three splits of a dataset of known kind from <paramref name="directory"/>.</summary>
    /// <exception cref="DatasetNotFoundException">A file is missing.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed.</exception>
    public static DatasetSplits LoadSplits(DatasetKind kind, string directory, DatasetLoadOptions? options = null)
    {
        options ??= new DatasetLoadOptions();
        directory = LocateFiles(kind, directory, directory);
        (ImageDataset train, ImageDataset validation) = HoldOut(LoadOfficial(kind, directory, training: true, options), options);
        return new DatasetSplits(train, validation, LoadOfficial(kind, directory, training: false, options));
    }

    /// <summary>Splits an official training set into (Train, Validation) as described on <see cref="DatasetCatalog"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The validation size is negative or exceeds the set.</exception>
    public static (ImageDataset Train, ImageDataset Validation) HoldOut(ImageDataset officialTraining, DatasetLoadOptions? options = null)
    {
        options ??= new DatasetLoadOptions();
        if (options.ValidationSize < 0 || options.ValidationSize > officialTraining.Count)
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationSize,
                $"Validation size must be in [0, {officialTraining.Count}] for '{officialTraining.Name}'.");
        HoldoutSplit split = StratifiedHoldout.Split(officialTraining.Labels, officialTraining.ClassCount,
            options.ValidationSize, options.ValidationSeed);
        string root = BaseName(officialTraining.Name);
        return (officialTraining.Subset(split.Remainder, root + "/train"),
                officialTraining.Subset(split.Holdout, root + "/validation"));
    }

    /// <summary>
    /// Turns a name, <c>name:directory</c> or directory into a dataset kind and the directory holding its files.
    /// </summary>
    /// <exception cref="DatasetNotFoundException">Unknown name, missing directory, or unrecognised contents.</exception>
    public static (DatasetKind Kind, string Directory) Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        int colon = nameOrPath.IndexOf(':');
        if (colon > 1 && TryParseName(nameOrPath[..colon], out DatasetKind named))
        {
            string directory = nameOrPath[(colon + 1)..];
            if (!Directory.Exists(directory))
                throw new DatasetNotFoundException(nameOrPath, $"Directory '{directory}' for {DisplayName(named)} does not exist.");
            return (named, LocateFiles(named, directory, nameOrPath));
        }
        if (TryParseName(nameOrPath, out DatasetKind kind))
            return (kind, LocateFiles(kind, DefaultDirectory(kind, nameOrPath), nameOrPath));
        if (Directory.Exists(nameOrPath))
            return Detect(nameOrPath);
        throw new DatasetNotFoundException(nameOrPath,
            $"'{nameOrPath}' is neither a known dataset (mnist, fashion-mnist, cifar10, cifar100) nor an existing directory.");
    }

    /// <summary>The canonical short name of a dataset kind: mnist, fashion-mnist, cifar10, cifar100.</summary>
    public static string DisplayName(DatasetKind kind) => kind switch
    {
        DatasetKind.Mnist => "mnist",
        DatasetKind.FashionMnist => "fashion-mnist",
        DatasetKind.Cifar10 => "cifar10",
        DatasetKind.Cifar100 => "cifar100",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static bool TryParseName(string name, out DatasetKind kind)
    {
        switch (name.Trim().ToLowerInvariant())
        {
            case "mnist": kind = DatasetKind.Mnist; return true;
            case "fashion-mnist" or "fashion_mnist" or "fashionmnist": kind = DatasetKind.FashionMnist; return true;
            case "cifar10" or "cifar-10": kind = DatasetKind.Cifar10; return true;
            case "cifar100" or "cifar-100": kind = DatasetKind.Cifar100; return true;
            default: kind = default; return false;
        }
    }

    private static string DefaultDirectory(DatasetKind kind, string requested) => kind switch
    {
        DatasetKind.FashionMnist => DebianFashionMnistDirectory,
        DatasetKind.Mnist => Path.Combine(DebianDatasetRoot, "mnist"),
        // Debian packages neither CIFAR; there is no default place to look.
        _ => throw new DatasetNotFoundException(requested,
            $"{DisplayName(kind)} has no default location (Debian does not package it). Pass the directory of the binary " +
            $"version, e.g. \"{DisplayName(kind)}:/path/to/{(kind == DatasetKind.Cifar10 ? Cifar10Subdirectory : Cifar100Subdirectory)}\" " +
            $"({ExpectedFiles(kind)})."),
    };

    private static string ExpectedFiles(DatasetKind kind) => kind switch
    {
        DatasetKind.Cifar10 => "data_batch_1.bin … data_batch_5.bin and test_batch.bin",
        DatasetKind.Cifar100 => "train.bin and test.bin",
        _ => "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz",
    };

    private static string InstallHint(DatasetKind kind, string requested) => kind switch
    {
        DatasetKind.FashionMnist => "Install Debian's package (apt-get install dataset-fashion-mnist, which puts the files in " +
            $"{DebianFashionMnistDirectory}) or pass the directory holding them, e.g. \"fashion-mnist:/path/to/dir\".",
        DatasetKind.Mnist => "Debian does not package MNIST; pass the directory holding the IDX files, e.g. \"mnist:/path/to/dir\".",
        _ => $"Pass the directory of the binary version, e.g. \"{DisplayName(kind)}:/path/to/dir\".",
    } + $" (request was '{requested}')";

    /// <summary>Returns the directory that actually holds the files of <paramref name="kind"/>, checking they exist.</summary>
    private static string LocateFiles(DatasetKind kind, string directory, string requested)
    {
        string? found = kind switch
        {
            DatasetKind.Cifar10 => FirstWith(Cifar10TrainFiles[0], directory, Path.Combine(directory, Cifar10Subdirectory)),
            DatasetKind.Cifar100 => FirstWith(Cifar100TrainFile, directory, Path.Combine(directory, Cifar100Subdirectory)),
            // A directory with only the test files serves the test split (the repo ships Fashion-MNIST's); the
            // training split then fails naming the missing training file.
            _ => FindIdx(directory, IdxTrainImages) is null && FindIdx(directory, IdxTestImages) is null ? null : directory,
        };
        if (found is null)
            throw new DatasetNotFoundException(requested,
                $"{DisplayName(kind)} not found in '{directory}': expected {ExpectedFiles(kind)}. {InstallHint(kind, requested)}");
        return found;
    }

    private static string? FirstWith(string file, params string[] directories) =>
        directories.FirstOrDefault(d => File.Exists(Path.Combine(d, file)));

    private static (DatasetKind, string) Detect(string directory)
    {
        if (FindIdx(directory, IdxTrainImages) is not null || FindIdx(directory, IdxTestImages) is not null)
        {
            // Both IDX datasets are read identically; the directory name only decides the display name.
            bool fashion = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)))
                .Contains("fashion", StringComparison.OrdinalIgnoreCase);
            return (fashion ? DatasetKind.FashionMnist : DatasetKind.Mnist, directory);
        }
        if (FirstWith(Cifar10TrainFiles[0], directory, Path.Combine(directory, Cifar10Subdirectory)) is { } cifar10)
            return (DatasetKind.Cifar10, cifar10);
        if (FirstWith(Cifar100TrainFile, directory, Path.Combine(directory, Cifar100Subdirectory)) is { } cifar100)
            return (DatasetKind.Cifar100, cifar100);
        throw new DatasetNotFoundException(directory,
            $"'{directory}' holds no known dataset: expected IDX files ({ExpectedFiles(DatasetKind.Mnist)}), CIFAR-10 " +
            $"({ExpectedFiles(DatasetKind.Cifar10)}) or CIFAR-100 ({ExpectedFiles(DatasetKind.Cifar100)}).");
    }

    /// <summary>The first existing file among the name variants, plain or with .gz (content decides compression).</summary>
    private static string? FindIdx(string directory, string[] names) =>
        names.SelectMany(n => new[] { n, n + ".gz" })
             .Select(n => Path.Combine(directory, n))
             .FirstOrDefault(File.Exists);

    private static string Require(string? path, DatasetKind kind, string directory, string what) =>
        path ?? throw new DatasetNotFoundException(directory,
            $"{DisplayName(kind)}: {what} not found in '{directory}'. {InstallHint(kind, directory)}");

    private static ImageDataset LoadOfficial(DatasetKind kind, string directory, bool training, DatasetLoadOptions options)
    {
        string name = DisplayName(kind) + (training ? "/train-full" : "/test");
        switch (kind)
        {
            case DatasetKind.Mnist or DatasetKind.FashionMnist:
            {
                string images = Require(FindIdx(directory, training ? IdxTrainImages : IdxTestImages), kind, directory,
                    (training ? IdxTrainImages : IdxTestImages)[0] + "[.gz]");
                string labels = Require(FindIdx(directory, training ? IdxTrainLabels : IdxTestLabels), kind, directory,
                    (training ? IdxTrainLabels : IdxTestLabels)[0] + "[.gz]");
                return IdxReader.ReadDataset(images, labels, classCount: 10, name);
            }
            case DatasetKind.Cifar10:
            {
                string[] files = training ? Cifar10TrainFiles : [Cifar10TestFile];
                string[] paths = files.Select(f => Require(FirstWith(f, directory) is null ? null : Path.Combine(directory, f),
                    kind, directory, f)).ToArray();
                return CifarReader.ReadCifar10Dataset(paths, name);
            }
            case DatasetKind.Cifar100:
            {
                string file = training ? Cifar100TrainFile : Cifar100TestFile;
                string path = Require(FirstWith(file, directory) is null ? null : Path.Combine(directory, file), kind, directory, file);
                return CifarReader.ReadCifar100Dataset([path], name, options.Cifar100Labels);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private static string BaseName(string name)
    {
        int slash = name.LastIndexOf('/');
        return slash > 0 ? name[..slash] : name;
    }
}
