using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Elide.Kernels;
using Elide.Kernels.Threading;

namespace Elide.Bench;

/// <summary>
/// <c>conv</c>: per-layer convolution throughput for the CIFAR-style ResNet-20/56 layers on 28×28 inputs (at the
/// requested batch) and a few ResNet-18 / MobileNet-v2 layers at 224×224 resolution (batch 1), each with bias and
/// ReLU fused. Also sums the conv layers of ResNet-20 into a per-image estimate.
/// </summary>
public static unsafe class ConvBench
{
    private sealed record Layer(string Name, Conv2dGeometry Geometry, bool Residual = false, int ResNet20Count = 0);

    private static Layer[] ResNetLayers(int batch) =>
    [
        new("conv1 1->16 3x3 @28", new(batch, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1), ResNet20Count: 1),
        new("16->16 3x3 @28 +res", new(batch, 16, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1), Residual: true, ResNet20Count: 6),
        new("16->32 3x3 s2 @28", new(batch, 16, 28, 28, 32, 3, 3, 2, 2, 1, 1, 1, 1), ResNet20Count: 1),
        new("32->32 3x3 @14 +res", new(batch, 32, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1), Residual: true, ResNet20Count: 5),
        new("32->64 3x3 s2 @14", new(batch, 32, 14, 14, 64, 3, 3, 2, 2, 1, 1, 1, 1), ResNet20Count: 1),
        new("64->64 3x3 @7 +res", new(batch, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1), Residual: true, ResNet20Count: 5),
        new("proj 16->32 1x1 s2 @28", new(batch, 16, 28, 28, 32, 1, 1, 2, 2), ResNet20Count: 1),
        new("proj 32->64 1x1 s2 @14", new(batch, 32, 14, 14, 64, 1, 1, 2, 2), ResNet20Count: 1),
    ];

    private static Layer[] ImageNetLayers() =>
    [
        new("r18 conv1 3->64 7x7 s2 @224", new(1, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 3, 3)),
        new("r18 64->64 3x3 @56", new(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1)),
        new("r18 256->256 3x3 @14", new(1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1)),
        new("mnv2 1x1 24->144 @56", new(1, 24, 56, 56, 144, 1, 1)),
        new("mnv2 dw 3x3 144 @56", new(1, 144, 56, 56, 144, 3, 3, 1, 1, 1, 1, 1, 1, Groups: 144)),
        new("mnv2 dw 3x3 s2 96 @112", new(1, 96, 112, 112, 96, 3, 3, 2, 2, 1, 1, 1, 1, Groups: 96)),
        new("mnv2 1x1 144->24 @56", new(1, 144, 56, 56, 24, 1, 1)),
    ];

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(BenchArgs args)
    {
        int threads = args.Int("threads", 1);
        int batch = args.Int("batch", 1);
        int samples = args.Int("samples", 15);
        if (threads < 1) throw new ArgumentException("--threads must be ≥ 1");
        if (batch < 1) throw new ArgumentException("--batch must be ≥ 1");
        string methodName = args.Text("method", "auto");
        string only = args.Text("only", "");
        bool compare = methodName == "compare";
        Conv2dKernel.ConvolutionMethod? forced = methodName switch
        {
            "auto" or "compare" => null,
            "implicit-gemm" => Conv2dKernel.ConvolutionMethod.ImplicitGemm,
            "direct-nchw8c" => Conv2dKernel.ConvolutionMethod.Direct,
            _ => throw new ArgumentException("--method must be auto, implicit-gemm, direct-nchw8c or compare"),
        };
        using var pool = threads > 1 ? new WorkerPool(threads) : null;

        Console.WriteLine($"Conv2d, bias + ReLU fused, {threads} thread(s), {KernelInfo.InstructionSet}, median of {samples}");
        Console.WriteLine("µs and GFLOP/s are medians; best = GFLOP/s of the fastest sample (less disturbed by other load)");
        if (compare)
            Console.WriteLine("compare: implicit-gemm and direct-nchw8c sampled alternately; ratio = median over sample pairs of implicit time ÷ direct time");
        Console.WriteLine($"{"layer",-30} {"batch",5} {"method",-17} {"µs",10} {"µs/image",9} {"GFLOP/s",8} {"best",7}");
        double resNet20Seconds = 0;
        foreach (var layer in ResNetLayers(batch).Where(l => l.Name.Contains(only, StringComparison.Ordinal)))
        {
            double seconds = compare ? Compare(layer, pool, samples) : Measure(layer, pool, samples, forced);
            resNet20Seconds += layer.ResNet20Count * seconds;
        }
        long resNet20Macs = ResNetLayers(1).Sum(l => l.ResNet20Count * l.Geometry.MultiplyAccumulates);
        if (only.Length == 0)
            Console.WriteLine($"ResNet-20 convolutions ({resNet20Macs / 1e6:F1} M MACs/image): {resNet20Seconds * 1e6 / batch:F0} µs/image, "
                + $"{batch / resNet20Seconds:F0} images/s, {2.0 * resNet20Macs * batch / resNet20Seconds / 1e9:F1} GFLOP/s");
        foreach (var layer in ImageNetLayers().Where(l => l.Name.Contains(only, StringComparison.Ordinal)))
        {
            if (compare) Compare(layer, pool, samples);
            else Measure(layer, pool, samples, forced);
        }
        return 0;
    }

