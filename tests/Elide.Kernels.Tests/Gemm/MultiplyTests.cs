using Elide.Kernels.Threading;

namespace Elide.Kernels.Tests.Gemm;

public unsafe class MultiplyTests
{
    public static TheoryData<ActivationKind> Activations() => new(Enum.GetValues<ActivationKind>());

    private static Activation WithParameters(ActivationKind kind) => kind switch
    {
        ActivationKind.LeakyRelu => new Activation(kind, 0.1f),
        ActivationKind.Clip => new Activation(kind, -0.3f, 0.6f),
        ActivationKind.HardSigmoid => new Activation(kind, 0.2f, 0.5f),
        _ => new Activation(kind),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void EpilogueWithBiasResidualAndEachActivation(ActivationKind kind)
    {
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 13, 17), (17, 33, 3), (64, 100, 257), (13, 31, 0) })
        {
            Check(m, n, k, WithParameters(kind), bias: true, residual: true, transposed: false, pad: 3, pool: null);
            Check(m, n, k, WithParameters(kind), bias: false, residual: false, transposed: true, pad: 0, pool: null);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void BiasAndResidualAloneOnAwkwardSizes(bool bias, bool residual)
    {
        foreach (int s in new[] { 0, 1, 2, 3, 7, 13, 17, 31, 33, 64, 100, 257 })
            Check(s, Math.Max(1, s / 2 + 1), s, Activation.None, bias, residual, transposed: s % 2 == 1, pad: 1, pool: null);
    }

    [Fact]
    public void LargeRowsPackBAndRunInParallel()
    {
        using var pool = new WorkerPool(2);
        // 200 rows take the packed-B path; 1024-float rows take it for any row count.
        Check(200, 77, 300, Activation.Relu, bias: true, residual: true, transposed: false, pad: 0, pool: pool);
        Check(24, 1024, 40, Activation.Relu, bias: true, residual: false, transposed: false, pad: 0, pool: pool);
        Check(24, 1000, 40, new Activation(ActivationKind.Clip, 0f, 6f), bias: true, residual: true, transposed: false, pad: 0, pool: pool);
    }

    [Fact]
    public void ReluPropagatesNaN()
    {
        var a = PackedMatrix.PackA(new float[] { 1f }, 1, 1, 1);
        var b = new float[40];
        b[3] = float.NaN;
        b[35] = -1f;
        var c = new float[40];
        fixed (float* pb = b, pc = c)
            Kernels.Gemm.Multiply(a, pb, 40, 40, pc, 40, new GemmEpilogue(null, null, 0, Activation.Relu));
        Assert.True(float.IsNaN(c[3]));
        Assert.Equal(0f, c[35]);
    }

    [Fact]
    public void PackARejectsBadArguments()
    {
        var e = Assert.Throws<ArgumentException>(() => PackedMatrix.PackA(new float[5], 2, 3, 3));
        Assert.Equal("a", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PackedMatrix.PackA(new float[50], 2, 3, 2));
        Assert.Equal("lda", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PackedMatrix.PackA(new float[50], -2, 3, 3));
        Assert.Equal("rows", e.ParamName);
    }

    [Fact]
    public void MultiplyRejectsResidualThatIsC()
    {
        var a = PackedMatrix.PackA(new float[4], 2, 2, 2);
        var buffer = new float[4];
        fixed (float* p = buffer)
        {
            float* c = p;
            var e = Assert.Throws<ArgumentException>(() =>
                Kernels.Gemm.Multiply(a, c, 2, 2, c, 2, new GemmEpilogue(null, c, 2, Activation.None)));
            Assert.Equal("epilogue", e.ParamName);
        }
    }

    private static void Check(int m, int n, int k, Activation activation, bool bias, bool residual, bool transposed,
        int pad, WorkerPool? pool)
    {
        int lda = Math.Max(1, (transposed ? m : k) + pad), ldb = n + pad, ldc = n + pad;
        var aData = GemmReference.RandomArray((transposed ? k : m) * lda + 1, 100 + m);
        var b = GemmReference.RandomArray(k * ldb + 1, 200 + n);
        var biasData = GemmReference.RandomArray(m + 1, 300);
        var residualData = GemmReference.RandomArray(m * ldc + 1, 400);
        var c = new float[m * ldc + 1];
        Array.Fill(c, float.NaN);
        var packed = PackedMatrix.PackA(aData, m, k, lda, transposed);
        Assert.Equal(m, packed.Rows);
        Assert.Equal(k, packed.Depth);
        var (product, magnitude) = GemmReference.Compute(transposed, false, m, n, k, 1f, aData, lda, b, ldb, 0f, c, ldc);
        fixed (float* pb = b, pc = c, pBias = biasData, pResidual = residualData)
        {
            var epilogue = new GemmEpilogue(bias ? pBias : null, residual ? pResidual : null, ldc, activation);
            Kernels.Gemm.Multiply(packed, pb, n, ldb, pc, ldc, epilogue, pool);
        }
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double pre = product[i * n + j] + (bias ? biasData[i] : 0) + (residual ? residualData[i * ldc + j] : 0);
                double expected = activation.Apply((float)pre);
                // The activations here have slope ≤ 1 and saturating ones are flatter still, so the pre-activation bound holds.
                double tolerance = GemmReference.Tolerance(magnitude[i * n + j] + Math.Abs(pre) + 1e-3, k) + 2e-6;
                Assert.True(Math.Abs(c[i * ldc + j] - expected) <= tolerance,
                    $"{activation} m={m} n={n} k={k} bias={bias} residual={residual}: C[{i},{j}] = {c[i * ldc + j]}, expected {expected}");
            }
        }
    }
}
