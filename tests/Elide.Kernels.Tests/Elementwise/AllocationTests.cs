namespace Elide.Kernels.Tests.Elementwise;

/// <summary>Steady-state kernel calls must not allocate (counted per thread, so unrelated threads do not interfere).</summary>
public class AllocationTests
{
    /// <summary>
    /// Bytes allocated by 10 calls after warming up, the least over 3 rounds: an allocation the call makes shows in
    /// every round, while a one-off of the runtime on this thread (a method tiering up mid-round) does not — that
    /// made a single round fail once in the scalar (no-intrinsics) run.
    /// </summary>
    internal static long AllocatedBy(Action call)
    {
        call();
        call();
        long least = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) call();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    [Fact]
    public void ElementwiseCallsAllocateNothing()
    {
        var x = Reference.Random(1000, 1);
        var bias = Reference.Random(10, 2);
        var y = new float[1000];
        var sigmoid = new Activation(ActivationKind.Sigmoid);
        Assert.Equal(0, AllocatedBy(() => ActivationKernels.Apply(sigmoid, x, y)));
        Assert.Equal(0, AllocatedBy(() => BinaryKernels.Apply(BinaryOperation.Add, x, [1, 10, 10, 10], bias, [10, 1, 1], y, Activation.Relu)));
        Assert.Equal(0, AllocatedBy(() => BinaryKernels.Apply(BinaryOperation.Divide, x, [10, 100], bias, [10, 1], y)));
    }

    [Fact]
    public void OtherFamiliesAllocateNothing()
    {
        var x = Reference.Random(2 * 5 * 10 * 10, 1);
        var y = new float[x.Length];
        var channel = Reference.Random(5, 2, 0.5f, 2f);
        var g = new Pool2dGeometry(2, 5, 10, 10, 3, 3, 2, 2, 1, 1, 1, 1, CeilMode: true);
        var pooled = new float[g.OutputLength];
        Assert.Equal(0, AllocatedBy(() => PoolingKernels.MaxPool2d(g, x, pooled)));
        Assert.Equal(0, AllocatedBy(() => PoolingKernels.AveragePool2d(g, true, x, pooled)));
        Assert.Equal(0, AllocatedBy(() => PoolingKernels.GlobalAveragePool(10, 100, x, y.AsSpan(0, 10))));
        Assert.Equal(0, AllocatedBy(() => NormalizationKernels.BatchNormInference(2, 5, 100, x, channel, channel, channel, channel, 1e-5f, y)));
        Assert.Equal(0, AllocatedBy(() => NormalizationKernels.ChannelAffine(2, 5, 100, x, channel, channel, y, Activation.Relu)));
        Assert.Equal(0, AllocatedBy(() => SoftmaxKernels.Softmax(2, 5, 100, x, y)));
        Assert.Equal(0, AllocatedBy(() => SoftmaxKernels.LogSoftmax(10, 100, 1, x, y)));
        Assert.Equal(0, AllocatedBy(() => LayoutKernels.Transpose(x, [2, 5, 10, 10], [0, 2, 3, 1], y)));
        Assert.Equal(0, AllocatedBy(() => LayoutKernels.Slice(x, [2, 5, 10, 10], [0, 1, 9, 0], [1, 2, -1, 3], [2, 2, 10, 4], y.AsSpan(0, 160))));
    }
}
