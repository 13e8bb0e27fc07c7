using Elide.Onnx.Conformance;

namespace Elide.Onnx.Tests.Conformance;

/// <summary>A fact that is skipped, with the reason, when the ONNX conformance data is not installed.</summary>
public sealed class ConformanceFactAttribute : FactAttribute
{
    public ConformanceFactAttribute()
    {
        if (OnnxConformance.FindDataRoot() is null)
            Skip = "ONNX conformance data not found: install it with 'apt-get install libonnx-testdata' or set "
                   + OnnxConformance.DataRootVariable + " to the data folder";
    }
}
