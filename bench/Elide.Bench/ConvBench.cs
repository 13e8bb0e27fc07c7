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
        using var pool = threads > 1 ? new WorkerPool(threads) : null;

        Console.WriteLine($"Conv2d, bias + ReLU fused, {threads} thread(s), {KernelInfo.InstructionSet}, median of {samples}");
        Console.WriteLine("µs and GFLOP/s are medians; best = GFLOP/s of the fastest sample (less disturbed by other load)");
        Console.WriteLine($"{"layer",-30} {"batch",5} {"method",-17} {"µs",10} {"µs/image",9} {"GFLOP/s",8} {"best",7}");
        double resNet20Seconds = 0;
        foreach (var layer in ResNetLayers(batch))
        {
            double seconds = Measure(layer, pool, samples);
            resNet20Seconds += layer.ResNet20Count * seconds;
        }
        long resNet20Macs = ResNetLayers(1).Sum(l => l.ResNet20Count * l.Geometry.MultiplyAccumulates);
        Console.WriteLine($"ResNet-20 convolutions ({resNet20Macs / 1e6:F1} M MACs/image): {resNet20Seconds * 1e6 / batch:F0} µs/image, "
            + $"{batch / resNet20Seconds:F0} images/s, {2.0 * resNet20Macs * batch / resNet20Seconds / 1e9:F1} GFLOP/s");
        foreach (var layer in ImageNetLayers()) Measure(layer, pool, samples);
        return 0;
    }

    /// <summary>Times one layer; prints its row and returns the median seconds per run.</summary>
    private static double Measure(Layer layer, WorkerPool? pool, int samples)
    {
        var g = layer.Geometry;
        var random = new Random(7);
        float[] Fill(long length)
        {
            var data = GC.AllocateUninitializedArray<float>(checked((int)length), pinned: true);
            for (int i = 0; i < data.Length; i++) data[i] = random.NextSingle() - 0.5f;
            return data;
        }
        var kernel = new Conv2dKernel(g, Fill(g.WeightLength), Fill(g.OutChannels), Activation.Relu);
        var input = Fill(g.InputLength);
        var output = Fill(g.OutputLength);
        var residual = layer.Residual ? Fill(g.OutputLength) : null;
        var workspace = Fill(Math.Max(1, kernel.WorkspaceFloats));
        double seconds, best;
        fixed (float* x = input, y = output, r = residual, w = workspace)
        {
            float* px = x, py = y, pr = r, pw = w;
            Action run = () => kernel.Run(px, py, pr, pw, pool);
            for (int i = 0; i < 5; i++) run();
            int calls = Timing.CallsPerSample(run, 10);
            var times = new List<double>();
            for (int s = 0; s < samples; s++) times.Add(Timing.Sample(run, calls));
            seconds = Timing.Median(times);
            best = times.Min();
        }
        double gflops = 2.0 * g.MultiplyAccumulates / seconds / 1e9;
        Console.WriteLine($"{layer.Name,-30} {g.Batch,5} {kernel.Method,-17} {seconds * 1e6,10:F1} {seconds * 1e6 / g.Batch,9:F2} {gflops,8:F1} {2.0 * g.MultiplyAccumulates / best / 1e9,7:F1}");
        return seconds;
    }
}
