using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Elide.Kernels.Tests.Gemm;
using Elide.Kernels.Threading;

namespace Elide.Kernels.Tests.Convolution;

public class Conv2dKernelTests
{
    /// <summary>(name, geometry, expected method). Awkward shapes, plus the ResNet / MobileNet layers.</summary>
    public static TheoryData<string, Conv2dGeometry, string> Shapes() => new()
    {
        { "1x1 image 3x3 pad1", new(1, 3, 1, 1, 5, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), "implicit-gemm" },
        { "1x1 image 1x1", new(7, 5, 1, 1, 17, 1, 1), "gemm-1x1" },
        { "pointwise 17->5 batch 7", new(7, 17, 6, 9, 5, 1, 1), "gemm-1x1" },
        { "pointwise 3->33 odd plane", new(1, 3, 11, 13, 33, 1, 1), "gemm-1x1" },
        { "pointwise stride 2", new(2, 16, 28, 28, 32, 1, 1, 2, 2), "implicit-gemm" },
        { "pointwise stride 3", new(1, 5, 10, 11, 7, 1, 1, 3, 3), "implicit-gemm" },
        { "pointwise groups 2", new(2, 6, 5, 7, 10, 1, 1, Groups: 2), "gemm-1x1" },
        { "3x3 pad1 1->16", new(1, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1), "implicit-gemm" },
        { "3x3 pad1 16->16 batch 2", new(2, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1), "implicit-gemm" },
        { "3x3 stride2 16->32", new(1, 16, 28, 28, 32, 3, 3, 2, 2, 1, 1, 1, 1), "implicit-gemm" },
        { "3x3 pad1 64->64 7x7", new(1, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1), "implicit-gemm" },
        { "3x3 channels 5->17 no pad", new(7, 5, 9, 8, 17, 3, 3), "implicit-gemm" },
        { "3x3 stride 3 asym pad", new(1, 3, 13, 11, 5, 3, 3, 3, 3, 2, 0, 1, 2), "implicit-gemm" },
        { "3x3 stride 2x1", new(1, 4, 10, 9, 9, 3, 3, 2, 1, 1, 1, 1, 1), "implicit-gemm" },
        { "3x3 dilation 2", new(2, 5, 12, 12, 17, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2), "implicit-gemm" },
        { "3x3 dilation 2 stride 2", new(1, 3, 15, 14, 8, 3, 3, 2, 2, 2, 1, 2, 1, 2, 2), "implicit-gemm" },
        { "3x3 groups 2", new(2, 6, 9, 10, 10, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 2), "implicit-gemm" },
        { "depthwise multiplier 2", new(1, 4, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 4), "implicit-gemm" },
        { "5x5 pad2", new(1, 3, 17, 13, 7, 5, 5, 1, 1, 2, 2, 2, 2), "implicit-gemm" },
        { "7x7 stride2 pad3", new(1, 3, 32, 30, 17, 7, 7, 2, 2, 3, 3, 3, 3), "implicit-gemm" },
        { "1x3", new(2, 5, 7, 12, 9, 1, 3, 1, 1, 0, 1, 0, 1), "implicit-gemm" },
        { "3x1", new(1, 5, 12, 7, 9, 3, 1, 1, 1, 1, 0, 1, 0), "implicit-gemm" },
        { "3x3 stride2 wide odd rows", new(1, 3, 9, 37, 5, 3, 3, 2, 2, 1, 2, 0, 1), "implicit-gemm" },
        { "3x3 pad2 width 33", new(2, 3, 6, 33, 4, 3, 3, 1, 1, 2, 2, 2, 2), "implicit-gemm" },
        { "3x3 channel-split build 32->8 @46x45", new(1, 32, 46, 45, 8, 3, 3, 1, 1, 1, 1, 1, 1), "implicit-gemm" },
        { "wide K (K > one block)", new(1, 40, 6, 6, 20, 3, 3, 1, 1, 1, 1, 1, 1), "implicit-gemm" },
        { "depthwise 3x3 s1", new(7, 17, 9, 11, 17, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 17), "depthwise-direct" },
        { "depthwise 3x3 s2", new(1, 32, 15, 15, 32, 3, 3, 2, 2, 1, 1, 1, 1, Groups: 32), "depthwise-direct" },
        { "depthwise 5x5 dilation 2", new(1, 3, 12, 13, 3, 5, 5, 1, 1, 4, 4, 4, 4, 2, 2, 3), "depthwise-direct" },
        { "depthwise wide rows", new(2, 3, 5, 70, 3, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 3), "depthwise-direct" },
        { "depthwise 1x1 image", new(2, 5, 1, 1, 5, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 5), "depthwise-direct" },
    };

