using System.CommandLine;
using System.Text.Json;
using Elide.Adaptive;
using Elide.Kernels;
using Elide.Runtime;
using Spectre.Console;

namespace Elide.Cli.Commands;

/// <summary>`elide bench`: latency and throughput of a model at a batch size and thread count.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = ModelSource.Help, DefaultValueFactory = _ => "resnet20" };
        var batch = new Option<int>("--batch", "-b") { Description = "Images per inference.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads", "-t") { Description = "Kernel threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seconds = new Option<double>("--seconds") { Description = "Minimum timed duration.", DefaultValueFactory = _ => 3.0 };
        var iterations = new Option<int>("--iterations") { Description = "Minimum timed runs.", DefaultValueFactory = _ => 20 };
        var config = new Option<string?>("--config", "-c") { Description = "Skip configuration: one '1' (run) or '0' (skip) per residual block, e.g. 110111111." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (median_ms, p90_ms, images_per_s, batch, threads, …) instead of text." };
        batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--batch must be ≥ 1"); });
        threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--threads must be ≥ 1"); });
        seconds.Validators.Add(r => { if (r.GetValueOrDefault<double>() <= 0) r.AddError("--seconds must be > 0"); });
        iterations.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--iterations must be ≥ 1"); });

        var unscaled = UnscaledOption.Create();
        var cmd = new Command("bench", "Measure median/p90 latency and images/s of a model (warm-up first; medians over repeated runs).")
        {
            model, batch, threads, seconds, iterations, config, json, unscaled,
        };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            string spec = p.GetValue(model)!;
            int b = p.GetValue(batch), t = p.GetValue(threads);
            bool asJson = p.GetValue(json);
            var graph = UnscaledOption.Load(spec, p.GetValue(unscaled));
            var session = new InferenceSession(graph, new SessionOptions { Threads = t });
            var plan = session.GetPlan(ModelSource.InputShape(graph, b));
            var mask = p.GetValue(config) is { } text ? SkipMask.Parse(text) : null;
            LatencyStats stats;
            if (!asJson && !Console.IsErrorRedirected)
            {
                LatencyStats? result = null;
                AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
                    .Progress().AutoClear(true)
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask($"bench {spec} batch {b} threads {t}", maxValue: 1.0);
                        result = mask is null
                            ? LatencyBenchmark.Run(plan, t, p.GetValue(iterations), p.GetValue(seconds), progress: f => task.Value = f)
                            : MaskedLatency.Benchmark(plan, mask, t, p.GetValue(iterations), p.GetValue(seconds), progress: f => task.Value = f);
                    });
                stats = result!;
            }
            else stats = mask is null
                ? LatencyBenchmark.Run(plan, t, p.GetValue(iterations), p.GetValue(seconds))
                : MaskedLatency.Benchmark(plan, mask, t, p.GetValue(iterations), p.GetValue(seconds));
            long macs = mask is null ? plan.TotalMultiplyAccumulates : (long)Math.Round(ConfigurationWork.Of(session, plan).MacsPerImage(mask) * b);

            double gflops = 2.0 * macs / (stats.MedianMs / 1000.0) / 1e9;
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["model"] = spec,
                    ["batch"] = b,
                    ["threads"] = t,
                    ["median_ms"] = Math.Round(stats.MedianMs, 4),
                    ["p90_ms"] = Math.Round(stats.P90Ms, 4),
                    ["min_ms"] = Math.Round(stats.MinMs, 4),
                    ["images_per_s"] = Math.Round(stats.ImagesPerSecond, 2),
                    ["iterations"] = stats.Iterations,
                    ["gflops"] = Math.Round(gflops, 2),
                    ["macs_per_image"] = macs / b,
                    ["config"] = mask?.ToString() ?? new string('1', session.Blocks.Count),
                    ["isa"] = KernelInfo.InstructionSet,
                }));
            }
            else
            {
                Console.WriteLine($"model        {spec}  (input {plan.InputShapes[0]}, {macs / b / 1e6:F1} M MACs/image{(mask is null ? "" : $", configuration {mask}")})");
                Console.WriteLine($"batch        {b}    threads {t}    kernels {KernelInfo.InstructionSet}");
                Console.WriteLine($"median       {stats.MedianMs:F3} ms    p90 {stats.P90Ms:F3} ms    min {stats.MinMs:F3} ms    ({stats.Iterations} runs)");
                Console.WriteLine($"throughput   {stats.ImagesPerSecond:F1} images/s    {gflops:F1} GFLOP/s");
            }
            return 0;
        }));
        return cmd;
    }
}
