using Elide.Kernels.Tests.Gemm;

namespace Elide.Kernels.Tests.Convolution;

public class ConvAllocationTests
{
    public static TheoryData<Conv2dGeometry> Geometries() => new()
    {
        new(2, 16, 14, 14, 32, 3, 3, 2, 2, 1, 1, 1, 1),
        new(2, 16, 14, 14, 32, 1, 1),
        new(2, 16, 20, 20, 16, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 16),
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void SteadyStateRunsAllocateNothing(Conv2dGeometry g)
    {
        var kernel = new Conv2dKernel(g, GemmReference.RandomArray((int)g.WeightLength, 1), GemmReference.RandomArray(g.OutChannels, 2), Activation.Relu);
        var x = GemmReference.RandomArray((int)g.InputLength, 3);
        var residual = GemmReference.RandomArray((int)g.OutputLength, 4);
        var y = new float[g.OutputLength];
        var workspace = new float[kernel.WorkspaceFloats];
        kernel.Run(x, y, residual, workspace);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) kernel.Run(x, y, residual, workspace);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
