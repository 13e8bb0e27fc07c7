using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;

namespace Elide.Kernels.Tests.Gemm;

public class SgemmTests
{
    private static readonly int[] Sizes = [0, 1, 2, 3, 7, 13, 17, 31, 33, 64, 100, 257];

    /// <summary>Square sizes plus mixed shapes, so every size appears as m, as n and as k.</summary>
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int s in Sizes)
        {
            data.Add(s, s, s);
            data.Add(s, 17, 33);
            data.Add(13, s, 7);
            data.Add(33, 100, s);
        }
        data.Add(300, 5, 600);   // more than one K block and one MC block
        data.Add(9, 2100, 3);    // more than one NC block
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AllTransposeCombinationsMatchReference(int m, int n, int k)
    {
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                Check(transA, transB, m, n, k, alpha: 1f, beta: 0f, pad: 0, pool: null);
    }

    [Theory]
    [InlineData(1.5f, -0.75f)]
    [InlineData(0.5f, 1f)]
    [InlineData(-2f, 0f)]
    [InlineData(0f, 0.5f)]
    [InlineData(0f, 0f)]
    public void AlphaBetaAndLeadingDimensionsLargerThanSizes(float alpha, float beta)
    {
        foreach (var (m, n, k) in new[] { (7, 13, 17), (33, 31, 64), (100, 65, 257), (1, 1, 1) })
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    Check(transA, transB, m, n, k, alpha, beta, pad: 5, pool: null);
    }

    [Fact]
    public void BetaZeroIgnoresNaNInC()
    {
        // Check fills C with NaN whenever beta is 0; this shape also crosses K and tile edges.
        Check(false, false, 37, 45, 300, 1f, 0f, pad: 3, pool: null);
    }

    [Fact]
    public void ParallelResultIsBitIdenticalToSerial()
    {
        using var pool = new WorkerPool(3);
        foreach (var (m, n, k) in new[] { (257, 100, 64), (40, 1000, 70), (1000, 20, 70), (100, 257, 300) })
        {
            var a = GemmReference.RandomArray(m * k, 1);
            var b = GemmReference.RandomArray(k * n, 2);
            var serial = new float[m * n];
            var parallel = new float[m * n];
            Kernels.Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, serial, n);
            Kernels.Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, parallel, n, pool);
            Assert.Equal(serial, parallel);
            Check(false, true, m, n, k, 0.5f, 2f, pad: 1, pool: pool);
        }
    }

    [Fact]
    public unsafe void VectorMicroKernelsMatchTheScalarDefinition()
    {
        const int kc = 37;
        var a = GemmReference.RandomArray(kc * GemmTiling.MR, 3);
        var b = GemmReference.RandomArray(kc * GemmTiling.NR, 4);
        var expected = GemmReference.RandomArray(GemmTiling.MR * 40, 5);
        var vector512 = (float[])expected.Clone();
        var vector256 = (float[])expected.Clone();
        fixed (float* pa = a, pb = b, pe = expected, p512 = vector512, p256 = vector256)
        {
            GemmMicroKernel.ComputeScalar(kc, pa, new PackedPanelB(pb), pe, 40, 1.25f, -0.5f);
            if (Vector512.IsHardwareAccelerated)
            {
                GemmMicroKernel.Compute512(kc, pa, new PackedPanelB(pb), p512, 40, 1.25f, -0.5f);
                AssertClose(expected, vector512, kc);
            }
            if (Vector256.IsHardwareAccelerated)
            {
                GemmMicroKernel.Compute256(kc, pa, new PackedPanelB(pb), p256, 40, 1.25f, -0.5f);
                AssertClose(expected, vector256, kc);
            }
        }
    }

    [Fact]
    public void SpanOverloadRejectsShortSpansAndBadStrides()
    {
        var small = new float[10];
        var big = new float[100];
        var e = Assert.Throws<ArgumentException>(() => Kernels.Gemm.Sgemm(false, false, 4, 4, 4, 1f, small, 4, big, 4, 0f, big, 4));
        Assert.Equal("a", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Kernels.Gemm.Sgemm(false, true, 4, 4, 4, 1f, big, 4, small, 4, 0f, big, 4));
        Assert.Equal("b", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Kernels.Gemm.Sgemm(false, false, 4, 4, 4, 1f, big, 4, big, 4, 0f, small, 4));
        Assert.Equal("c", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Kernels.Gemm.Sgemm(false, false, 4, 5, 4, 1f, big, 4, big, 4, 0f, big, 4));
        Assert.Equal("ldb", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Kernels.Gemm.Sgemm(true, false, 5, 4, 4, 1f, big, 4, big, 4, 0f, big, 4));
        Assert.Equal("lda", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Kernels.Gemm.Sgemm(false, false, -1, 4, 4, 1f, big, 4, big, 4, 0f, big, 4));
        Assert.Equal("m", e.ParamName);
    }

    private static void Check(bool transA, bool transB, int m, int n, int k, float alpha, float beta, int pad, WorkerPool? pool)
    {
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        lda = Math.Max(lda, 1); ldb = Math.Max(ldb, 1); ldc = Math.Max(ldc, 1);
        var a = GemmReference.RandomArray((transA ? k : m) * lda, 11 + m);
        var b = GemmReference.RandomArray((transB ? n : k) * ldb, 23 + n);
        var c = GemmReference.RandomArray(m * ldc, 37 + k);
        if (beta == 0f) Array.Fill(c, float.NaN);
        var (expected, magnitude) = GemmReference.Compute(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        var result = (float[])c.Clone();
        Kernels.Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, result, ldc, pool);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double error = Math.Abs(result[i * ldc + j] - expected[i * n + j]);
                double tolerance = GemmReference.Tolerance(magnitude[i * n + j], k);
                Assert.True(error <= tolerance,
                    $"transA={transA} transB={transB} m={m} n={n} k={k} alpha={alpha} beta={beta}: C[{i},{j}] = {result[i * ldc + j]}, expected {expected[i * n + j]}");
            }
            // Padding columns of C are never written.
            for (int j = n; j < ldc; j++)
                Assert.Equal(BitConverter.SingleToInt32Bits(c[i * ldc + j]), BitConverter.SingleToInt32Bits(result[i * ldc + j]));
        }
    }

    private static void AssertClose(float[] expected, float[] actual, int k)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = GemmReference.Tolerance(Math.Abs(expected[i]) + 1, k);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: {actual[i]} vs {expected[i]}");
        }
    }
}
