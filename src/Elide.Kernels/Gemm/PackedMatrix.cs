using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Elide.Kernels.GemmTiling;

namespace Elide.Kernels;

/// <summary>
/// A left-hand GEMM operand (typically weights) packed once into the micro-kernel's MR-row panel layout, so
/// <see cref="Gemm.Multiply"/> skips packing A on every call.
/// </summary>
/// <remarks>Row panel q (rows q·MR … q·MR+MR−1) holds Depth×MR floats, depth-major; rows past <see cref="Rows"/> are
/// zero. The storage is pinned and 64-byte aligned for the lifetime of the object.</remarks>
public sealed unsafe class PackedMatrix
{
    private readonly float[] storage;

    private PackedMatrix(int rows, int depth)
    {
        Rows = rows;
        Depth = depth;
        long floats = (long)RoundUp(Math.Max(rows, 1), MR) * Math.Max(depth, 1);
        storage = GC.AllocateArray<float>(checked((int)floats + 16), pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(storage));
        Data = (float*)((start + 63) & ~(nint)63);
    }

    /// <summary>Rows of the matrix (M of the GEMM).</summary>
    public int Rows { get; }

    /// <summary>Columns of the matrix (K of the GEMM).</summary>
    public int Depth { get; }

    /// <summary>First float of panel 0.</summary>
    internal float* Data { get; }

    /// <summary>Packs an M×K matrix: element (i, p) is a[i·lda + p], or a[p·lda + i] when <paramref name="transposed"/>
    /// (the span then holds the K×M transpose).</summary>
    /// <param name="a">The source matrix, row-major.</param>
    /// <param name="rows">M, at least 0.</param>
    /// <param name="depth">K, at least 0.</param>
    /// <param name="lda">Distance between stored rows: at least <paramref name="depth"/> (or <paramref name="rows"/> when transposed).</param>
    /// <param name="transposed">Whether <paramref name="a"/> stores the transpose.</param>
    /// <exception cref="ArgumentException">A size is negative, <paramref name="lda"/> is too small, or the span is too short.</exception>
    public static PackedMatrix PackA(ReadOnlySpan<float> a, int rows, int depth, int lda, bool transposed = false)
    {
        if (rows < 0) throw new ArgumentException($"rows must be ≥ 0, got {rows}.", nameof(rows));
        if (depth < 0) throw new ArgumentException($"depth must be ≥ 0, got {depth}.", nameof(depth));
        int storedRows = transposed ? depth : rows;
        int storedCols = transposed ? rows : depth;
        if (lda < Math.Max(1, storedCols))
            throw new ArgumentException($"lda must be ≥ {Math.Max(1, storedCols)} for a {(transposed ? "transposed " : "")}{rows}×{depth} matrix, got {lda}.", nameof(lda));
        long needed = storedRows == 0 || storedCols == 0 ? 0 : (long)(storedRows - 1) * lda + storedCols;
        if (a.Length < needed)
            throw new ArgumentException($"a holds {a.Length} floats but a {rows}×{depth} matrix with lda {lda} needs {needed}.", nameof(a));

        var packed = new PackedMatrix(rows, depth);
        if (rows > 0 && depth > 0)
        {
            fixed (float* source = a)
            {
                nint rowStride = transposed ? 1 : lda;
                nint colStride = transposed ? lda : 1;
                GemmPacking.PackA(source, rowStride, colStride, rows, depth, packed.Data);
            }
        }
        return packed;
    }
}
