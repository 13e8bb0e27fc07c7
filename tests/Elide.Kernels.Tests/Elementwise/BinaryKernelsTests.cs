using Elide.Kernels.Threading;

namespace Elide.Kernels.Tests.Elementwise;

public class BinaryKernelsTests
{
    private static readonly BinaryOperation[] Operations = Enum.GetValues<BinaryOperation>();

    private static double Combine(BinaryOperation op, double a, double b) => op switch
    {
        BinaryOperation.Add => a + b,
        BinaryOperation.Subtract => a - b,
        BinaryOperation.Multiply => a * b,
        BinaryOperation.Divide => a / b,
        BinaryOperation.Maximum => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b),
        BinaryOperation.Minimum => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b),
        BinaryOperation.PRelu => a < 0 ? a * b : a,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>Naive numpy broadcasting: for every output multi-index, read a and b at the index with broadcast
    /// dimensions pinned to 0. The float result of the operation is rounded before the activation, as the kernel does.</summary>
    private static double[] Naive(BinaryOperation op, float[] a, int[] aShape, float[] b, int[] bShape, Activation activation, out int[] outShape)
    {
        int rank = Math.Max(aShape.Length, bShape.Length);
        var ap = Enumerable.Repeat(1, rank - aShape.Length).Concat(aShape).ToArray();
        var bp = Enumerable.Repeat(1, rank - bShape.Length).Concat(bShape).ToArray();
        outShape = new int[rank];
        for (int d = 0; d < rank; d++) outShape[d] = ap[d] == 1 ? bp[d] : ap[d];
        int total = Reference.Count(outShape);
        var result = new double[total];
        var index = new int[rank];
        for (int flat = 0; flat < total; flat++)
        {
            int rem = flat;
            for (int d = rank - 1; d >= 0; d--) { index[d] = rem % outShape[d]; rem /= outShape[d]; }
            int ai = 0, bi = 0;
            for (int d = 0; d < rank; d++)
            {
                ai = ai * ap[d] + (ap[d] == 1 ? 0 : index[d]);
                bi = bi * bp[d] + (bp[d] == 1 ? 0 : index[d]);
            }
            float combined = (float)Combine(op, a[ai], b[bi]);
            result[flat] = Reference.Activate(activation, combined);
        }
        return result;
    }

    private static void Check(BinaryOperation op, int[] aShape, int[] bShape, Activation activation, int seed)
    {
        var a = Reference.Random(Reference.Count(aShape), seed);
        var b = Reference.Random(Reference.Count(bShape), seed + 1);
        if (op == BinaryOperation.Divide)
            for (int i = 0; i < b.Length; i++) if (Math.Abs(b[i]) < 0.5f) b[i] += 1f;
        var expected = Naive(op, a, aShape, b, bShape, activation, out var outShape);
        Assert.Equal(outShape, BinaryKernels.BroadcastShape(aShape, bShape));
        var y = new float[expected.Length];
        BinaryKernels.Apply(op, a, aShape, b, bShape, y, activation);
        for (int i = 0; i < y.Length; i++)
        {
            var (ulps, absolute) = Reference.Tolerance(activation, expected[i]);
            Reference.Close(expected[i], y[i], ulps, absolute + 1e-6 * Math.Abs(expected[i]),
                $"{op} {activation.Kind} [{string.Join(",", aShape)}] vs [{string.Join(",", bShape)}] at {i}");
        }
    }

    [Fact]
    public void SameShapeEveryLengthEveryOperation()
    {
        foreach (var op in Operations)
            for (int length = 0; length <= 130; length++)
                Check(op, [length], [length], Activation.None, length);
    }

    [Fact]
    public void SameShapeIsExactForArithmetic()
    {
        // float +,−,·,/ are correctly rounded, so they equal the rounded double result bit for bit.
        foreach (var op in Operations)
        {
            var a = Reference.Random(131, 1);
            var b = Reference.Random(131, 2);
            var y = new float[131];
            BinaryKernels.Apply(op, a, [131], b, [131], y);
            for (int i = 0; i < y.Length; i++) Assert.Equal((float)Combine(op, a[i], b[i]), y[i]);
        }
    }

    [Fact]
    public void FusedActivationsOnEveryTail()
    {
        foreach (var activation in Reference.AllActivations())
            for (int length = 0; length <= 40; length++)
                Check(BinaryOperation.Add, [length], [length], activation, length);
    }

    public static TheoryData<int[], int[]> BroadcastCases() => new()
    {
        { [], [] },
        { [], [5] },
        { [1], [37] },
        { [2, 3, 4], [] },
        { [3, 1, 1], [2, 3, 4, 5] },
        { [17, 1, 1], [7, 17, 5, 7] },
        { [1, 3, 1, 1], [1, 3, 9, 9] },
        { [1, 5], [4, 5] },
        { [1, 33], [7, 33] },
        { [4, 1], [4, 5] },
        { [19, 1], [19, 23] },
        { [5], [2, 3, 5] },
        { [2, 1, 3], [4, 1] },
        { [1, 3, 1, 5], [2, 1, 4, 1] },
        { [7, 1, 1, 1], [1, 6, 1, 18] },
        { [2, 3, 1, 17], [2, 3, 5, 1] },
        { [1, 1, 1], [1, 1, 1] },
        { [2, 0, 3], [1, 3] },
        { [0], [1] },
        { [3, 1, 2, 1, 2, 1], [1, 2, 1, 2, 1, 2] },
    };

    [Theory]
    [MemberData(nameof(BroadcastCases))]
    public void BroadcastMatchesNaiveInBothOrders(int[] aShape, int[] bShape)
    {
        int seed = 0;
        foreach (var op in Operations)
        {
            Check(op, aShape, bShape, Activation.None, seed++);
            Check(op, bShape, aShape, Activation.None, seed++);
        }
        Check(BinaryOperation.Add, aShape, bShape, Activation.Relu, seed++);
        Check(BinaryOperation.Multiply, bShape, aShape, new Activation(ActivationKind.Sigmoid), seed);
    }

    [Fact]
    public void IncompatibleShapesNameBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => BinaryKernels.BroadcastShape([2, 3], [4, 3]));
        Assert.Contains("[2,3]", ex.Message);
        Assert.Contains("[4,3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            BinaryKernels.Apply(BinaryOperation.Add, new float[6], [2, 3], new float[2], [2], new float[6]));
        Assert.Contains("[2,3]", ex.Message);
        Assert.Contains("[2]", ex.Message);
    }

    [Fact]
    public void WrongLengthsNameTheArgument()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            BinaryKernels.Apply(BinaryOperation.Add, new float[5], [2, 3], new float[3], [3], new float[6]));
        Assert.Equal("a", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() =>
            BinaryKernels.Apply(BinaryOperation.Add, new float[6], [2, 3], new float[4], [3], new float[6]));
        Assert.Equal("b", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() =>
            BinaryKernels.Apply(BinaryOperation.Add, new float[6], [2, 3], new float[3], [3], new float[7]));
        Assert.Equal("y", ex.ParamName);
        Assert.Contains("7", ex.Message);
    }

    [Fact]
    public void InPlaceOnFullShapeOperandWorksAndAliasingABroadcastOperandThrows()
    {
        var a = Reference.Random(60, 5);
        var b = Reference.Random(4, 6);
        var expected = new float[60];
        BinaryKernels.Apply(BinaryOperation.Add, a, [3, 5, 4], b, [4], expected);
        BinaryKernels.Apply(BinaryOperation.Add, a, [3, 5, 4], b, [4], a);
        Assert.Equal(expected, a);

        var buffer = new float[60];
        Assert.Throws<ArgumentException>(() =>
            BinaryKernels.Apply(BinaryOperation.Add, buffer, [60], buffer.AsSpan(0, 1), [1], buffer));
    }

    [Fact]
    public void NaNPropagatesThroughEveryOperationAndPosition()
    {
        foreach (var op in Operations)
        {
            for (int position = 0; position < 37; position++)
            {
                var a = Reference.Random(37, position);
                var b = Reference.Random(37, position + 100);
                a[position] = float.NaN;
                var y = new float[37];
                BinaryKernels.Apply(op, a, [37], b, [37], y);
                Assert.True(float.IsNaN(y[position]), $"{op} NaN in a at {position}");
                BinaryKernels.Apply(op, b, [37], a, [37], y);
                // PRelu reads its slope (b) only where the input is negative: x ≥ 0 passes through unchanged.
                bool slopeRead = op != BinaryOperation.PRelu || b[position] < 0;
                Assert.True(float.IsNaN(y[position]) == slopeRead, $"{op} NaN in b at {position}");
                BinaryKernels.Apply(op, b, [37], [float.NaN], [], y);
                for (int i = 0; i < y.Length; i++)
                    Assert.True(float.IsNaN(y[i]) == (op != BinaryOperation.PRelu || b[i] < 0), $"{op} NaN scalar at {i}");
            }
        }
    }

    public static TheoryData<int[], int[]> LargeCases() => new()
    {
        { [2, 64, 33, 31], [64, 1, 1] },   // many rows, per-channel operand
        { [1, 70001], [1] },               // one long row: split by columns
        { [3, 40000], [3, 1] },            // fewer rows than... columns matter
        { [300, 301], [300, 301] },
    };

    [Theory]
    [MemberData(nameof(LargeCases))]
    public unsafe void PoolSplitMatchesSingleThread(int[] aShape, int[] bShape)
    {
        using var pool = new WorkerPool(3);
        var a = Reference.Random(Reference.Count(aShape), 1);
        var b = Reference.Random(Reference.Count(bShape), 2);
        var outShape = BinaryKernels.BroadcastShape(aShape, bShape);
        var expected = new float[Reference.Count(outShape)];
        var actual = new float[expected.Length];
        var activation = new Activation(ActivationKind.Tanh);
        BinaryKernels.Apply(BinaryOperation.Subtract, a, aShape, b, bShape, expected, activation);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* py = actual)
            BinaryKernels.Apply(BinaryOperation.Subtract, pa, aShape, pb, bShape, py, activation, pool);
        Assert.Equal(expected, actual);
        var naive = Naive(BinaryOperation.Subtract, a, aShape, b, bShape, activation, out _);
        for (int i = 0; i < naive.Length; i += 97) Reference.Close(naive[i], actual[i], 4, 1e-37, $"at {i}");
    }
}
