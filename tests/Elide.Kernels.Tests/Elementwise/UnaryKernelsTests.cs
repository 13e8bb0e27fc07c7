using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;
using Xunit.Abstractions;

namespace Elide.Kernels.Tests.Elementwise;

public class UnaryKernelsTests(ITestOutputHelper output)
{
    private static double Naive(UnaryOperation op, double x) => op switch
    {
        UnaryOperation.Abs => Math.Abs(x),
        UnaryOperation.Negate => -x,
        UnaryOperation.Sqrt => Math.Sqrt(x),
        UnaryOperation.Reciprocal => 1 / x,
        UnaryOperation.Exp => Math.Exp(x),
        UnaryOperation.Log => Math.Log(x),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static double Ulps(UnaryOperation op) => op is UnaryOperation.Exp or UnaryOperation.Log ? 2 : 0.5;

    private static readonly float[] Specials =
    [
        float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1f, -1f, float.Epsilon, 1e-40f, 1.17549435e-38f,
        float.MaxValue, -float.MaxValue, 0.70710677f, 0.7071068f, 1.4142135f, 88.7f, -103f, 1e-7f, -5f,
    ];

    [Fact]
    public void EveryLengthMatchesDoubleReference()
    {
        foreach (var op in Enum.GetValues<UnaryOperation>())
        {
            for (int length = 0; length <= 130; length++)
            {
                float low = op is UnaryOperation.Sqrt or UnaryOperation.Log ? 1e-3f : -20f;
                var x = Reference.Random(length, length, low, 20f);
                var y = new float[length];
                UnaryKernels.Apply(op, x, y);
                for (int i = 0; i < length; i++)
                    Reference.Close(Naive(op, x[i]), y[i], Ulps(op), 0, $"{op} n={length} x={x[i]}");
            }
        }
    }

    [Fact]
    public void SpecialValuesInEveryLanePosition()
    {
        foreach (var op in Enum.GetValues<UnaryOperation>())
        foreach (float special in Specials)
        for (int position = 0; position < 40; position += 3)
        {
            var x = Reference.Random(40, position, 0.5f, 2f);
            x[position] = special;
            var y = new float[40];
            UnaryKernels.Apply(op, x, y);
            Reference.Close((float)Naive(op, special), y[position], Ulps(op), 1e-44, $"{op} x={special} at {position}");
        }
    }

    [Fact]
    public void VectorLogErrorOverEveryBinade()
    {
        // Inputs from the smallest subnormal to the largest float, 2^16 per sweep, on both vector widths.
        double worst = 0;
        Span<float> lanes = stackalloc float[16];
        var random = new Random(5);
        for (int s = 0; s < 1 << 16; s += 16)
        {
            for (int l = 0; l < 16; l++) lanes[l] = BitConverter.Int32BitsToSingle(random.Next(1, 0x7f800000));
            var v512 = VectorMath.Log(Vector512.Create<float>(lanes));
            var v256 = VectorMath.Log(Vector256.Create<float>(lanes[..8]));
            for (int l = 0; l < 16; l++)
            {
                double expected = Math.Log(lanes[l]);
                worst = Math.Max(worst, Reference.UlpError(v512[l], expected));
                if (l < 8) worst = Math.Max(worst, Reference.UlpError(v256[l], expected));
            }
        }
        output.WriteLine($"log max error: {worst:F3} ulp");
        Assert.True(worst <= 2, $"log error {worst} ulp");
    }

    [Fact]
    public unsafe void PoolSplitInPlaceAndValidation()
    {
        using var pool = new WorkerPool(2);
        var x = Reference.Random(100_001, 3, 0.1f, 5f);
        var expected = new float[x.Length];
        UnaryKernels.Apply(UnaryOperation.Log, x, expected);
        fixed (float* px = x) UnaryKernels.Apply(UnaryOperation.Log, px, px, x.Length, pool);
        Assert.Equal(expected, x);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => UnaryKernels.Apply(UnaryOperation.Exp, new float[5], new float[4])).ParamName);
        Assert.Equal(0, AllocationTests.AllocatedBy(() => UnaryKernels.Apply(UnaryOperation.Exp, expected, expected)));
    }
}
