using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Elide.Kernels;

/// <summary>ONNX LayerNormalization (opset 17) over the trailing dimensions, flattened to [rows, size].</summary>
/// <remarks>
/// Per row: μ = mean(x), σ² = mean((x − μ)²) (the population variance), y = (x − μ)/√(σ² + ε)·scale + bias.
/// Computed with shifted data (Chan, Golub and LeVeque, "Algorithms for computing the sample variance", 1983): with
/// s = x[0], d = x − s is exact for values near s, μ − s = mean(d) keeps the digits a float μ near |s| would lose, and
/// σ² = mean((d − (μ − s))²) is a second pass, never E[x²] − μ², which cancels catastrophically when |μ| ≫ σ.
/// NaN in a row makes the whole row NaN (it reaches μ). x and y may be the same memory.
/// </remarks>
public static class LayerNormKernels
{
    /// <summary>y[r, i] = (x[r, i] − μᵣ) / √(σᵣ² + ε) · scale[i] + bias[i] (see the type remarks).</summary>
    /// <param name="rows">Product of the dimensions before the normalized axis.</param>
    /// <param name="size">Product of the normalized dimensions (axis to the end).</param>
    /// <param name="x">Input, [rows, size].</param>
    /// <param name="scale">Scale, [size].</param>
    /// <param name="bias">Bias, [size], or empty for none.</param>
    /// <param name="epsilon">Added to the variance.</param>
    /// <param name="y">Output, [rows, size].</param>
    /// <exception cref="ArgumentException">A size is negative (or size is 0 with rows &gt; 0); a span length does not match;
    /// or x and y overlap other than exactly.</exception>
    public static unsafe void LayerNorm(int rows, int size, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias,
        float epsilon, Span<float> y)
    {
        if (rows < 0 || size < 0 || (size == 0 && rows > 0))
            throw new ArgumentException($"rows = {rows} and size = {size} must be non-negative, and size positive when there are rows.");
        long count = (long)rows * size;
        if (x.Length != count) throw new ArgumentException($"x has {x.Length} elements but {rows}×{size} = {count}.", nameof(x));
        if (y.Length != count) throw new ArgumentException($"y has {y.Length} elements but {rows}×{size} = {count}.", nameof(y));
        if (scale.Length != size) throw new ArgumentException($"scale has {scale.Length} elements but size is {size}.", nameof(scale));
        if (bias.Length != size && !bias.IsEmpty) throw new ArgumentException($"bias has {bias.Length} elements but size is {size}.", nameof(bias));
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException("x and y overlap at different offsets; they must be disjoint or identical.", nameof(y));
        fixed (float* px = x) fixed (float* ps = scale) fixed (float* pb = bias) fixed (float* py = y)
            LayerNorm(rows, size, px, ps, bias.IsEmpty ? null : pb, epsilon, py);
    }

    /// <summary>Pointer form of LayerNorm; <paramref name="bias"/> may be null. Assumes valid input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void LayerNorm(int rows, int size, float* x, float* scale, float* bias, float epsilon, float* y)
    {
        for (int r = 0; r < rows; r++)
        {
            float* xr = x + (nint)r * size, yr = y + (nint)r * size;
            float shift = xr[0];
            float offset = ShiftedSum(xr, shift, size) / size;
            float inverse = 1f / MathF.Sqrt(SquaredDeviations(xr, shift, offset, size) / size + epsilon);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> vs = Vector512.Create(shift), vo = Vector512.Create(offset), vi = Vector512.Create(inverse);
                for (; i <= size - 16; i += 16)
                {
                    var normalized = (Vector512.Load(xr + i) - vs - vo) * vi;
                    var b = bias == null ? Vector512<float>.Zero : Vector512.Load(bias + i);
                    Vector512.FusedMultiplyAdd(normalized, Vector512.Load(scale + i), b).Store(yr + i);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> vs = Vector256.Create(shift), vo = Vector256.Create(offset), vi = Vector256.Create(inverse);
                for (; i <= size - 8; i += 8)
                {
                    var normalized = (Vector256.Load(xr + i) - vs - vo) * vi;
                    var b = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + i);
                    Vector256.FusedMultiplyAdd(normalized, Vector256.Load(scale + i), b).Store(yr + i);
                }
            }
            for (; i < size; i++)
                yr[i] = (xr[i] - shift - offset) * inverse * scale[i] + (bias == null ? 0f : bias[i]);
        }
    }

    /// <summary>Σ (x[i] − shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float ShiftedSum(float* x, float shift, int length)
    {
        int i = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && length >= 16)
        {
            var vs = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i <= length - 16; i += 16) acc += Vector512.Load(x + i) - vs;
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && length >= 8)
        {
            var vs = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i <= length - 8; i += 8) acc += Vector256.Load(x + i) - vs;
            sum = Vector256.Sum(acc);
        }
        for (; i < length; i++) sum += x[i] - shift;
        return sum;
    }

    /// <summary>Σ (x[i] − shift − offset)².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float SquaredDeviations(float* x, float shift, float offset, int length)
    {
        int i = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && length >= 16)
        {
            Vector512<float> vs = Vector512.Create(shift), vo = Vector512.Create(offset);
            var acc = Vector512<float>.Zero;
            for (; i <= length - 16; i += 16)
            {
                var d = Vector512.Load(x + i) - vs - vo;
                acc = Vector512.FusedMultiplyAdd(d, d, acc);
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && length >= 8)
        {
            Vector256<float> vs = Vector256.Create(shift), vo = Vector256.Create(offset);
            var acc = Vector256<float>.Zero;
            for (; i <= length - 8; i += 8)
            {
                var d = Vector256.Load(x + i) - vs - vo;
                acc = Vector256.FusedMultiplyAdd(d, d, acc);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < length; i++)
        {
            float d = x[i] - shift - offset;
            sum += d * d;
        }
        return sum;
    }
}
