using System.CommandLine;
using Elide.Adaptive;
using Elide.Data;
using Elide.Onnx.Export;
using Spectre.Console;

namespace Elide.Cli.Commands;

/// <summary>`elide explore`: finds the model's near-Pareto-optimal skip configurations and stores the front with it.</summary>
internal static class ExploreCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = ModelSource.Help, Required = true };
        var dataset = new Option<string>("--dataset", "-d") { Description = "Dataset: fashion-mnist, mnist, cifar10, cifar100, or name:directory.", DefaultValueFactory = _ => "fashion-mnist" };
        var report = new Option<string?>("--report") { Description = "Front JSON to write (default: <model>.front.json)." };
        var plot = new Option<string?>("--plot") { Description = "SVG plot of accuracy vs latency to write." };
        var baseline = new Option<string?>("--baseline") { Description = "A second model (or its front .json) drawn on the same axes, e.g. the conventionally trained network." };
        var modelOut = new Option<string?>("--model-out") { Description = "Copy of the model with the front in its ONNX metadata (default: <model>.explored.onnx)." };
        var state = new Option<string?>("--state") { Description = "Progress file for resuming (default: <report>.state.json)." };
        var searchImages = new Option<int>("--search-images") { Description = "Validation images the search scores configurations on.", DefaultValueFactory = _ => 1000 };
        var valImages = new Option<int>("--val-images") { Description = "Validation images for the front's reported accuracy (0: all).", DefaultValueFactory = _ => 0 };
        var testImages = new Option<int>("--test-images") { Description = "Test images for the report (0: all).", DefaultValueFactory = _ => 0 };
        var noTest = new Option<bool>("--no-test") { Description = "Do not measure test accuracy." };
        var population = new Option<int>("--population") { Description = "NSGA-II population.", DefaultValueFactory = _ => 32 };
        var generations = new Option<int>("--generations") { Description = "NSGA-II generations.", DefaultValueFactory = _ => 20 };
        var greedyLimit = new Option<int>("--greedy-candidates") { Description = "Greedy tries only this many least-sensitive blocks per step (0: all).", DefaultValueFactory = _ => 0 };
        var largeBatch = new Option<int>("--large-batch") { Description = "Batch of the large-batch latency figures.", DefaultValueFactory = _ => 64 };
        var rounds = new Option<int>("--rounds") { Description = "Timing passes over all configurations (medians of rounds × runs).", DefaultValueFactory = _ => 5 };
        var runs = new Option<int>("--runs") { Description = "Timed runs per configuration per pass.", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads", "-t") { Description = "Kernel threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var unscaled = new Option<bool>("--unscaled") { Description = "Divide the Stochastic-Depth branch scale p_l (recorded as BranchScale in the block map) out of kept blocks, to compare with the scaled default." };
        var seed = new Option<int>("--seed") { Description = "Seed of the evolutionary search.", DefaultValueFactory = _ => 7 };
        foreach (var o in new[] { searchImages, population, generations, largeBatch, rounds, runs, threads })
            o.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{r.Option.Name} must be ≥ 1"); });
        foreach (var o in new[] { valImages, testImages, greedyLimit })
            o.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError($"{r.Option.Name} must be ≥ 0"); });

        var cmd = new Command("explore",
            "Find near-Pareto-optimal skip configurations (accuracy vs latency/energy) without trying all 2^N: per-block sensitivity, " +
            "greedy removal and NSGA-II on a validation subset, then profile the front (validation and test accuracy, measured and " +
            "predicted latency at batch 1 and 64, MACs, energy). Resumable: rerun the same command to continue.")
        {
            model, dataset, report, plot, baseline, modelOut, state, searchImages, valImages, testImages, noTest,
            population, generations, greedyLimit, largeBatch, rounds, runs, threads, seed, unscaled,
        };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            string spec = p.GetValue(model)!;
            string name = Path.GetFileNameWithoutExtension(spec);
            string reportPath = p.GetValue(report) ?? name + ".front.json";
            string statePath = p.GetValue(state) ?? reportPath + ".state.json";
            string data = p.GetValue(dataset)!;
            var splits = Datasets.Load(() => DatasetCatalog.LoadSplits(data));
            bool noScale = p.GetValue(unscaled);
            Graph.ComputeGraph Load(string modelSpec) => UnscaledOption.Load(modelSpec, noScale);
            ExplorationOptions Options(string modelSpec, string stateFile) => new()
            {
                Model = Load(modelSpec),
                ModelName = Path.GetFileNameWithoutExtension(modelSpec) + (noScale ? UnscaledOption.FrontSuffix : ""),
                Validation = splits.Validation,
                Test = p.GetValue(noTest) ? null : splits.Test,
                SearchImages = p.GetValue(searchImages),
                ValidationImages = p.GetValue(valImages),
                TestImages = p.GetValue(testImages),
                Threads = p.GetValue(threads),
                LargeBatch = p.GetValue(largeBatch),
                Search = new FrontSearchOptions(GreedyCandidateLimit: p.GetValue(greedyLimit),
                    Evolution: new Nsga2Options(p.GetValue(population), p.GetValue(generations), Seed: p.GetValue(seed))),
                Measurement = new LatencyMeasurementOptions(p.GetValue(rounds), p.GetValue(runs)),
                StatePath = stateFile,
            };

            var result = CliProgress.Run($"explore {name}", report => Exploration.Run(Options(spec, statePath), report));
            File.WriteAllText(reportPath + ".tmp", result.Front.ToJson());
            File.Move(reportPath + ".tmp", reportPath, overwrite: true);

            var graph = Load(spec);
            FrontMetadata.Attach(graph, result.Front);
            string copy = p.GetValue(modelOut) ?? name + ".explored.onnx";
            OnnxExporter.Save(graph, copy);

            Print(result, data);
            Console.WriteLine($"wrote {reportPath} (front), {copy} (model with the front in metadata_props '{FrontMetadata.Key}'), {statePath} (resume state)");

            if (p.GetValue(plot) is { } plotPath)
            {
                var series = new List<PlotSeries> { FrontPlot.FromFront(result.Front, name, FrontPlot.Palette[0]) };
                if (p.GetValue(baseline) is { } other)
                {
                    ParetoFront otherFront = other.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                        ? ParetoFront.FromJson(File.ReadAllText(other))
                        : CliProgress.Run($"explore baseline {Path.GetFileNameWithoutExtension(other)}",
                            report => Exploration.Run(Options(other, Path.ChangeExtension(reportPath, null) + ".baseline.state.json"), report)).Front;
                    series.Add(FrontPlot.FromFront(otherFront, otherFront.Model + " (baseline)", FrontPlot.Palette[1]));
                }
                File.WriteAllText(plotPath + ".tmp", FrontPlot.Render(series, $"Skip configurations on {data}: accuracy vs latency"));
                File.Move(plotPath + ".tmp", plotPath, overwrite: true);
                Console.WriteLine($"wrote {plotPath}");
            }
            return 0;
        }));
        return cmd;
    }

    private static void Print(ExplorationResult r, string data)
    {
        var f = r.Front;
        var all = f.AllBlocks ?? throw new InvalidOperationException("the front has no all-blocks configuration");
        Console.WriteLine($"{f.Model}: {f.Blocks} residual blocks, {r.Search.Evaluated.Count} configurations scored on {data} validation " +
                          $"({r.Search.NewEvaluations} new, {r.Resumed} resumed; prefix caching {(r.PrefixCaching ? "on" : "off")}), {f.Front.Count} on the front");
        Console.WriteLine($"{"config",-28} {"kept",5} {"val %",7} {"test %",7} {"b1 ms",9} {"pred",9} {"b" + f.LargeBatch + " ms",9} {"pred",9} {"M MACs",8} {"mJ",7} {"speed-up",8}");
        foreach (var p in f.Front)
        {
            string config = p.Config.Length > 28 ? p.Config[..25] + "…" : p.Config;
            Console.WriteLine($"{config,-28} {p.Mask.RunCount,5} {100 * p.ValAccuracy,7:F2} {(p.TestAccuracy is { } t ? $"{100 * t:F2}" : "-"),7} " +
                              $"{p.LatencyMsBatch1,9:F3} {p.PredictedMsBatch1,9:F3} {p.LatencyMsBatch64,9:F2} {p.PredictedMsBatch64,9:F2} " +
                              $"{p.Macs / 1e6,8:F1} {p.EnergyMillijoules,7:F3} {all.LatencyMsBatch1 / p.LatencyMsBatch1,7:F2}x");
        }
        Console.WriteLine($"latency prediction error across the front: batch 1 max {100 * r.PredictionError.MaxRelativeErrorBatch1:F1}% " +
                          $"(mean {100 * r.PredictionError.MeanRelativeErrorBatch1:F1}%), batch {f.LargeBatch} max {100 * r.PredictionError.MaxRelativeErrorLargeBatch:F1}% " +
                          $"(mean {100 * r.PredictionError.MeanRelativeErrorLargeBatch:F1}%)");
        Console.WriteLine($"energy: {f.EnergyModel}; measured package energy: {f.MeasuredEnergy}");
        // The headline a user picks an operating point by: the fastest configuration within 0.5 / 1 / 2 points of
        // all blocks (test accuracy when measured, else validation); a threshold that adds nothing is not repeated.
        string? previous = all.Config;
        foreach (double points in new[] { 0.5, 1.0, 2.0 })
        {
            var best = f.FastestWithin(points);
            if (best is null || best.Config == previous) continue;
            previous = best.Config;
            double lost = f.ReportedAccuracy(all) - f.ReportedAccuracy(best);
            Console.WriteLine($"fastest within {points:0.0} point{(points == 1 ? "" : "s")} of all blocks: {best.Config}, " +
                              $"{all.LatencyMsBatch1 / best.LatencyMsBatch1:F2}x faster at batch 1, {all.Macs / (double)best.Macs:F2}x fewer MACs, " +
                              (lost >= 0 ? $"{100 * lost:F2} points lost" : $"{-100 * lost:F2} points better"));
        }
    }
}
