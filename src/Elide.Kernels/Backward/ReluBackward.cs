using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Elide.Kernels;

/// <summary>
/// Gradient of y = max(x, 0): ∂x = ∂y where y &gt; 0, else 0 (the subgradient at 0 is taken as 0, as in PyTorch).
/// Takes the forward output y, so the input need not be kept.
/// </summary>
public static unsafe class ReluBackward
{
    /// <summary>The definition.</summary>
    public static void BackwardScalar(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
    }

    /// <summary>Vectorized <see cref="BackwardScalar"/> over <paramref name="count"/> elements; dx may alias dy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(float* y, float* dy, float* dx, long count)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16)
                Vector512.Store(Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(y + i), Vector512<float>.Zero),
                    Vector512.Load(dy + i), Vector512<float>.Zero), dx + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 8; i += 8)
                Vector256.Store(Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Load(y + i), Vector256<float>.Zero),
                    Vector256.Load(dy + i), Vector256<float>.Zero), dx + i);
        }
        for (; i < count; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
    }
}
