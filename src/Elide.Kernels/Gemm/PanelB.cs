using System.Runtime.CompilerServices;

namespace Elide.Kernels;

/// <summary>
/// How a micro-kernel finds row p (NR consecutive floats) of its B panel. Implemented by structs so the JIT
/// specializes and inlines the micro-kernel for each addressing mode.
/// </summary>
internal unsafe interface IPanelB
{
    /// <summary>Address of the NR floats of B at depth <paramref name="p"/> (relative to the panel's first row).</summary>
    float* Row(int p);
}

/// <summary>A packed panel: row p starts NR floats after row p − 1.</summary>
internal readonly unsafe struct PackedPanelB(float* start) : IPanelB
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(int p) => start + (nint)p * GemmTiling.NR;
}

/// <summary>An unpacked row-major matrix read in place: row p is <c>stride</c> floats after row p − 1.</summary>
internal readonly unsafe struct StridedPanelB(float* start, int stride) : IPanelB
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(int p) => start + (nint)p * stride;
}

/// <summary>
/// Rows found through a table of offsets: the implicit-GEMM convolution reads row (ic, kh, kw) straight out of the
/// padded input image, whose rows are not evenly spaced.
/// </summary>
internal readonly unsafe struct OffsetPanelB(float* start, int* offsets) : IPanelB
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(int p) => start + offsets[p];
}
