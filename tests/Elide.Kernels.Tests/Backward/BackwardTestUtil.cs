namespace Elide.Kernels.Tests.Backward;

internal static class BackwardTestUtil
{
    public static float[] Random(int length, int seed, float low = -1f, float high = 1f)
    {
        var rng = new Random(seed);
        var a = new float[length];
        for (int i = 0; i < length; i++) a[i] = low + (float)rng.NextDouble() * (high - low);
        return a;
    }

    /// <summary>max |a − b| / max(max |b|, tiny).</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = 1e-30;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        return maxDiff / maxRef;
    }

    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tolerance, string what)
    {
        double err = RelativeError(actual, expected);
        Assert.True(err <= tolerance, $"{what}: relative error {err:g3} exceeds {tolerance:g3}");
    }

    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, string what)
    {
        var e = new double[expected.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        AssertClose(actual, e, tolerance, what);
    }
}
