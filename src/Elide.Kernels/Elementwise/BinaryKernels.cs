using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>
/// y = activation(a op b) with numpy broadcasting (ONNX "multidirectional broadcasting", Broadcasting.md):
/// shapes are right-aligned, missing leading dimensions count as 1, and a dimension of 1 stretches to match.
/// </summary>
/// <remarks>
/// NaN in either operand gives NaN for every operation (Maximum and Minimum included), before the activation,
/// which propagates it too. The shapes are reduced to a <see cref="BroadcastPlan"/>; same shape, scalar operand,
/// per-channel [C,1,1], row [1,W] and column [H,1] operands all run as contiguous vector rows.
/// </remarks>
public static class BinaryKernels
{
    [ThreadStatic] private static BinaryTask? cachedTask;

    /// <summary>The numpy broadcast of two shapes.</summary>
    /// <exception cref="ArgumentException">The shapes are incompatible (the message names both) or a dimension is negative.</exception>
    public static int[] BroadcastShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int d = 1; d <= rank; d++)
        {
            int ea = d <= a.Length ? a[^d] : 1;
            int eb = d <= b.Length ? b[^d] : 1;
            if (ea < 0 || eb < 0) throw new ArgumentException($"Shapes {Format(a)} and {Format(b)} have a negative dimension.");
            if (ea != eb && ea != 1 && eb != 1)
                throw new ArgumentException($"Shapes {Format(a)} and {Format(b)} cannot be broadcast together (dimension {rank - d}: {ea} vs {eb}).");
            result[rank - d] = ea == 1 ? eb : ea;
        }
        return result;
    }

    /// <summary>y = activation(a op b), broadcasting a and b to their common shape (see the type remarks).</summary>
    /// <param name="op">The operation.</param>
    /// <param name="a">The left operand, row-major with shape <paramref name="aShape"/>.</param>
    /// <param name="aShape">Shape of a (rank 0 is a scalar).</param>
    /// <param name="b">The right operand, row-major with shape <paramref name="bShape"/>.</param>
    /// <param name="bShape">Shape of b.</param>
    /// <param name="y">The output, row-major with the broadcast shape. May be the same memory as an operand whose shape
    /// equals the output shape (an in-place residual add, for instance).</param>
    /// <param name="activation">Applied to each result; none by default.</param>
    /// <exception cref="ArgumentException">The shapes are incompatible; a span's length is not its shape's element
    /// count; or y overlaps an operand other than exactly and with the full output shape.</exception>
    public static unsafe void Apply(BinaryOperation op, ReadOnlySpan<float> a, ReadOnlySpan<int> aShape,
        ReadOnlySpan<float> b, ReadOnlySpan<int> bShape, Span<float> y, in Activation activation = default)
    {
        var plan = CreatePlan(aShape, bShape);
        CheckLength(a.Length, aShape, nameof(a));
        CheckLength(b.Length, bShape, nameof(b));
        if (y.Length != plan.Total)
            throw new ArgumentException($"y has {y.Length} elements but the broadcast of {Format(aShape)} and {Format(bShape)} has {plan.Total}.", nameof(y));
        CheckAlias(a, y, nameof(a));
        CheckAlias(b, y, nameof(b));
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* py = y)
            Run(op, activation, plan, pa, pb, py, null);
    }

    /// <summary>Pointer form of <see cref="Apply(BinaryOperation, ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, in Activation)"/>
    /// that splits rows (or, for few long rows, columns) across <paramref name="pool"/> when the output has at least
    /// 64K elements. Assumes the pointers cover their shapes.</summary>
    /// <exception cref="ArgumentException">The shapes are incompatible.</exception>
    public static unsafe void Apply(BinaryOperation op, float* a, ReadOnlySpan<int> aShape, float* b, ReadOnlySpan<int> bShape,
        float* y, in Activation activation, WorkerPool? pool)
    {
        var plan = CreatePlan(aShape, bShape);
        Run(op, activation, plan, a, b, y, pool);
    }

    private static BroadcastPlan CreatePlan(ReadOnlySpan<int> aShape, ReadOnlySpan<int> bShape)
    {
        if (!BroadcastPlan.TryCreate(aShape, bShape, out var plan))
            throw new ArgumentException($"Shapes {Format(aShape)} and {Format(bShape)} cannot be broadcast together.");
        return plan;
    }

    private static unsafe void Run(BinaryOperation op, in Activation activation, in BroadcastPlan plan, float* a, float* b, float* y, WorkerPool? pool)
    {
        nint total = plan.Total;
        if (total == 0) return;
        if (pool is null || pool.Threads == 1 || total < ActivationKernels.ParallelThreshold)
        {
            Execute(op, activation, plan, a, b, y, 0, plan.Rows, 0, plan.Inner);
            return;
        }
        var task = cachedTask ?? new BinaryTask();
        cachedTask = null;
        task.Op = op;
        task.Activation = activation;
        task.Plan = plan;
        task.A = a;
        task.B = b;
        task.Y = y;
        task.Parts = pool.Threads;
        try { pool.Run(task.Parts, task); }
        finally { cachedTask = task; }
    }

    /// <summary>Runs rows [rowStart, rowEnd) restricted to columns [columnStart, columnEnd).</summary>
    internal static unsafe void Execute(BinaryOperation op, in Activation activation, in BroadcastPlan plan,
        float* a, float* b, float* y, nint rowStart, nint rowEnd, nint columnStart, nint columnEnd)
    {
        switch (op)
        {
            case BinaryOperation.Add: ExecuteWith<AddOperator>(activation, plan, a, b, y, rowStart, rowEnd, columnStart, columnEnd); break;
            case BinaryOperation.Subtract: ExecuteWith<SubtractOperator>(activation, plan, a, b, y, rowStart, rowEnd, columnStart, columnEnd); break;
            case BinaryOperation.Multiply: ExecuteWith<MultiplyOperator>(activation, plan, a, b, y, rowStart, rowEnd, columnStart, columnEnd); break;
            case BinaryOperation.Divide: ExecuteWith<DivideOperator>(activation, plan, a, b, y, rowStart, rowEnd, columnStart, columnEnd); break;
            case BinaryOperation.Maximum: ExecuteWith<MaximumOperator>(activation, plan, a, b, y, rowStart, rowEnd, columnStart, columnEnd); break;
            case BinaryOperation.Minimum: ExecuteWith<MinimumOperator>(activation, plan, a, b, y, rowStart, rowEnd, columnStart, columnEnd); break;
            case BinaryOperation.PRelu: ExecuteWith<PReluOperator>(activation, plan, a, b, y, rowStart, rowEnd, columnStart, columnEnd); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown binary operation");
        }
    }

    private static unsafe void ExecuteWith<TOperator>(in Activation activation, in BroadcastPlan plan,
        float* a, float* b, float* y, nint rowStart, nint rowEnd, nint columnStart, nint columnEnd)
        where TOperator : struct, IBinaryOperator
    {
        var visitor = new RowsVisitor<TOperator>
        {
            Plan = plan, A = a, B = b, Y = y,
            RowStart = rowStart, RowEnd = rowEnd, ColumnStart = columnStart, ColumnEnd = columnEnd,
        };
        ActivationDispatch.Accept(activation, ref visitor);
    }

    private unsafe struct RowsVisitor<TOperator> : IActivationVisitor where TOperator : struct, IBinaryOperator
    {
        public BroadcastPlan Plan;
        public float* A, B, Y;
        public nint RowStart, RowEnd, ColumnStart, ColumnEnd;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Visit<TActivation>(TActivation activation) where TActivation : struct, IUnaryOperator
        {
            int outerRank = Plan.OuterRank;
            Span<int> index = stackalloc int[Math.Max(outerRank, 1)];
            nint aOffset = 0, bOffset = 0, remainder = RowStart;
            for (int j = outerRank - 1; j >= 0; j--)
            {
                int extent = Plan.OuterExtent[j];
                index[j] = (int)(remainder % extent);
                remainder /= extent;
                aOffset += index[j] * Plan.AOuterStride[j];
                bOffset += index[j] * Plan.BOuterStride[j];
            }

            nint width = ColumnEnd - ColumnStart;
            nint aColumn = Plan.Kind == RowKind.ScalarVector ? 0 : ColumnStart;
            nint bColumn = Plan.Kind == RowKind.VectorScalar ? 0 : ColumnStart;
            for (nint row = RowStart; row < RowEnd; row++)
            {
                float* aRow = A + aOffset + aColumn, bRow = B + bOffset + bColumn, yRow = Y + row * Plan.Inner + ColumnStart;
                switch (Plan.Kind)
                {
                    case RowKind.VectorVector: VectorVector<TOperator, TActivation>(activation, aRow, bRow, yRow, width); break;
                    case RowKind.VectorScalar: VectorScalar<TOperator, TActivation>(activation, aRow, *bRow, yRow, width); break;
                    default: ScalarVector<TOperator, TActivation>(activation, *aRow, bRow, yRow, width); break;
                }

                // Advance the odometer over the outer dimensions.
                for (int j = outerRank - 1; j >= 0; j--)
                {
                    aOffset += Plan.AOuterStride[j];
                    bOffset += Plan.BOuterStride[j];
                    if (++index[j] < Plan.OuterExtent[j]) break;
                    aOffset -= Plan.AOuterStride[j] * Plan.OuterExtent[j];
                    bOffset -= Plan.BOuterStride[j] * Plan.OuterExtent[j];
                    index[j] = 0;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void VectorVector<TOperator, TActivation>(TActivation act, float* a, float* b, float* y, nint n)
        where TOperator : struct, IBinaryOperator where TActivation : struct, IUnaryOperator
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
                act.Invoke(TOperator.Invoke(Vector512.Load(a + i), Vector512.Load(b + i))).Store(y + i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
                act.Invoke(TOperator.Invoke(Vector256.Load(a + i), Vector256.Load(b + i))).Store(y + i);
        }
        for (; i < n; i++)
            y[i] = act.Invoke(TOperator.Invoke(a[i], b[i]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void VectorScalar<TOperator, TActivation>(TActivation act, float* a, float b, float* y, nint n)
        where TOperator : struct, IBinaryOperator where TActivation : struct, IUnaryOperator
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vb = Vector512.Create(b);
            for (; i <= n - 16; i += 16)
                act.Invoke(TOperator.Invoke(Vector512.Load(a + i), vb)).Store(y + i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vb = Vector256.Create(b);
            for (; i <= n - 8; i += 8)
                act.Invoke(TOperator.Invoke(Vector256.Load(a + i), vb)).Store(y + i);
        }
        for (; i < n; i++)
            y[i] = act.Invoke(TOperator.Invoke(a[i], b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ScalarVector<TOperator, TActivation>(TActivation act, float a, float* b, float* y, nint n)
        where TOperator : struct, IBinaryOperator where TActivation : struct, IUnaryOperator
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            for (; i <= n - 16; i += 16)
                act.Invoke(TOperator.Invoke(va, Vector512.Load(b + i))).Store(y + i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i <= n - 8; i += 8)
                act.Invoke(TOperator.Invoke(va, Vector256.Load(b + i))).Store(y + i);
        }
        for (; i < n; i++)
            y[i] = act.Invoke(TOperator.Invoke(a, b[i]));
    }

    private static void CheckLength(int length, ReadOnlySpan<int> shape, string name)
    {
        long count = 1;
        foreach (int d in shape) count *= d;
        if (length != count)
            throw new ArgumentException($"{name} has {length} elements but its shape {Format(shape)} has {count}.", name);
    }

    private static void CheckAlias(ReadOnlySpan<float> operand, ReadOnlySpan<float> y, string name)
    {
        // Writing y[i] after reading operand[i] is safe only when both index the same element.
        if (operand.Overlaps(y, out int offset) && (offset != 0 || operand.Length != y.Length))
            throw new ArgumentException($"y overlaps {name}; it may only be the same memory as an operand of the output's full shape.", nameof(y));
    }

    internal static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(",", shape.ToArray()) + "]";

    private sealed unsafe class BinaryTask : IParallelTask
    {
        public BinaryOperation Op;
        public Activation Activation;
        public BroadcastPlan Plan;
        public float* A, B, Y;
        public int Parts;

        public void Execute(int index)
        {
            if (Plan.Rows >= Parts)
            {
                nint start = Plan.Rows * index / Parts, end = Plan.Rows * (index + 1) / Parts;
                BinaryKernels.Execute(Op, Activation, Plan, A, B, Y, start, end, 0, Plan.Inner);
            }
            else
            {
                // Few long rows: every part takes a column band of all rows, in whole 16-float vectors.
                nint blocks = (Plan.Inner + 15) / 16;
                nint start = Math.Min(blocks * index / Parts * 16, Plan.Inner);
                nint end = Math.Min(blocks * (index + 1) / Parts * 16, Plan.Inner);
                BinaryKernels.Execute(Op, Activation, Plan, A, B, Y, 0, Plan.Rows, start, end);
            }
        }
    }
}
