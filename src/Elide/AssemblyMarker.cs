namespace Elide; internal static class AssemblyMarker { }
