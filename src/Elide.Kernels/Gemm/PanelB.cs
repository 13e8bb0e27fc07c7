using System.Runtime.CompilerServices;

namespace Elide.Kernels;

/// <summary>
/// How a micro-kernel finds row p (NR consecutive floats) of its B panel. Implemented by structs so the JIT
/// specializes and inlines the micro-kernel for each addressing mode.
/// </summary>
internal unsafe interface IPanelB<TSelf> where TSelf : struct, IPanelB<TSelf>
{
    /// <summary>Address of the NR floats of B at depth <paramref name="p"/> (relative to the panel's first row).</summary>
    float* Row(nint p);

    /// <summary>The same rows starting <paramref name="columns"/> floats further right (a register block's columns).</summary>
    TSelf Shift(nint columns);

    /// <summary>Whether row p + 1 is always <see cref="RowStep"/> floats after row p, so a k loop can step a pointer
    /// instead of computing every row's address (a JIT-time constant per implementation).</summary>
    static abstract bool EvenlySpaced { get; }

    /// <summary>Floats from one row to the next when <see cref="EvenlySpaced"/>.</summary>
    nint RowStep { get; }
}

/// <summary>A packed panel: row p starts NR floats after row p − 1.</summary>
internal readonly unsafe struct PackedPanelB(float* start) : IPanelB<PackedPanelB>
{
    /// <summary>start + p·NR, scaled in bytes so the JIT emits one shift (it does not merge ·NR with ·sizeof(float)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(nint p) => (float*)((byte*)start + p * (GemmTiling.NR * sizeof(float)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public PackedPanelB Shift(nint columns) => new(start + columns);

    public static bool EvenlySpaced => true;

    public nint RowStep => GemmTiling.NR;
}

/// <summary>An unpacked row-major matrix read in place: row p is <c>stride</c> floats after row p − 1.</summary>
internal readonly unsafe struct StridedPanelB(float* start, int stride) : IPanelB<StridedPanelB>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(nint p) => start + p * stride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public StridedPanelB Shift(nint columns) => new(start + columns, stride);

    public static bool EvenlySpaced => true;

    public nint RowStep => stride;
}

/// <summary>
/// Rows found through a table of offsets: the implicit-GEMM convolution reads row (ic, kh, kw) straight out of the
/// padded input image, whose rows are not evenly spaced.
/// </summary>
internal readonly unsafe struct OffsetPanelB(float* start, int* offsets) : IPanelB<OffsetPanelB>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(nint p) => start + offsets[p];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public OffsetPanelB Shift(nint columns) => new(start + columns, offsets);

    public static bool EvenlySpaced => false;

    public nint RowStep => 0;
}