    /// <summary>A layer's kernel with random operands, ready to time.</summary>
    private sealed class Subject
    {
        // Pinned arrays, kept alive by these fields while Run holds their addresses.
        private readonly float[] input, output, workspace;
        private readonly float[]? residual;

        public Subject(Layer layer, Conv2dKernel.ConvolutionMethod? forced, WorkerPool? pool)
        {
            var g = layer.Geometry;
            var random = new Random(7);
            float[] Fill(long length)
            {
                var data = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(length, 1)), pinned: true);
                for (int i = 0; i < data.Length; i++) data[i] = random.NextSingle() - 0.5f;
                return data;
            }
            // The choice is between implicit GEMM and direct, which only ungrouped layers have; others keep theirs.
            if (g.Groups != 1) forced = null;
            Kernel = new Conv2dKernel(g, Fill(g.WeightLength), Fill(g.OutChannels), Activation.Relu, forced);
            input = Fill(g.InputLength);
            output = Fill(g.OutputLength);
            residual = layer.Residual ? Fill(g.OutputLength) : null;
            workspace = Fill(Kernel.WorkspaceFloats);
            float* px = Address(input), py = Address(output), pr = residual is null ? null : Address(residual), pw = Address(workspace);
            Run = () => Kernel.Run(px, py, pr, pw, pool);
        }

        public Conv2dKernel Kernel { get; }

        public Action Run { get; }

        private static float* Address(float[] pinned) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
    }

    /// <summary>Times one layer; prints its row and returns the median seconds per run.</summary>
    private static double Measure(Layer layer, WorkerPool? pool, int samples, Conv2dKernel.ConvolutionMethod? forced)
    {
        var subject = new Subject(layer, forced, pool);
        for (int i = 0; i < 5; i++) subject.Run();
        int calls = Timing.CallsPerSample(subject.Run, 10);
        var times = new List<double>();
        for (int s = 0; s < samples; s++) times.Add(Timing.Sample(subject.Run, calls));
        PrintRow(layer, subject.Kernel.Method, times, "");
        return Timing.Median(times);
    }

    /// <summary>Times implicit GEMM and direct on one layer, alternating samples; returns the faster median
    /// (the one the automatic choice would want).</summary>
    private static double Compare(Layer layer, WorkerPool? pool, int samples)
    {
        if (layer.Geometry.Groups != 1) return Measure(layer, pool, samples, null);
        var gemm = new Subject(layer, Conv2dKernel.ConvolutionMethod.ImplicitGemm, pool);
        var direct = new Subject(layer, Conv2dKernel.ConvolutionMethod.Direct, pool);
        for (int i = 0; i < 5; i++)
        {
            gemm.Run();
            direct.Run();
        }
        int gemmCalls = Timing.CallsPerSample(gemm.Run, 10), directCalls = Timing.CallsPerSample(direct.Run, 10);
        var gemmTimes = new List<double>();
        var directTimes = new List<double>();
        var ratios = new List<double>();
        for (int s = 0; s < samples; s++)
        {
            gemmTimes.Add(Timing.Sample(gemm.Run, gemmCalls));
            directTimes.Add(Timing.Sample(direct.Run, directCalls));
            ratios.Add(gemmTimes[^1] / directTimes[^1]);
        }
        PrintRow(layer, gemm.Kernel.Method, gemmTimes, "");
        PrintRow(layer, direct.Kernel.Method, directTimes, $"  direct ÷ implicit speed {Timing.Median(ratios):F2}x");
        return Math.Min(Timing.Median(gemmTimes), Timing.Median(directTimes));
    }

    private static void PrintRow(Layer layer, string method, List<double> times, string suffix)
    {
        var g = layer.Geometry;
        double seconds = Timing.Median(times), best = times.Min();
        double gflops = 2.0 * g.MultiplyAccumulates / seconds / 1e9;
        Console.WriteLine($"{layer.Name,-30} {g.Batch,5} {method,-17} {seconds * 1e6,10:F1} {seconds * 1e6 / g.Batch,9:F2} {gflops,8:F1} {2.0 * g.MultiplyAccumulates / best / 1e9,7:F1}{suffix}");
    }
}
