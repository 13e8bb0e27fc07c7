using Elide.Graph;

namespace Elide.Server.Models;

/// <summary>One model to serve.</summary>
/// <param name="Name">The name in URLs: the file name without `.onnx`, or the built-in architecture's name.</param>
/// <param name="Source">What the loader understands: a file path or a built-in name.</param>
/// <param name="FrontPath">The Pareto front JSON (`elide explore --report`), or null for the built-in default ladder.</param>
public sealed record ModelSpec(string Name, string Source, string? FrontPath)
{
    /// <summary>
    /// The spec for a `--model` argument: the name is the file name without `.onnx` (or the argument itself for a
    /// built-in), and the front is `&lt;dir&gt;/&lt;name&gt;.front.json` when that file exists.
    /// </summary>
    public static ModelSpec FromArgument(string source, string? frontPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        bool isFile = File.Exists(source);
        string name = isFile ? Path.GetFileNameWithoutExtension(source) : source;
        if (frontPath is null && isFile)
        {
            string candidate = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(source))!, name + ".front.json");
            if (File.Exists(candidate)) frontPath = candidate;
        }
        return new ModelSpec(name, source, frontPath);
    }
}

/// <summary>
/// Turns a <see cref="ModelSpec"/> into a graph. The server library stays independent of where models come from
/// (the CLI plugs in its built-ins and the ONNX importer; tests plug in small synthetic networks).
/// </summary>
public interface IModelLoader
{
    /// <summary>Loads the graph.</summary>
    /// <exception cref="ArgumentException">The source names nothing loadable.</exception>
    ComputeGraph Load(ModelSpec spec);
}
