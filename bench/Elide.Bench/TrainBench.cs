using System.Diagnostics;
using System.Text.Json;
using Elide.Kernels.Threading;
using Elide.Models;
using Elide.Tensors;
using Elide.Training;

namespace Elide.Bench;

/// <summary>
/// <c>train</c>: training-step throughput of a CIFAR-style ResNet on 1×28×28 images, the same step PyTorch's peer
/// (bench/peers/torch_bench.py --train) times: zero gradients, forward in training mode (batch statistics, running
/// averages updated), softmax cross-entropy against fixed random labels, backward, SGD (lr 0.01, momentum 0.9, no
/// weight decay, no Nesterov). The batch is fixed, so the data pipeline is not measured; no block is dropped
/// (p_L = 1), so every step runs the whole network as PyTorch does. Prints one JSON line in the peer's schema plus
/// the median forward / backward / update split.
/// </summary>
public static class TrainBench
{
    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(BenchArgs args)
    {
        string arch = args.Text("arch", "resnet20");
        int batch = args.Int("batch", 128), threads = args.Int("threads", 1), warmup = args.Int("warmup", 3), iters = args.Int("iters", 10);
        double minSeconds = args.Int("min-seconds", 5);
        if (!arch.StartsWith("resnet", StringComparison.Ordinal) || !int.TryParse(arch.AsSpan(6), out int depth))
            throw new ArgumentException($"--arch must be resnet<6n+2>, got '{arch}'");
        if (batch < 1 || threads < 1 || iters < 1) throw new ArgumentException("--batch, --threads and --iters must be ≥ 1");

        using var pool = threads > 1 ? new WorkerPool(threads) : null;
        var model = new TrainableResNet(new CifarResNetOptions(depth, 16, 1, 10, 28, Seed: 0), new StochasticDepthOptions(1.0));
        var optimizer = new SgdOptimizer(model.Parameters, new SgdOptions(0.9f, Nesterov: false, WeightDecay: 0f));
        var images = Tensor.Normal(new Shape(batch, 1, 28, 28), new Random(3));
        var rng = new Random(4);
        int[] labels = Enumerable.Range(0, batch).Select(_ => rng.Next(10)).ToArray();
        var buffers = new StepBuffers();
        var forward = new List<double>();
        var backward = new List<double>();
        var update = new List<double>();
        var total = new List<double>();
        long step = 0;

        void Step(bool record)
        {
            long t0 = Stopwatch.GetTimestamp();
            optimizer.ZeroGradients();
            buffers.ReclaimAll();
            var tape = new Tape(pool, buffers: buffers);
            var loss = tape.SoftmaxCrossEntropy(model.TrainingForward(tape, new Variable(images), step++), labels);
            long t1 = Stopwatch.GetTimestamp();
            tape.Backward(loss);
            long t2 = Stopwatch.GetTimestamp();
            optimizer.Step(0.01);
            long t3 = Stopwatch.GetTimestamp();
            if (!float.IsFinite(loss.Value.Data[0])) throw new InvalidOperationException($"loss became {loss.Value.Data[0]} at step {step}");
            if (!record) return;
            forward.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
            backward.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
            update.Add(Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds);
            total.Add(Stopwatch.GetElapsedTime(t0, t3).TotalMilliseconds);
        }

        for (int i = 0; i < warmup; i++) Step(record: false);
        var watch = Stopwatch.StartNew();
        while (total.Count < iters || watch.Elapsed.TotalSeconds < minSeconds) Step(record: true);

        double median = Timing.Median(total);
        var sorted = total.Order().ToArray();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            runtime = "elide",
            model = arch,
            batch,
            threads,
            mode = "train",
            median_ms = Math.Round(median, 3),
            p90_ms = Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(0.9 * sorted.Length) - 1)], 3),
            min_ms = Math.Round(sorted[0], 3),
            images_per_s = Math.Round(batch * 1000 / median, 3),
            iters = total.Count,
            forward_ms = Math.Round(Timing.Median(forward), 3),
            backward_ms = Math.Round(Timing.Median(backward), 3),
            update_ms = Math.Round(Timing.Median(update), 3),
        }));
        return 0;
    }
}
