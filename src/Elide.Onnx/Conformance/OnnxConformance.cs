namespace Elide.Onnx.Conformance;

/// <summary>
/// Locates the ONNX backend conformance data (the <c>onnx/backend/test/data</c> tree: one folder per case
/// with <c>model.onnx</c> and <c>test_data_set_N/{input,output}_K.pb</c>). Debian ships it in the
/// <c>libonnx-testdata</c> package.
/// </summary>
public static class OnnxConformance
{
    /// <summary>Environment variable that overrides the search with an explicit data root.</summary>
    public const string DataRootVariable = "ELIDE_ONNX_TESTDATA";

    /// <summary>Where Debian's libonnx-testdata installs the data, and the links it adds for C++ and Python users.</summary>
    private static readonly string[] KnownRoots =
    [
        "/usr/share/libonnx-testdata/data",
        "/usr/include/onnx/backend/test/data",
        "/usr/lib/python3/dist-packages/onnx/backend/test/data",
    ];

    /// <summary>
    /// The data root (the folder holding <c>node/</c>, <c>simple/</c>, <c>pytorch-converted/</c>, ...), taken
    /// from <see cref="DataRootVariable"/> when set, otherwise the first known install location that
    /// exists; null when the data is not installed.
    /// </summary>
    public static string? FindDataRoot()
    {
        string? configured = Environment.GetEnvironmentVariable(DataRootVariable);
        if (!string.IsNullOrEmpty(configured))
            return Directory.Exists(configured) ? Path.GetFullPath(configured) : null;
        return KnownRoots.FirstOrDefault(root => Directory.Exists(Path.Combine(root, "node")));
    }

    /// <summary>
    /// The cases directly under <paramref name="directory"/> (e.g. <c>{root}/node</c>), in ordinal name order.
    /// Folders without a <c>model.onnx</c> (the <c>real/</c> cases only carry a download URL) are skipped.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IReadOnlyList<OnnxConformanceCase> EnumerateCases(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"conformance directory not found: {directory}");
        return Directory.EnumerateDirectories(directory)
            .Where(d => File.Exists(Path.Combine(d, OnnxConformanceCase.ModelFileName)))
            .Order(StringComparer.Ordinal)
            .Select(OnnxConformanceCase.Open)
            .ToArray();
    }

    /// <summary>Every case of every category under <paramref name="dataRoot"/> (node, simple, pytorch-converted, ...).</summary>
    public static IReadOnlyList<OnnxConformanceCase> EnumerateAllCases(string dataRoot) =>
        Directory.EnumerateDirectories(dataRoot)
            .Order(StringComparer.Ordinal)
            .SelectMany(EnumerateCases)
            .ToArray();
}
