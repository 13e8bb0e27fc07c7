namespace Elide.Onnx.Tests.Export;

/// <summary>A fact skipped (with the reason) when Debian's python3-onnx is not installed.</summary>
public sealed class PythonOnnxFactAttribute : FactAttribute
{
    public PythonOnnxFactAttribute()
    {
        if (ExternalTools.PythonOnnxMissing() is { } reason) Skip = reason;
    }
}

/// <summary>A theory skipped (with the reason) when onnxruntime-node is not installed under bench/peers.</summary>
public sealed class OnnxRuntimeTheoryAttribute : TheoryAttribute
{
    public OnnxRuntimeTheoryAttribute()
    {
        if (ExternalTools.OnnxRuntimeMissing() is { } reason) Skip = reason;
    }
}

/// <summary>A fact skipped (with the reason) when onnxruntime-node is not installed under bench/peers.</summary>
public sealed class OnnxRuntimeFactAttribute : FactAttribute
{
    public OnnxRuntimeFactAttribute()
    {
        if (ExternalTools.OnnxRuntimeMissing() is { } reason) Skip = reason;
    }
}
