namespace Elide.Kernels.Tests.Gemm;

public unsafe class GemmAllocationTests
{
    [Fact]
    public void SteadyStateCallsAllocateNothing()
    {
        const int m = 70, n = 90, k = 300;
        var a = GemmReference.RandomArray(m * k, 1);
        var b = GemmReference.RandomArray(k * n, 2);
        var bias = GemmReference.RandomArray(m, 3);
        var c = new float[m * n];
        var packed = PackedMatrix.PackA(a, m, k, k);
        fixed (float* pb = b, pc = c, pBias = bias)
        {
            var epilogue = new GemmEpilogue(pBias, null, 0, Activation.Relu);
            // First calls size the per-thread pack buffers.
            Kernels.Gemm.Sgemm(true, false, m, n, k, 1f, a, m, b, n, 0f, c, n);
            Kernels.Gemm.Multiply(packed, pb, n, n, pc, n, epilogue);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 3; i++)
            {
                Kernels.Gemm.Sgemm(true, false, m, n, k, 1f, a, m, b, n, 0f, c, n);
                Kernels.Gemm.Multiply(packed, pb, n, n, pc, n, epilogue);
            }
            Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        }
    }
}
