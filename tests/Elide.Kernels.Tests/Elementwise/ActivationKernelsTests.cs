using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;
using Xunit.Abstractions;

namespace Elide.Kernels.Tests.Elementwise;

public class ActivationKernelsTests(ITestOutputHelper output)
{
    private static readonly float[] Specials =
    [
        float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e-30f, -1e-30f, 1e-6f, -1e-6f,
        0.62f, 0.63f, -0.625f, 3f, -3f, 88.7f, -88.7f, 89f, -89f, 100f, -100f, 1e30f, -1e30f, float.MaxValue, float.MinValue,
    ];

    public static TheoryData<int> Kinds()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Reference.AllActivations().Count(); i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryLengthMatchesDoubleReference(int kindIndex)
    {
        var activation = Reference.AllActivations().ElementAt(kindIndex);
        for (int length = 0; length <= 130; length++)
        {
            var x = Reference.Random(length, seed: length * 31 + kindIndex);
            var y = new float[length];
            ActivationKernels.Apply(activation, x, y);
            for (int i = 0; i < length; i++)
            {
                var (ulps, absolute) = Reference.Tolerance(activation, x[i]);
                Reference.Close(Reference.Activate(activation, x[i]), y[i], ulps, absolute, $"{activation.Kind} n={length} i={i} x={x[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SpecialValuesInEveryLanePosition(int kindIndex)
    {
        var activation = Reference.AllActivations().ElementAt(kindIndex);
        // Place each special value at every position of a 40-element buffer, so it passes through
        // the 512-bit, the 256-bit and the scalar part of the driver.
        foreach (float special in Specials)
        {
            for (int position = 0; position < 40; position++)
            {
                var x = Reference.Random(40, seed: position);
                x[position] = special;
                var y = new float[40];
                ActivationKernels.Apply(activation, x, y);
                var (ulps, absolute) = Reference.Tolerance(activation, special);
                Reference.Close(Reference.Activate(activation, special), y[position], ulps, absolute,
                    $"{activation.Kind} x={special} at {position}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AgreesWithScalarDefinition(int kindIndex)
    {
        var activation = Reference.AllActivations().ElementAt(kindIndex);
        var x = Reference.Random(129, seed: 7, low: -20f, high: 20f);
        var y = new float[129];
        ActivationKernels.Apply(activation, x, y);
        for (int i = 0; i < x.Length; i++)
        {
            float definition = activation.Apply(x[i]);
            var (ulps, absolute) = Reference.Tolerance(activation, x[i]);
            Reference.Close(definition, y[i], 2 * ulps, absolute, $"{activation.Kind} x={x[i]}");
        }
    }

    [Fact]
    public void InPlaceMatchesOutOfPlace()
    {
        foreach (var activation in Reference.AllActivations())
        {
            var x = Reference.Random(77, seed: 3);
            var expected = new float[77];
            ActivationKernels.Apply(activation, x, expected);
            ActivationKernels.Apply(activation, x, x);
            Assert.Equal(expected, x);
        }
    }

    [Fact]
    public void ShortOutputOrPartialOverlapThrows()
    {
        var x = new float[10];
        var ex = Assert.Throws<ArgumentException>(() => ActivationKernels.Apply(Activation.Relu, x, new float[9]));
        Assert.Equal("y", ex.ParamName);
        Assert.Contains("9", ex.Message);
        var buffer = new float[20];
        Assert.Throws<ArgumentException>(() => ActivationKernels.Apply(Activation.Relu, buffer.AsSpan(0, 10), buffer.AsSpan(1, 10)));
    }

    [Fact]
    public unsafe void PoolSplitMatchesSingleThread()
    {
        using var pool = new WorkerPool(2);
        foreach (var activation in Reference.AllActivations())
        {
            var x = Reference.Random(200_003, seed: 11);
            var expected = new float[x.Length];
            var actual = new float[x.Length];
            ActivationKernels.Apply(activation, x, expected);
            fixed (float* px = x)
            fixed (float* py = actual)
                ActivationKernels.Apply(activation, px, py, x.Length, pool);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void VectorExpRelativeErrorIsWithinTwoUlps()
    {
        // Sweep [-87, 88] densely; also checked on both vector widths whatever the hardware (software fallback).
        double worst512 = 0, worst256 = 0, worstRelative = 0;
        const int Steps = 1 << 20;
        Span<float> lanes = stackalloc float[16];
        for (int s = 0; s < Steps; s += 16)
        {
            for (int l = 0; l < 16; l++) lanes[l] = -87f + 175f * (s + l) / Steps;
            var v512 = VectorMath.Exp(Vector512.Create<float>(lanes));
            var v256 = VectorMath.Exp(Vector256.Create<float>(lanes[..8]));
            for (int l = 0; l < 16; l++)
            {
                double expected = Math.Exp(lanes[l]);
                worst512 = Math.Max(worst512, Reference.UlpError(v512[l], expected));
                worstRelative = Math.Max(worstRelative, Math.Abs(v512[l] - expected) / expected);
                if (l < 8) worst256 = Math.Max(worst256, Reference.UlpError(v256[l], expected));
            }
        }
        output.WriteLine($"exp max error: {worst512:F3} ulp (512), {worst256:F3} ulp (256), relative {worstRelative:E3}");
        Assert.True(worst512 <= 2, $"Vector512 exp error {worst512} ulp");
        Assert.True(worst256 <= 2, $"Vector256 exp error {worst256} ulp");
    }

    [Fact]
    public void VectorExpLimits()
    {
        var x = Vector512.Create(float.NaN, float.PositiveInfinity, float.NegativeInfinity, 89f, -104f, 0f, -90f, 88.72f,
            -87.5f, -100f, 1f, -1f, 10f, -10f, 50f, -50f);
        var e = VectorMath.Exp(x);
        Assert.True(float.IsNaN(e[0]));
        Assert.Equal(float.PositiveInfinity, e[1]);
        Assert.Equal(0f, e[2]);
        Assert.Equal(float.PositiveInfinity, e[3]);
        Assert.Equal(0f, e[4]);
        Assert.Equal(1f, e[5]);
        for (int l = 6; l < 16; l++)
            Reference.Close(Math.Exp(x[l]), e[l], 2, 1e-45, $"exp({x[l]})");
    }

    [Fact]
    public void SigmoidAndTanhMaxErrorOverDenseSweep()
    {
        foreach (var kind in new[] { ActivationKind.Sigmoid, ActivationKind.Tanh })
        {
            var activation = new Activation(kind);
            const int Count = 1 << 18;
            var x = new float[Count];
            for (int i = 0; i < Count; i++) x[i] = -20f + 40f * i / Count;
            var y = new float[Count];
            ActivationKernels.Apply(activation, x, y);
            double worst = 0;
            for (int i = 0; i < Count; i++) worst = Math.Max(worst, Reference.UlpError(y[i], Reference.Activate(activation, x[i])));
            output.WriteLine($"{kind} ({KernelInfo.InstructionSet}) max error over [-20, 20]: {worst:F3} ulp");
            Assert.True(worst <= 4, $"{kind} error {worst} ulp");
        }
    }
}
