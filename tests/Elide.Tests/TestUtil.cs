using Elide.Tensors;

namespace Elide.Tests;

internal static class TestUtil
{
    /// <summary>max |a − b| / max(max |b|, tiny): the error normalized by the reference's magnitude.</summary>
    public static double RelativeError(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = 1e-30;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
        }
        return maxDiff / maxRef;
    }

    public static void AssertClose(Tensor actual, Tensor expected, double tolerance)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double err = RelativeError(actual.Data, expected.Data);
        Assert.True(err <= tolerance, $"relative error {err:g3} exceeds {tolerance:g3}");
    }
}
