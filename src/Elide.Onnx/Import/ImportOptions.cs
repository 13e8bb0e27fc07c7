namespace Elide.Onnx.Import;

/// <summary>Options for <see cref="OnnxImporter"/>.</summary>
public sealed record ImportOptions
{
    /// <summary>
    /// Concrete shapes for graph inputs by name, overriding the declared ones (use −1 for a free batch in
    /// dimension 0). Needed when an input has a free dimension other than the batch (e.g. a symbolic height).
    /// </summary>
    public IReadOnlyDictionary<string, int[]>? InputShapes { get; init; }

    /// <summary>
    /// Graph inputs to treat as constants with these values, exactly like initializers (e.g. weights that a model
    /// declares as inputs; Elide's Conv, BatchNormalization and Gemm need constant parameters).
    /// </summary>
    public IReadOnlyDictionary<string, OnnxTensor>? ConstantInputs { get; init; }

    /// <summary>Name shown in error messages (default: the file path, or "&lt;model&gt;").</summary>
    public string? SourceName { get; init; }
}
