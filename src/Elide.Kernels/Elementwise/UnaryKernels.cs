using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>The pointwise math operations of <see cref="UnaryKernels"/> (ONNX Abs, Neg, Sqrt, Reciprocal, Exp, Log).</summary>
public enum UnaryOperation
{
    /// <summary>|x|.</summary>
    Abs,
    /// <summary>−x.</summary>
    Negate,
    /// <summary>√x (correctly rounded; NaN for x &lt; 0).</summary>
    Sqrt,
    /// <summary>1/x (correctly rounded; ±∞ for ±0).</summary>
    Reciprocal,
    /// <summary>e^x (vector paths ≈ 1.2 ulp, see <see cref="VectorMath"/>).</summary>
    Exp,
    /// <summary>ln x (vector paths: Cephes logf method, see <see cref="VectorMath"/>; −∞ for 0, NaN for x &lt; 0).</summary>
    Log,
}

/// <summary>y[i] = op(x[i]). NaN in gives NaN out for every operation. x and y may be the same memory.</summary>
public static class UnaryKernels
{
    [ThreadStatic] private static UnaryTask? cachedTask;

    /// <summary>y[i] = op(x[i]) for every i of x.</summary>
    /// <exception cref="ArgumentException">y is shorter than x, or they overlap at different offsets.</exception>
    public static unsafe void Apply(UnaryOperation op, ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length)
            throw new ArgumentException($"y has {y.Length} elements but x has {x.Length}.", nameof(y));
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException("x and y overlap at different offsets; they must be disjoint or identical.", nameof(y));
        fixed (float* px = x) fixed (float* py = y)
            Apply(op, px, py, x.Length, null);
    }

    /// <summary>Pointer form, split across <paramref name="pool"/> when the length is at least 64K. Assumes valid input.</summary>
    public static unsafe void Apply(UnaryOperation op, float* x, float* y, nint length, WorkerPool? pool)
    {
        if (pool is null || pool.Threads == 1 || length < ActivationKernels.ParallelThreshold)
        {
            Run(op, x, y, length);
            return;
        }
        var task = cachedTask ?? new UnaryTask();
        cachedTask = null;
        task.Op = op;
        task.X = x;
        task.Y = y;
        task.Length = length;
        task.Parts = pool.Threads;
        try { pool.Run(task.Parts, task); }
        finally { cachedTask = task; }
    }

    private static unsafe void Run(UnaryOperation op, float* x, float* y, nint length)
    {
        switch (op)
        {
            case UnaryOperation.Abs: ActivationKernels.Map(new AbsOperator(), x, y, length); break;
            case UnaryOperation.Negate: ActivationKernels.Map(new NegateOperator(), x, y, length); break;
            case UnaryOperation.Sqrt: ActivationKernels.Map(new SqrtOperator(), x, y, length); break;
            case UnaryOperation.Reciprocal: ActivationKernels.Map(new ReciprocalOperator(), x, y, length); break;
            case UnaryOperation.Exp: ActivationKernels.Map(new ExpOperator(), x, y, length); break;
            case UnaryOperation.Log: ActivationKernels.Map(new LogOperator(), x, y, length); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown unary operation");
        }
    }

    private readonly struct AbsOperator : IUnaryOperator
    {
        public float Invoke(float x) => MathF.Abs(x);
        public Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);
        public Vector512<float> Invoke(Vector512<float> x) => Vector512.Abs(x);
    }

    private readonly struct NegateOperator : IUnaryOperator
    {
        public float Invoke(float x) => -x;
        public Vector256<float> Invoke(Vector256<float> x) => -x;
        public Vector512<float> Invoke(Vector512<float> x) => -x;
    }

    private readonly struct SqrtOperator : IUnaryOperator
    {
        public float Invoke(float x) => MathF.Sqrt(x);
        public Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x);
        public Vector512<float> Invoke(Vector512<float> x) => Vector512.Sqrt(x);
    }

    private readonly struct ReciprocalOperator : IUnaryOperator
    {
        public float Invoke(float x) => 1f / x;
        public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / x;
        public Vector512<float> Invoke(Vector512<float> x) => Vector512<float>.One / x;
    }

    private readonly struct ExpOperator : IUnaryOperator
    {
        public float Invoke(float x) => MathF.Exp(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => VectorMath.Exp(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => VectorMath.Exp(x);
    }

    private readonly struct LogOperator : IUnaryOperator
    {
        public float Invoke(float x) => MathF.Log(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => VectorMath.Log(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => VectorMath.Log(x);
    }

    private sealed unsafe class UnaryTask : IParallelTask
    {
        public UnaryOperation Op;
        public float* X, Y;
        public nint Length;
        public int Parts;

        public void Execute(int index)
        {
            nint blocks = (Length + 15) / 16;
            nint start = Math.Min(blocks * index / Parts * 16, Length);
            nint end = Math.Min(blocks * (index + 1) / Parts * 16, Length);
            Run(Op, X + start, Y + start, end - start);
        }
    }
}
