using System.Runtime.CompilerServices;

namespace Elide.Kernels;

/// <summary>How the innermost (contiguous) dimension of a broadcast reads its two operands.</summary>
internal enum RowKind
{
    /// <summary>Both operands advance with the output.</summary>
    VectorVector,
    /// <summary>a advances, b is one value for the whole row.</summary>
    VectorScalar,
    /// <summary>a is one value for the whole row, b advances.</summary>
    ScalarVector,
}

[InlineArray(BroadcastPlan.MaxRank)]
internal struct BroadcastExtents
{
    private int element;
}

[InlineArray(BroadcastPlan.MaxRank)]
internal struct BroadcastStrides
{
    private nint element;
}

/// <summary>
/// A numpy broadcast of two shapes reduced to its essentials: the output is walked as <see cref="Rows"/> rows of
/// <see cref="Inner"/> contiguous elements, and each row starts at an offset into a and b given by an odometer
/// over the outer dimensions (stride 0 where an operand is broadcast).
/// </summary>
/// <remarks>
/// Size-1 output dimensions are dropped and neighbouring dimensions in which both operands behave the same
/// (both present, or one broadcast) are merged, so every fast path falls out of one mechanism: same shapes become a
/// single row, a scalar operand becomes <see cref="RowKind.VectorScalar"/>, a per-channel [C,1,1] operand against
/// [N,C,H,W] becomes rows of H·W with one value per row, a [1,W] row vector becomes rows that re-read b.
/// </remarks>
internal struct BroadcastPlan
{
    /// <summary>Most dimensions left after merging (real models use at most 6).</summary>
    public const int MaxRank = 16;

    public int OuterRank;
    public BroadcastExtents OuterExtent;
    public BroadcastStrides AOuterStride;
    public BroadcastStrides BOuterStride;
    public nint Rows;
    public nint Inner;
    public RowKind Kind;

    public readonly nint Total => Rows * Inner;

    /// <summary>Builds the plan, or returns false when the shapes are not broadcast-compatible.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or more than <see cref="MaxRank"/> dimensions remain after merging.</exception>
    public static bool TryCreate(ReadOnlySpan<int> aShape, ReadOnlySpan<int> bShape, out BroadcastPlan plan)
    {
        plan = default;
        int rank = Math.Max(aShape.Length, bShape.Length);
        Span<long> groupExtent = stackalloc long[MaxRank + 1];
        Span<bool> groupAFull = stackalloc bool[MaxRank + 1];
        Span<bool> groupBFull = stackalloc bool[MaxRank + 1];
        int groups = 0;
        bool empty = false;

        // Walk right-aligned from the innermost dimension, merging runs with the same broadcast pattern.
        for (int d = 1; d <= rank; d++)
        {
            int ea = d <= aShape.Length ? aShape[^d] : 1;
            int eb = d <= bShape.Length ? bShape[^d] : 1;
            if (ea < 0 || eb < 0) throw new ArgumentException("Shapes must not have negative dimensions.");
            if (ea != eb && ea != 1 && eb != 1) return false;
            int extent = ea == 1 ? eb : ea;
            if (extent == 0) empty = true;
            if (extent == 1) continue;
            bool aFull = ea != 1, bFull = eb != 1;
            if (groups > 0 && groupAFull[groups - 1] == aFull && groupBFull[groups - 1] == bFull)
            {
                groupExtent[groups - 1] *= extent;
                continue;
            }
            if (groups == MaxRank + 1)
                throw new ArgumentException($"Broadcasting needs more than {MaxRank} dimensions after merging.");
            groupExtent[groups] = extent;
            groupAFull[groups] = aFull;
            groupBFull[groups] = bFull;
            groups++;
        }

        if (empty)
        {
            plan.Rows = 0;
            plan.Inner = 0;
            return true;
        }
        if (groups == 0)
        {
            // Every dimension is 1: a single element.
            plan.Rows = 1;
            plan.Inner = 1;
            plan.Kind = RowKind.VectorVector;
            return true;
        }

        plan.Inner = checked((nint)groupExtent[0]);
        plan.Kind = (groupAFull[0], groupBFull[0]) switch
        {
            (true, true) => RowKind.VectorVector,
            (true, false) => RowKind.VectorScalar,
            _ => RowKind.ScalarVector,
        };
        nint runningA = groupAFull[0] ? plan.Inner : 1;
        nint runningB = groupBFull[0] ? plan.Inner : 1;
        plan.OuterRank = groups - 1;
        long rows = 1;
        for (int k = 1; k < groups; k++)
        {
            int j = groups - 1 - k; // outermost first
            int extent = checked((int)groupExtent[k]);
            plan.OuterExtent[j] = extent;
            plan.AOuterStride[j] = groupAFull[k] ? runningA : 0;
            plan.BOuterStride[j] = groupBFull[k] ? runningB : 0;
            if (groupAFull[k]) runningA *= extent;
            if (groupBFull[k]) runningB *= extent;
            rows *= extent;
        }
        plan.Rows = checked((nint)rows);
        return true;
    }
}
