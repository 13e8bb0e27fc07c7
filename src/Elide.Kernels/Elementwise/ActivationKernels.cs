using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>Applies an <see cref="Activation"/> element by element: y[i] = activation(x[i]).</summary>
/// <remarks>
/// The scalar definition is <see cref="Activation.Apply(float)"/>. Vector paths (Vector512, then Vector256) agree
/// with it exactly for the piecewise-linear kinds; Sigmoid and Tanh use the polynomial e^x of
/// <see cref="VectorMath"/>; measured against double precision over [−20, 20] (ActivationKernelsTests), the vector
/// paths err by at most 2.9 ulp (Sigmoid) and 1.3 ulp (Tanh), and e^x itself by 1.24 ulp (relative 1.18e−7).
/// NaN inputs give NaN outputs for every kind; ±∞ map to the function's limits (Sigmoid 1/0, Tanh ±1, Relu ∞/0).
/// </remarks>
public static class ActivationKernels
{
    /// <summary>Elements below which a pool fan-out costs more than it saves.</summary>
    internal const int ParallelThreshold = 1 << 16;

    [ThreadStatic] private static ActivationTask? cachedTask;

    /// <summary>y[i] = activation(x[i]) for every i. <paramref name="x"/> and <paramref name="y"/> may be the same memory.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is shorter than <paramref name="x"/>, or the spans
    /// overlap without being identical.</exception>
    public static unsafe void Apply(in Activation activation, ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length)
            throw new ArgumentException($"y has {y.Length} elements but x has {x.Length}.", nameof(y));
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException("x and y overlap at different offsets; they must be disjoint or identical.", nameof(y));
        fixed (float* px = x)
        fixed (float* py = y)
            Apply(activation, px, py, x.Length, pool: null);
    }

    /// <summary>y[i] = activation(x[i]) for i in [0, <paramref name="length"/>), split across <paramref name="pool"/>
    /// when the length is large enough to pay for the fan-out. Assumes valid pointers; x == y is allowed.</summary>
    public static unsafe void Apply(in Activation activation, float* x, float* y, nint length, WorkerPool? pool)
    {
        if (pool is null || pool.Threads == 1 || length < ParallelThreshold)
        {
            Run(activation, x, y, length);
            return;
        }
        var task = cachedTask ?? new ActivationTask();
        cachedTask = null;
        task.Activation = activation;
        task.X = x;
        task.Y = y;
        task.Length = length;
        task.Parts = pool.Threads;
        try { pool.Run(task.Parts, task); }
        finally { cachedTask = task; }
    }

    internal static unsafe void Run(in Activation activation, float* x, float* y, nint length)
    {
        var visitor = new MapVisitor { X = x, Y = y, Length = length };
        ActivationDispatch.Accept(activation, ref visitor);
    }

    /// <summary>The vector driver: Vector512 blocks, then at most one Vector256 block, then scalars.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Map<TOperator>(TOperator op, float* x, float* y, nint length) where TOperator : struct, IUnaryOperator
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - 32; i += 32)
            {
                var v0 = op.Invoke(Vector512.Load(x + i));
                var v1 = op.Invoke(Vector512.Load(x + i + 16));
                v0.Store(y + i);
                v1.Store(y + i + 16);
            }
            if (i <= length - 16)
            {
                op.Invoke(Vector512.Load(x + i)).Store(y + i);
                i += 16;
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - 8; i += 8)
                op.Invoke(Vector256.Load(x + i)).Store(y + i);
        }
        for (; i < length; i++)
            y[i] = op.Invoke(x[i]);
    }

    private unsafe struct MapVisitor : IActivationVisitor
    {
        public float* X;
        public float* Y;
        public nint Length;

        public void Visit<TActivation>(TActivation activation) where TActivation : struct, IUnaryOperator =>
            Map(activation, X, Y, Length);
    }

    private sealed unsafe class ActivationTask : IParallelTask
    {
        public Activation Activation;
        public float* X;
        public float* Y;
        public nint Length;
        public int Parts;

        public void Execute(int index)
        {
            // Chunk bounds are rounded to 16 floats so every chunk but the last runs whole vectors.
            nint blocks = (Length + 15) / 16;
            nint start = Math.Min(blocks * index / Parts * 16, Length);
            nint end = Math.Min(blocks * (index + 1) / Parts * 16, Length);
            Run(Activation, X + start, Y + start, end - start);
        }
    }
}
