using System.Runtime.CompilerServices;

namespace Elide.Kernels;

/// <summary>Data movement between tensor layouts: transpose, concat/split along an axis, strided slice, constant pad.
/// Every kernel copies values bit for bit (NaN payloads included) and allocates nothing.</summary>
public static partial class LayoutKernels
{
    /// <summary>Edge of the square tiles of the blocked 2-D path: 16×16 floats is 16 cache lines read and 16 written.</summary>
    private const int Tile = 16;

    /// <summary>
    /// ONNX Transpose: y has shape[permutation[j]] as dimension j, and y[i₀,…,iₙ₋₁] = x[index with i_j at position
    /// permutation[j]]. Both tensors are row-major.
    /// </summary>
    /// <remarks>
    /// Dimensions of extent 1 are dropped and output dimensions that stay adjacent in x are merged, so e.g. NCHW → NHWC
    /// becomes a batch of [C, H·W] → [H·W, C] transposes. If the innermost merged dimension is contiguous in both
    /// tensors, rows are block-copied; otherwise the dimension contiguous in x and the one contiguous in y are
    /// transposed in 16×16 tiles so both streams touch whole cache lines, and the rest is walked by an odometer.
    /// </remarks>
    /// <exception cref="ArgumentException">permutation is not a permutation of [0, rank); a dimension is negative; x or y
    /// does not hold the shape's element count; or x and y overlap.</exception>
    public static unsafe void Transpose(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, ReadOnlySpan<int> permutation, Span<float> y)
    {
        int rank = shape.Length;
        if (permutation.Length != rank)
            throw new ArgumentException($"permutation has {permutation.Length} entries but the shape {BinaryKernels.Format(shape)} has rank {rank}.", nameof(permutation));
        Span<bool> seen = stackalloc bool[rank];
        foreach (int p in permutation)
        {
            if ((uint)p >= (uint)rank || seen[p])
                throw new ArgumentException($"{BinaryKernels.Format(permutation)} is not a permutation of [0, {rank}).", nameof(permutation));
            seen[p] = true;
        }
        long count = CheckedCount(shape, nameof(shape));
        if (x.Length != count) throw new ArgumentException($"x has {x.Length} elements but shape {BinaryKernels.Format(shape)} has {count}.", nameof(x));
        if (y.Length != count) throw new ArgumentException($"y has {y.Length} elements but shape {BinaryKernels.Format(shape)} has {count}.", nameof(y));
        if (count == 0) return;
        if (x.Overlaps(y)) throw new ArgumentException("Transpose cannot run in place: x and y overlap.", nameof(y));
        fixed (float* px = x) fixed (float* py = y)
            Transpose(px, shape, permutation, py);
    }

    /// <summary>Pointer form of <see cref="Transpose(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>.
    /// Assumes valid input.</summary>
    public static unsafe void Transpose(float* x, ReadOnlySpan<int> shape, ReadOnlySpan<int> permutation, float* y)
    {
        int rank = shape.Length;
        Span<nint> inputStride = stackalloc nint[Math.Max(rank, 1)];
        nint running = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            if (shape[d] == 0) return;
            inputStride[d] = running;
            running *= shape[d];
        }

        // Output dimensions with their stride in x, size-1 dropped, x-adjacent neighbours merged.
        Span<nint> extent = stackalloc nint[Math.Max(rank, 1)];
        Span<nint> xStride = stackalloc nint[Math.Max(rank, 1)];
        int merged = 0;
        for (int j = 0; j < rank; j++)
        {
            int e = shape[permutation[j]];
            if (e == 1) continue;
            nint s = inputStride[permutation[j]];
            if (merged > 0 && xStride[merged - 1] == s * e)
            {
                extent[merged - 1] *= e;
                xStride[merged - 1] = s;
                continue;
            }
            extent[merged] = e;
            xStride[merged] = s;
            merged++;
        }
        if (merged == 0)
        {
            *y = *x;
            return;
        }
        extent = extent[..merged];
        xStride = xStride[..merged];
        Span<nint> yStride = stackalloc nint[merged];
        running = 1;
        for (int j = merged - 1; j >= 0; j--)
        {
            yStride[j] = running;
            running *= extent[j];
        }

        int last = merged - 1;
        if (xStride[last] == 1)
        {
            CopyRows(x, y, extent, xStride, yStride);
            return;
        }
        int contiguous = xStride.IndexOf(1);
        TransposeTiles(x, y, extent, xStride, yStride, contiguous);
    }

    /// <summary>Innermost dimension contiguous in both: copy rows of extent[last] for every outer index.</summary>
    private static unsafe void CopyRows(float* x, float* y, ReadOnlySpan<nint> extent, ReadOnlySpan<nint> xStride, ReadOnlySpan<nint> yStride)
    {
        int last = extent.Length - 1;
        nint rowLength = extent[last];
        Span<nint> index = stackalloc nint[Math.Max(last, 1)];
        nint xOffset = 0, yOffset = 0;
        while (true)
        {
            new ReadOnlySpan<float>(x + xOffset, (int)rowLength).CopyTo(new Span<float>(y + yOffset, (int)rowLength));
            if (!Advance(index, extent[..last], xStride, yStride, -1, ref xOffset, ref yOffset)) return;
        }
    }

    /// <summary>Transposes dimension <paramref name="a"/> (contiguous in x) against the last dimension (contiguous in y)
    /// in tiles, for every index of the other dimensions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TransposeTiles(float* x, float* y, ReadOnlySpan<nint> extent, ReadOnlySpan<nint> xStride,
        ReadOnlySpan<nint> yStride, int a)
    {
        int last = extent.Length - 1;
        nint rows = extent[a], columns = extent[last];
        nint yRowStride = yStride[a], xColumnStride = xStride[last];
        Span<nint> index = stackalloc nint[Math.Max(last, 1)];
        nint xOffset = 0, yOffset = 0;
        while (true)
        {
            float* xb = x + xOffset, yb = y + yOffset;
            for (nint r0 = 0; r0 < rows; r0 += Tile)
            {
                nint r1 = Math.Min(r0 + Tile, rows);
                for (nint c0 = 0; c0 < columns; c0 += Tile)
                {
                    nint c1 = Math.Min(c0 + Tile, columns);
                    for (nint r = r0; r < r1; r++)
                    {
                        float* yr = yb + r * yRowStride;
                        float* xr = xb + r;
                        for (nint c = c0; c < c1; c++) yr[c] = xr[c * xColumnStride];
                    }
                }
            }
            if (!Advance(index, extent[..last], xStride, yStride, a, ref xOffset, ref yOffset)) return;
        }
    }

    /// <summary>Odometer step over dims [0, extent.Length) except <paramref name="skip"/>; false when it wraps around.</summary>
    private static bool Advance(Span<nint> index, ReadOnlySpan<nint> extent, ReadOnlySpan<nint> xStride, ReadOnlySpan<nint> yStride,
        int skip, ref nint xOffset, ref nint yOffset)
    {
        for (int d = extent.Length - 1; d >= 0; d--)
        {
            if (d == skip) continue;
            xOffset += xStride[d];
            yOffset += yStride[d];
            if (++index[d] < extent[d]) return true;
            xOffset -= xStride[d] * extent[d];
            yOffset -= yStride[d] * extent[d];
            index[d] = 0;
        }
        return false;
    }

    private static long CheckedCount(ReadOnlySpan<int> shape, string name)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape {BinaryKernels.Format(shape)} has a negative dimension.", name);
            count *= d;
        }
        return count;
    }
}
