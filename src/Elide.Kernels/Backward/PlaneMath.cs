using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Elide.Kernels;

/// <summary>
/// Vectorized reductions and pointwise updates over one contiguous plane, shared by the training kernels.
/// Each method tries Vector512 → Vector256 → scalar; the scalar tail loop is the definition.
/// </summary>
/// <remarks>
/// Sums accumulate in float lanes within a plane (a CIFAR plane has at most 1024 elements, so the rounding error
/// stays near 1e-7 relative); callers accumulate planes in double.
/// </remarks>
public static unsafe class PlaneMath
{
    /// <summary>Σ p[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Sum(float* p, int n)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) acc += Vector512.Load(p + i);
            s = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) acc += Vector256.Load(p + i);
            s = Vector256.Sum(acc);
        }
        for (; i < n; i++) s += p[i];
        return s;
    }

    /// <summary>Σ (p[i] − center)².</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SumSquaredDeviation(float* p, int n, float center)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            var c = Vector512.Create(center);
            for (; i <= n - 16; i += 16)
            {
                var d = Vector512.Load(p + i) - c;
                acc += d * d;
            }
            s = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            var c = Vector256.Create(center);
            for (; i <= n - 8; i += 8)
            {
                var d = Vector256.Load(p + i) - c;
                acc += d * d;
            }
            s = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float d = p[i] - center;
            s += d * d;
        }
        return s;
    }

    /// <summary>Σ a[i]·(b[i] − center).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SumProductCentered(float* a, float* b, int n, float center)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            var c = Vector512.Create(center);
            for (; i <= n - 16; i += 16) acc += Vector512.Load(a + i) * (Vector512.Load(b + i) - c);
            s = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            var c = Vector256.Create(center);
            for (; i <= n - 8; i += 8) acc += Vector256.Load(a + i) * (Vector256.Load(b + i) - c);
            s = Vector256.Sum(acc);
        }
        for (; i < n; i++) s += a[i] * (b[i] - center);
        return s;
    }

    /// <summary>y[i] = (x[i] − center)·scale + shift. Centering first avoids cancellation when scale is large.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CenteredAffine(float* x, int n, float center, float scale, float shift, float* y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(center);
            var a = Vector512.Create(scale);
            var b = Vector512.Create(shift);
            for (; i <= n - 16; i += 16) Vector512.Store((Vector512.Load(x + i) - m) * a + b, y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var m = Vector256.Create(center);
            var a = Vector256.Create(scale);
            var b = Vector256.Create(shift);
            for (; i <= n - 8; i += 8) Vector256.Store((Vector256.Load(x + i) - m) * a + b, y + i);
        }
        for (; i < n; i++) y[i] = (x[i] - center) * scale + shift;
    }

    /// <summary>z[i] = a·x[i] + b·(y[i] − center) + c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CenteredLinearCombination(float a, float* x, float b, float* y, float center, float c, int n, float* z)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            var vc = Vector512.Create(c);
            var vm = Vector512.Create(center);
            for (; i <= n - 16; i += 16) Vector512.Store(va * Vector512.Load(x + i) + vb * (Vector512.Load(y + i) - vm) + vc, z + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            var vc = Vector256.Create(c);
            var vm = Vector256.Create(center);
            for (; i <= n - 8; i += 8) Vector256.Store(va * Vector256.Load(x + i) + vb * (Vector256.Load(y + i) - vm) + vc, z + i);
        }
        for (; i < n; i++) z[i] = a * x[i] + b * (y[i] - center) + c;
    }

    /// <summary>y[i] += x[i] for i in [0, n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddInPlace(float* y, float* x, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16) Vector512.Store(Vector512.Load(y + i) + Vector512.Load(x + i), y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(y + i) + Vector256.Load(x + i), y + i);
        }
        for (; i < n; i++) y[i] += x[i];
    }

    /// <summary>z[i] = x[i] + y[i] for i in [0, n) (z may be x or y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* x, float* y, float* z, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16) Vector512.Store(Vector512.Load(x + i) + Vector512.Load(y + i), z + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(x + i) + Vector256.Load(y + i), z + i);
        }
        for (; i < n; i++) z[i] = x[i] + y[i];
    }

    /// <summary>y[i] = factor·x[i] for i in [0, n) (y may be x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(float* x, float factor, float* y, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var f = Vector512.Create(factor);
            for (; i <= n - 16; i += 16) Vector512.Store(Vector512.Load(x + i) * f, y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var f = Vector256.Create(factor);
            for (; i <= n - 8; i += 8) Vector256.Store(Vector256.Load(x + i) * f, y + i);
        }
        for (; i < n; i++) y[i] = factor * x[i];
    }

    /// <summary>y[i] = x[i] if x[i] &gt; 0, else 0, for i in [0, n) (y may be x; NaN gives 0 in every path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(float* x, float* y, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.Load(x + i);
                Vector512.Store(Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, Vector512<float>.Zero), y + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Load(x + i);
                Vector256.Store(Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, Vector256<float>.Zero), y + i);
            }
        }
        for (; i < n; i++) y[i] = x[i] > 0f ? x[i] : 0f;
    }

    /// <summary>p[i] = value.</summary>
    public static void Fill(float* p, int n, float value) => new Span<float>(p, n).Fill(value);
}