    /// <summary>Every ungrouped implicit-GEMM shape again, forced onto the direct NCHW8c method (channel counts that
    /// are not multiples of 8 or 16 exercise its zero-padded blocks), plus shapes that end in partial tiles and chunks.</summary>
    public static TheoryData<string, Conv2dGeometry, string> DirectShapes()
    {
        var data = new TheoryData<string, Conv2dGeometry, string>();
        foreach (var row in Shapes())
        {
            var (name, geometry, method) = ((string)row[0], (Conv2dGeometry)row[1], (string)row[2]);
            if (method == "implicit-gemm" && geometry.Groups == 1) data.Add(name, geometry, "direct-nchw8c");
        }
        data.Add("direct 64->64 7x7 (49 positions: a 1-position last chunk)", new(3, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1), "direct-nchw8c");
        data.Add("direct 8->24 (half an output tile)", new(2, 8, 11, 13, 24, 3, 3, 1, 1, 1, 1, 1, 1), "direct-nchw8c");
        data.Add("direct 16->1 1 position", new(1, 16, 1, 1, 1, 1, 1), "direct-nchw8c");
        data.Add("direct 24->16 5x5 dilation 2 stride 2", new(1, 24, 19, 17, 16, 5, 5, 2, 2, 3, 4, 1, 2, 2, 2), "direct-nchw8c");
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(DirectShapes))]
    public void MatchesReferenceWithBiasAndRelu(string name, Conv2dGeometry geometry, string method)
    {
        Check(name, geometry, method, Activation.Relu, bias: true, residual: false, pool: null);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(DirectShapes))]
    public void MatchesReferenceWithResidualAndNoBias(string name, Conv2dGeometry geometry, string method)
    {
        Check(name, geometry, method, new Activation(ActivationKind.Clip, -0.5f, 0.5f), bias: false, residual: true, pool: null);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(DirectShapes))]
    public void ParallelMatchesSerialExactly(string name, Conv2dGeometry geometry, string method)
    {
        using var pool = new WorkerPool(3);
        var (serial, _) = RunKernel(geometry, Activation.None, bias: true, residual: true, pool: null, method);
        var (parallel, _) = RunKernel(geometry, Activation.None, bias: true, residual: true, pool: pool, method);
        Assert.True(serial.AsSpan().SequenceEqual(parallel), name);
    }

    [Fact]
    public void AutomaticChoiceTakesDirectWithAvx2ForBlockedChannels()
    {
        string Auto(Conv2dGeometry g) => new Conv2dKernel(g, new float[g.WeightLength], [], Activation.None).Method;
        string blocked = Conv2dKernel.PreferDirect ? "direct-nchw8c" : "implicit-gemm";
        Assert.Equal(blocked, Auto(new(1, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1)));
        Assert.Equal(blocked, Auto(new(1, 32, 14, 14, 64, 1, 1, 2, 2)));
        Assert.Equal("implicit-gemm", Auto(new(1, 3, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1)));
        Assert.Equal("implicit-gemm", Auto(new(1, 16, 9, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 2)));
        Assert.Equal("gemm-1x1", Auto(new(1, 16, 9, 10, 32, 1, 1)));
        Assert.Equal(Fma.IsSupported && Vector256.IsHardwareAccelerated, Conv2dKernel.PreferDirect);
    }

    [Fact]
    public void ForcingDirectOnAGroupedConvolutionIsRefused()
    {
        var g = new Conv2dGeometry(1, 16, 9, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 2);
        var e = Assert.Throws<ArgumentException>(() => new Conv2dKernel(g, new float[g.WeightLength], [], Activation.None, Conv2dKernel.ConvolutionMethod.Direct));
        Assert.Contains("groups 2", e.Message);
    }

    [Fact]
    public void LargeSingleImageSplitsAcrossThreadsAndMatchesReference()
    {
        using var pool = new WorkerPool(2);
        // Large enough (MACs and phase image) to take the within-image parallel paths at batch 1.
        Check("64->64 3x3 40x40", new(1, 64, 40, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1), "implicit-gemm", Activation.Relu, true, true, pool);
        Check("depthwise 96 at 48x48", new(1, 96, 48, 48, 96, 3, 3, 2, 2, 1, 1, 1, 1, Groups: 96), "depthwise-direct", Activation.Relu, true, true, pool);
        Check("pointwise 64->96 at 30x30", new(1, 64, 30, 30, 96, 1, 1), "gemm-1x1", Activation.Relu, true, true, pool);
        Check("direct 64->64 3x3 40x40", new(1, 64, 40, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1), "direct-nchw8c", Activation.Relu, true, true, pool);
    }

    [Fact]
    public void BatchesSplitByImageAcrossThreadsForEveryMethod()
    {
        using var pool = new WorkerPool(2);
        // Batch ≥ 2 and enough MACs to take the image-parallel path of each method.
        Check("implicit batch 3", new(3, 16, 20, 20, 32, 3, 3, 1, 1, 1, 1, 1, 1), "implicit-gemm", Activation.Relu, true, true, pool);
        Check("direct batch 3", new(3, 16, 20, 20, 32, 3, 3, 1, 1, 1, 1, 1, 1), "direct-nchw8c", Activation.Relu, true, true, pool);
        Check("pointwise batch 3", new(3, 64, 20, 20, 64, 1, 1), "gemm-1x1", Activation.Relu, true, true, pool);
        Check("depthwise batch 5", new(5, 64, 40, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 64), "depthwise-direct", Activation.Relu, true, true, pool);
        Check("depthwise narrow batch 5", new(5, 256, 12, 12, 256, 5, 5, 1, 1, 2, 2, 2, 2, Groups: 256), "depthwise-direct", Activation.None, false, true, pool);
    }

    [Fact]
    public void GeometryComputesOutputSizeAndRejectsBadFields()
    {
        var g = new Conv2dGeometry(1, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 3, 3);
        Assert.Equal(112, g.OutHeight);
        Assert.Equal(112, g.OutWidth);
        Assert.Equal(112L * 112 * 64 * 3 * 49, g.MultiplyAccumulates);
        var e = Assert.Throws<ArgumentException>(() => new Conv2dGeometry(1, 6, 5, 5, 4, 3, 3, Groups: 4).Validate());
        Assert.Contains("InChannels", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Conv2dGeometry(1, 3, 5, 5, 4, 3, 3, StrideHeight: 0).Validate());
        Assert.Contains("StrideHeight", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Conv2dGeometry(1, 3, 2, 5, 4, 3, 3).Validate());
        Assert.Contains("InHeight", e.Message);
    }

    [Fact]
    public void RunValidatesSpanLengths()
    {
        var g = new Conv2dGeometry(2, 3, 5, 5, 4, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        var kernel = new Conv2dKernel(g, new float[g.WeightLength], [], Activation.None);
        var workspace = new float[kernel.WorkspaceFloats];
        var e = Assert.Throws<ArgumentException>(() => kernel.Run(new float[10], new float[g.OutputLength], [], workspace));
        Assert.Equal("input", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => kernel.Run(new float[g.InputLength], new float[3], [], workspace));
        Assert.Equal("output", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => kernel.Run(new float[g.InputLength], new float[g.OutputLength], new float[7], workspace));
        Assert.Equal("residual", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => kernel.Run(new float[g.InputLength], new float[g.OutputLength], [], new float[1]));
        Assert.Equal("workspace", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new Conv2dKernel(g, new float[5], [], Activation.None));
        Assert.Equal("weights", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new Conv2dKernel(g, new float[g.WeightLength], new float[3], Activation.None));
        Assert.Equal("bias", e.ParamName);
    }

    private static void Check(string name, Conv2dGeometry g, string method, Activation activation, bool bias, bool residual, WorkerPool? pool)
    {
        var (actual, kernel) = RunKernel(g, activation, bias, residual, pool, method);
        Assert.Equal(method, kernel.Method);
        var x = GemmReference.RandomArray((int)g.InputLength, 1);
        var w = GemmReference.RandomArray((int)g.WeightLength, 2);
        var b = bias ? GemmReference.RandomArray(g.OutChannels, 3) : [];
        var r = residual ? GemmReference.RandomArray((int)g.OutputLength, 4) : [];
        var (expected, magnitude) = ConvReference.Compute(g, x, w, b, r);
        int depth = g.InChannels / g.Groups * g.KernelHeight * g.KernelWidth;
        for (int i = 0; i < expected.Length; i++)
        {
            double want = activation.Apply((float)expected[i]);
            double tolerance = GemmReference.Tolerance(magnitude[i], depth) + 1e-6;
            Assert.True(Math.Abs(actual[i] - want) <= tolerance, $"{name} ({kernel.Method}): y[{i}] = {actual[i]}, expected {want}");
        }
    }

    /// <summary>Runs the kernel with <paramref name="method"/> forced, so every machine tests every method.</summary>
    private static (float[] Output, Conv2dKernel Kernel) RunKernel(Conv2dGeometry g, Activation activation, bool bias, bool residual, WorkerPool? pool, string method)
    {
        var forced = method switch
        {
            "gemm-1x1" => Conv2dKernel.ConvolutionMethod.Gemm1x1,
            "depthwise-direct" => Conv2dKernel.ConvolutionMethod.Depthwise,
            "direct-nchw8c" => Conv2dKernel.ConvolutionMethod.Direct,
            _ => Conv2dKernel.ConvolutionMethod.ImplicitGemm,
        };
        var x = GemmReference.RandomArray((int)g.InputLength, 1);
        var w = GemmReference.RandomArray((int)g.WeightLength, 2);
        var b = bias ? GemmReference.RandomArray(g.OutChannels, 3) : [];
        var r = residual ? GemmReference.RandomArray((int)g.OutputLength, 4) : [];
        var kernel = new Conv2dKernel(g, w, b, activation, forced);
        var y = new float[g.OutputLength];
        Array.Fill(y, float.NaN);
        var workspace = new float[kernel.WorkspaceFloats];
        Array.Fill(workspace, float.NaN); // the kernel must not depend on workspace contents
        kernel.Run(x, y, r, workspace, pool);
        return (y, kernel);
    }
}
