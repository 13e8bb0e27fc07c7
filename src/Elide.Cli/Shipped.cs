namespace Elide.Cli;

/// <summary>
/// The model and data shipped in the repository (models/, data/), found from the CLI's own location: `./elide` builds
/// into .elide-build/ inside the clone, so walking up from the binary reaches the repository root.
/// </summary>
internal static class Shipped
{
    /// <summary>The shipped Stochastic-Depth model, relative to the repository root.</summary>
    public const string ModelPath = "models/fashion-resnet32-sd.onnx";

    /// <summary>The conventionally trained baseline's front, relative to the repository root.</summary>
    public const string BaselineFrontPath = "models/fashion-resnet32.front.json";

    /// <summary>The shipped Fashion-MNIST test split, relative to the repository root.</summary>
    public const string TestDataPath = "data/fashion-mnist";

    /// <summary>The repository root (the directory holding Elide.slnx above the binary), or null when run from elsewhere.</summary>
    public static string? Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Elide.slnx"))) return dir.FullName;
        return null;
    }

    /// <summary>The shipped model's path.</summary>
    /// <exception cref="FileNotFoundException">Not run from a clone, or the model is missing.</exception>
    public static string Model()
    {
        string? root = Root();
        string? path = root is null ? null : Path.Combine(root, ModelPath);
        if (path is null || !File.Exists(path))
            throw new FileNotFoundException($"no --model given and the shipped model ({ModelPath}) is not there " +
                                            (root is null ? "(the CLI is not running from a clone of the repository)" : $"under {root}") +
                                            "; pass --model M.onnx");
        return path;
    }

    /// <summary>The baseline front beside the shipped model, if present.</summary>
    public static string? BaselineFront() =>
        Root() is { } root && File.Exists(Path.Combine(root, BaselineFrontPath)) ? Path.Combine(root, BaselineFrontPath) : null;

    /// <summary>
    /// The dataset spec of Fashion-MNIST's test split: Debian's package when installed, else the repository's copy;
    /// null when neither is there.
    /// </summary>
    public static string? FashionMnistTest()
    {
        if (Directory.Exists(Data.DatasetCatalog.DebianFashionMnistDirectory)) return "fashion-mnist";
        return Root() is { } root && Directory.Exists(Path.Combine(root, TestDataPath)) ? "fashion-mnist:" + Path.Combine(root, TestDataPath) : null;
    }
}
