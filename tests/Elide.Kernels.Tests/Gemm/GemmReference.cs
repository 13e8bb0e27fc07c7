namespace Elide.Kernels.Tests.Gemm;

/// <summary>Naive double-precision GEMM and the error bound the float kernels are held to.</summary>
internal static class GemmReference
{
    /// <summary>Reference C = alpha·op(A)·op(B) + beta·C in double; also returns, per element, Σ|alpha·a·b| + |beta·c|.</summary>
    public static (double[] Value, double[] Magnitude) Compute(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var value = new double[m * n];
        var magnitude = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = transA ? a[p * lda + i] : a[i * lda + p];
                    double y = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += x * y;
                    abs += Math.Abs(x * y);
                }
                double old = beta == 0f ? 0 : c[i * ldc + j];
                value[i * n + j] = alpha * sum + beta * old;
                magnitude[i * n + j] = Math.Abs(alpha) * abs + Math.Abs(beta * old);
            }
        }
        return (value, magnitude);
    }

    /// <summary>Allowed |error|: 1e-5 relative to the magnitude of the terms, scaled by √K for the summation.</summary>
    public static double Tolerance(double magnitude, int k) => 1e-5 * Math.Sqrt(Math.Max(k, 1)) * magnitude + 1e-30;

    /// <summary>Uniform values in [−1, 1) from a fixed seed.</summary>
    public static float[] RandomArray(int length, int seed)
    {
        var random = new Random(seed);
        var data = new float[length];
        for (int i = 0; i < data.Length; i++) data[i] = random.NextSingle() * 2f - 1f;
        return data;
    }
}
