namespace Elide.Kernels.Tests;

/// <summary>Plain double-precision references and float comparison helpers shared by the kernel tests.</summary>
internal static class Reference
{
    /// <summary>Distance from |value| (as a float) to the next float up; float.Epsilon at zero.</summary>
    public static double Ulp(double value)
    {
        float f = (float)Math.Abs(value);
        if (float.IsInfinity(f)) return double.PositiveInfinity;
        return (double)MathF.BitIncrement(f) - f;
    }

    /// <summary>Error of <paramref name="actual"/> against <paramref name="expected"/> in units in the last place
    /// of the expected value; 0 when both are NaN or both are the same infinity.</summary>
    public static double UlpError(float actual, double expected)
    {
        if (double.IsNaN(expected)) return float.IsNaN(actual) ? 0 : double.PositiveInfinity;
        if (double.IsInfinity(expected) || float.IsInfinity(actual))
            return (double)actual == expected ? 0 : double.PositiveInfinity;
        return Math.Abs(actual - expected) / Ulp(expected);
    }

    /// <summary>Asserts |actual − expected| ≤ ulps·ulp(expected) + absolute, NaN matching NaN and infinities exactly.</summary>
    public static void Close(double expected, float actual, double ulps, double absolute, string context)
    {
        if (double.IsNaN(expected))
        {
            Assert.True(float.IsNaN(actual), $"{context}: expected NaN, got {actual}");
            return;
        }
        if (double.IsInfinity(expected) || float.IsInfinity(actual))
        {
            Assert.True((double)actual == expected, $"{context}: expected {expected}, got {actual}");
            return;
        }
        double tolerance = ulps * Ulp(expected) + absolute;
        Assert.True(Math.Abs(actual - expected) <= tolerance,
            $"{context}: expected {expected:R}, got {actual:R} (error {Math.Abs(actual - expected):E3} > {tolerance:E3})");
    }

    public static float[] Random(int length, int seed, float low = -10f, float high = 10f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    public static int Count(ReadOnlySpan<int> shape)
    {
        int count = 1;
        foreach (int d in shape) count *= d;
        return count;
    }

    /// <summary>The activation in double precision, written from the ONNX operator definitions.</summary>
    public static double Activate(Activation activation, double x) => activation.Kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => double.IsNaN(x) ? x : Math.Max(x, 0),
        ActivationKind.LeakyRelu => double.IsNaN(x) || x >= 0 ? x : activation.Alpha * x,
        ActivationKind.Clip => double.IsNaN(x) ? x : Math.Min(Math.Max(x, activation.Alpha), activation.Beta),
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
        ActivationKind.Tanh => Math.Tanh(x),
        ActivationKind.HardSwish => double.IsNaN(x) ? x : x * Math.Clamp(x / 6 + 0.5, 0, 1),
        ActivationKind.HardSigmoid => double.IsNaN(x) ? x : Math.Clamp(activation.Alpha * x + activation.Beta, 0, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    public static IEnumerable<Activation> AllActivations()
    {
        yield return Activation.None;
        yield return Activation.Relu;
        yield return new Activation(ActivationKind.LeakyRelu, 0.1f);
        yield return new Activation(ActivationKind.Clip, -1.5f, 6f);
        yield return new Activation(ActivationKind.Sigmoid);
        yield return new Activation(ActivationKind.Tanh);
        yield return new Activation(ActivationKind.HardSwish);
        yield return new Activation(ActivationKind.HardSigmoid, 0.2f, 0.5f);
    }

    /// <summary>Tolerance for an activation's output: exact-ish for piecewise-linear kinds, a few ulps for the
    /// transcendental ones; absolute slack scaled by |x| where the formula cancels (HardSwish/HardSigmoid near their
    /// kinks) and a tiny floor for results that underflow to subnormals.</summary>
    public static (double Ulps, double Absolute) Tolerance(Activation activation, double x) => activation.Kind switch
    {
        ActivationKind.Sigmoid or ActivationKind.Tanh => (4, 1e-37),
        ActivationKind.HardSwish or ActivationKind.HardSigmoid => (2, 4e-7 * (Math.Abs(x) + 1)),
        _ => (1, 0),
    };
}
