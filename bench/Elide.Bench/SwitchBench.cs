using System.Diagnostics;
using Elide.Adaptive;
using Elide.Models;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Bench;

/// <summary>
/// What switching skip configurations costs: <see cref="Planning.ExecutionPlan.SelectMask"/> alternating between two
/// masks (every switch rebinds), against the time of one inference, on a built-in CIFAR ResNet.
/// </summary>
public static class SwitchBench
{
    public static int Run(BenchArgs args)
    {
        string model = args.Text("model", "resnet56");
        int batch = args.Int("batch", 1), samples = args.Int("samples", 9), switches = args.Int("switches", 200_000);
        if (batch < 1 || samples < 1 || switches < 2) throw new ArgumentException("--batch, --samples must be ≥ 1 and --switches ≥ 2");
        var session = new InferenceSession(CifarResNet.Build(CifarResNet.FromName(model)), new SessionOptions { Threads = 1 });
        var plan = session.GetPlan(new Shape(batch, 1, 28, 28));
        var skippable = session.Blocks.Select((b, i) => (b, i)).Where(t => t.b.Skippable).Select(t => t.i).ToHashSet();
        var all = SkipMask.Parse(new string('1', session.Blocks.Count));
        // Every other skippable block skipped: the rebinding touches half the blocks.
        var half = SkipMask.Parse(string.Concat(Enumerable.Range(0, session.Blocks.Count).Select(i => skippable.Contains(i) && i % 2 == 0 ? '0' : '1')));

        var input = Tensor.Random(plan.InputShapes[0], 3, 0f, 1f).Data;
        var output = new float[plan.OutputShapes[0].ElementCount];
        for (int i = 0; i < 20; i++) plan.Run(input, output, i % 2 == 0 ? all : half);

        var switchNs = new List<double>();
        var runMs = new List<double>();
        for (int s = 0; s < samples; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < switches; i += 2)
            {
                plan.SelectMask(half);
                plan.SelectMask(all);
            }
            switchNs.Add(Stopwatch.GetElapsedTime(t0).TotalNanoseconds / switches);
            t0 = Stopwatch.GetTimestamp();
            plan.Run(input, output, all);
            runMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        double Median(List<double> v) { var o = v.Order().ToArray(); return o.Length % 2 == 1 ? o[o.Length / 2] : 0.5 * (o[o.Length / 2 - 1] + o[o.Length / 2]); }
        Console.WriteLine($"{model} batch {batch}, {session.Blocks.Count} residual blocks ({skippable.Count} skippable), switching {all} <-> {half}");
        Console.WriteLine($"switch: median {Median(switchNs):F1} ns (min {switchNs.Min():F1}, max {switchNs.Max():F1}) over {samples} samples of {switches:N0} switches");
        Console.WriteLine($"one inference (all blocks): median {Median(runMs):F3} ms; a switch is {Median(switchNs) / 1e6 / Median(runMs):P4} of it");
        return 0;
    }
}
