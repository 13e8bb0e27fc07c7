namespace Elide.Onnx; internal static class AssemblyMarker { }
