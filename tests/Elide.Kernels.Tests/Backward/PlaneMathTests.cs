using static Elide.Kernels.Tests.Backward.BackwardTestUtil;

namespace Elide.Kernels.Tests.Backward;

/// <summary>The pointwise PlaneMath helpers the training tape uses, against the one-line definitions, at every length
/// up to 67 (empty, single, below and across the 8- and 16-lane vector widths, with tails).</summary>
public unsafe class PlaneMathTests
{
    public static TheoryData<int> Lengths() => [.. Enumerable.Range(0, 68)];

    [Theory, MemberData(nameof(Lengths))]
    public void AddAndAddInPlaceMatchTheDefinition(int length)
    {
        var x = Random(length, length);
        var y = Random(length, length + 500);
        var sum = new float[length];
        var inPlace = (float[])y.Clone();
        fixed (float* px = x, py = y, ps = sum, pi = inPlace)
        {
            PlaneMath.Add(px, py, ps, length);
            PlaneMath.AddInPlace(pi, px, length);
        }
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(x[i] + y[i], sum[i]);
            Assert.Equal(y[i] + x[i], inPlace[i]);
        }
    }

    [Theory, MemberData(nameof(Lengths))]
    public void ScaleAndReluMatchTheDefinition(int length)
    {
        var x = Random(length, length + 7);
        if (length > 4) { x[1] = 0f; x[2] = -0f; x[3] = float.NaN; x[4] = float.NegativeInfinity; }
        var scaled = new float[length];
        var relu = Enumerable.Repeat(123f, length).ToArray();
        fixed (float* px = x, ps = scaled, pr = relu)
        {
            PlaneMath.Scale(px, 0.75f, ps, length);
            PlaneMath.Relu(px, pr, length);
        }
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(0.75f * x[i], scaled[i]);
            Assert.Equal(x[i] > 0f ? x[i] : 0f, relu[i]);
        }
    }

    [Fact]
    public void ReluWorksInPlace()
    {
        var x = Random(37, 3);
        var expected = x.Select(v => v > 0f ? v : 0f).ToArray();
        fixed (float* px = x) PlaneMath.Relu(px, px, x.Length);
        Assert.Equal(expected, x);
    }
}
