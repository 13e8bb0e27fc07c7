using System.CommandLine;
using System.Globalization;
using Elide.Adaptive;
using Elide.Data;
using Elide.Runtime;

namespace Elide.Cli.Commands;

/// <summary>`elide run`: adaptive inference under a budget, or a demo whose budget changes over time.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = ModelSource.Help + $" Default: the shipped Stochastic-Depth model ({Shipped.ModelPath}), classifying Fashion-MNIST's test split." };
        var front = new Option<string?>("--front") { Description = "Front JSON from `elide explore`, or from `elide merge-fronts` (each point then runs on its own variant, scaled or unscaled; both are loaded) (default: the model's metadata, else <model>.front.json or models/<model>.front.json)." };
        var budgetMs = new Option<double?>("--budget-ms") { Description = "Latency bound per inference (of --batch images) in milliseconds." };
        var energyMj = new Option<double?>("--energy-mj") { Description = "Energy bound per image in millijoules." };
        var powerW = new Option<double?>("--power-w") { Description = "Average power bound in watts." };
        var minAccuracy = new Option<double?>("--min-accuracy") { Description = "Accuracy floor in percent (validation accuracy)." };
        var schedule = new Option<string?>("--schedule") { Description = "Demo: comma-separated latency budgets in ms, one phase each (e.g. 3,1.5,0.8,2)." };
        var demo = new Option<bool>("--demo") { Description = "Demo: a schedule of budgets from 105% down to 30% of the all-blocks latency and back." };
        var dataset = new Option<string?>("--dataset", "-d") { Description = "Classify this dataset's test split and report accuracy (without it: random inputs, latency and energy only)." };
        var images = new Option<int?>("--images") { Description = "Inferences per phase (default: with a dataset, its whole test split spread over the phases; else 200)." };
        var batch = new Option<int>("--batch", "-b") { Description = "Images per inference.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads", "-t") { Description = "Kernel threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var plot = new Option<string?>("--plot") { Description = "Write the front as an SVG plot of accuracy vs latency (with the baseline's front beside it when given or shipped). Default with --demo on the shipped model: elide-demo-front.svg." };
        var baselineFront = new Option<string?>("--baseline-front") { Description = $"A second front drawn on the plot, e.g. the conventionally trained model's (default for the shipped model: {Shipped.BaselineFrontPath})." };
        var noRetime = new Option<bool>("--no-retime") { Description = "Use the front's stored latencies as they are, instead of first re-timing its configurations on this machine with these threads and this batch (the stored figures come from wherever `elide explore` ran)." };
        var unscaled = UnscaledOption.Create();
        foreach (var o in new[] { batch, threads })
            o.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{r.Option.Name} must be ≥ 1"); });
        images.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--images must be ≥ 1"); });
        foreach (var o in new[] { budgetMs, energyMj, powerW })
            o.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is <= 0) r.AddError($"{r.Option.Name} must be > 0"); });
        minAccuracy.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is < 0 or > 100) r.AddError("--min-accuracy must be in [0, 100]"); });

        var cmd = new Command("run",
            "Adaptive inference: pick the best configuration of the model's Pareto front for a budget (latency, energy, power, " +
            "accuracy floor) and run it; with --demo or --schedule the budget changes between phases and the configuration follows.")
        {
            model, front, budgetMs, energyMj, powerW, minAccuracy, schedule, demo, dataset, images, batch, threads, noRetime, plot, baselineFront, unscaled,
        };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            bool shipped = p.GetValue(model) is null;
            string spec = p.GetValue(model) ?? Shipped.Model();
            bool noScale = p.GetValue(unscaled);
            var graph = UnscaledOption.Load(spec, noScale);
            var paretoFront = LoadFront(graph, spec, p.GetValue(front));
            // A front's accuracies belong to the variant it was explored with (`explore --unscaled` names it so).
            bool frontUnscaled = paretoFront.IsUnscaled;
            // A merged front (`elide merge-fronts`) says per point which variant runs: both are planned.
            bool merged = paretoFront.HasUnscaledPoints;
            if (merged && noScale)
                throw new ArgumentException($"the front '{paretoFront.Model}' is merged (`elide merge-fronts`): each point says whether its blocks run scaled or unscaled, " +
                                            "and both variants are loaded; drop --unscaled");
            if (!merged && noScale != frontUnscaled)
                throw new ArgumentException(noScale
                    ? $"--unscaled needs a front explored with `elide explore --unscaled` (pass it with --front); the front found ('{paretoFront.Model}') has scaled blocks"
                    : $"the front '{paretoFront.Model}' was explored with unscaled blocks; add --unscaled");
            var stored = paretoFront;
            var sessionOptions = new SessionOptions { Threads = p.GetValue(threads) };
            var session = new InferenceSession(graph, sessionOptions);
            var unscaledSession = merged ? new InferenceSession(BranchScaling.Unscaled(graph), sessionOptions) : null;
            int b = p.GetValue(batch);
            var declared = ModelSource.InputShape(graph, 1);
            var imageShape = new ImageShape(declared[1], declared[2], declared[3]);
            if (!p.GetValue(noRetime))
                paretoFront = Retime(paretoFront, session, imageShape, b);
            var policy = new AdaptivePolicy(paretoFront);

            LabelledImages? data = null;
            string? dataSpec = p.GetValue(dataset) ?? (shipped ? Shipped.FashionMnistTest() : null);
            if (dataSpec is { } name)
                data = LabelledImages.From(Datasets.Load(() => DatasetCatalog.Load(name, DatasetSplit.Test)), LabelledImages.StandardizationOf(graph));

            var phases = Phases(p.GetValue(budgetMs), p.GetValue(energyMj), p.GetValue(powerW), p.GetValue(minAccuracy) / 100,
                p.GetValue(schedule), p.GetValue(demo), p.GetValue(images) ?? 200, b, policy);
            if (p.GetValue(images) is null && data is not null)
            {
                // The whole test split, in order, spread over the phases: each image classified once (all but the
                // last count % batch images when they cannot fill a batch).
                int total = data.Count / b, n = phases.Count;
                phases = phases.Select((ph, i) => ph with { Inferences = Math.Max(1, total / n + (i < total % n ? 1 : 0)) }).ToList();
            }
            if (shipped) Console.WriteLine($"model {Path.GetRelativePath(Environment.CurrentDirectory, spec)}; " +
                                           (data is null ? "no Fashion-MNIST test split found (install dataset-fashion-mnist): random inputs" : $"classifying {data.Count} test images of {dataSpec}"));
            string? plotPath = p.GetValue(plot) ?? (shipped && (p.GetValue(demo) || p.GetValue(schedule) is not null) ? "elide-demo-front.svg" : null);
            PrintFront(paretoFront, policy, b);
            var results = PhaseRunner.Run(session, policy, phases, data, imageShape, b, unscaledSession: unscaledSession);
            PrintPhases(results, paretoFront, b, data is not null);
            if (plotPath is not null)
                WritePlot(plotPath, stored, spec, p.GetValue(baselineFront) ?? (shipped ? Shipped.BaselineFront() : null));
            return 0;
        }));
        return cmd;
    }

    private static ParetoFront LoadFront(Graph.ComputeGraph graph, string spec, string? path)
    {
        if (path is not null) return Check(ReadFront(path));
        if (FrontMetadata.Read(graph) is { } stored) return Check(stored);
        string name = Path.GetFileNameWithoutExtension(spec);
        foreach (var candidate in new[] { name + ".front.json", Path.Combine("models", name + ".front.json"),
                                          Path.Combine(Path.GetDirectoryName(Path.GetFullPath(spec)) ?? ".", name + ".front.json") })
            if (File.Exists(candidate)) return Check(ReadFront(candidate));
        throw new ArgumentException($"model '{spec}' has no Pareto front: run `elide explore --model {spec} --dataset fashion-mnist` first, or pass --front FRONT.json");

        ParetoFront Check(ParetoFront f)
        {
            int blocks = Adaptive.ResidualBlockDetector.Detect(graph).Count;
            if (f.Blocks != blocks) throw new ArgumentException($"the front is for {f.Blocks} residual blocks but model '{spec}' has {blocks}");
            return f;
        }
    }

    /// <summary>The stored front (as `explore` measured it, the same machine as the baseline's) and the baseline's, as SVG.</summary>
    private static void WritePlot(string path, ParetoFront front, string spec, string? baselinePath)
    {
        var series = new List<PlotSeries> { FrontPlot.FromFront(front, Path.GetFileNameWithoutExtension(spec), FrontPlot.Palette[0]) };
        if (baselinePath is not null)
        {
            var baseline = ReadFront(baselinePath);
            series.Add(FrontPlot.FromFront(baseline, baseline.Model + " (baseline)", FrontPlot.Palette[1]));
        }
        File.WriteAllText(path + ".tmp", FrontPlot.Render(series, "Skip configurations: validation accuracy vs latency (as explored)"));
        File.Move(path + ".tmp", path, overwrite: true);
        Console.WriteLine($"wrote {path} (the front{(baselinePath is null ? "" : " and the baseline's")}: accuracy vs latency)");
    }

    /// <summary>The front with its latencies measured here (<see cref="FrontRetiming"/>), and a line saying how they compare.</summary>
    private static ParetoFront Retime(ParetoFront stored, InferenceSession session, ImageShape image, int batch)
    {
        var here = CliProgress.Run($"timing {stored.Front.Count} configurations on this machine",
            report => FrontRetiming.OnThisMachine(stored, session, image, batch, progress: f => report("batch " + batch, f)));
        var storedPolicy = new AdaptivePolicy(stored);
        var herePolicy = new AdaptivePolicy(here);
        var all = herePolicy.Points.FirstOrDefault(p => !p.Config.Contains('0')) ?? herePolicy.Points[^1];
        var allStored = storedPolicy.Points.First(p => p.Config == all.Config);
        Console.WriteLine($"re-timed the front's {here.Front.Count} configurations here ({session.Options.Threads} thread(s), batch {batch}): " +
                          $"all blocks {herePolicy.LatencyMs(all, batch):F3} ms (stored front: {storedPolicy.LatencyMs(allStored, batch):F3} ms; --no-retime uses the stored figures)");
        return here;
    }

    /// <summary>Reads a front JSON file; a malformed one is an error naming the file.</summary>
    internal static ParetoFront ReadFront(string path)
    {
        try { return ParetoFront.FromJson(File.ReadAllText(path)); }
        catch (FormatException e) { throw new FormatException($"{path}: {e.Message}", e); }
    }

    private static List<Phase> Phases(double? budget, double? energy, double? power, double? floor, string? schedule, bool demo,
        int inferences, int batch, AdaptivePolicy policy)
    {
        if (schedule is not null)
        {
            var budgets = schedule.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
                double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0
                    ? v : throw new ArgumentException($"--schedule entry '{s}' is not a positive number of milliseconds")).ToList();
            if (budgets.Count == 0) throw new ArgumentException("--schedule lists no budgets");
            return budgets.Select((v, i) => new Phase($"phase {i + 1}", new Budget(v, batch, energy, power, floor), inferences)).ToList();
        }
        if (demo || (budget is null && energy is null && power is null && floor is null))
        {
            // The all-blocks latency sets the scale: generous, tightening to 30%, then relaxing again.
            double full = policy.LatencyMs(policy.Points[^1], batch);
            double[] fractions = [1.05, 0.8, 0.6, 0.45, 0.3, 0.6, 1.05];
            return fractions.Select((f, i) => new Phase($"phase {i + 1}", new Budget(Math.Round(full * f, 3), batch, energy, power, floor), inferences)).ToList();
        }
        return [new Phase("run", new Budget(budget, batch, energy, power, floor), inferences)];
    }

    private static void PrintFront(ParetoFront f, AdaptivePolicy policy, int batch)
    {
        bool merged = f.HasUnscaledPoints;
        Console.WriteLine($"{f.Model}: {f.Front.Count} operating points on the Pareto front ({f.Blocks} residual blocks" +
                          (merged ? $"; merged: {f.Front.Count(p => p.Unscaled)} run with unscaled blocks)" : ")"));
        Console.WriteLine($"  {"config",-28} {Variant("variant", merged)}{"kept",5} {"val %",7} {$"ms/b{batch}",9} {"mJ/img",8}");
        foreach (var p in policy.Points)
            Console.WriteLine($"  {Short(p.Config),-28} {Variant(p, merged)}{p.Mask.RunCount,5} {100 * p.ValAccuracy,7:F2} {policy.LatencyMs(p, batch),9:F3} {AdaptivePolicy.EnergyMillijoules(p),8:F3}");
        Console.WriteLine();
    }

    private static void PrintPhases(IReadOnlyList<PhaseResult> results, ParetoFront f, int batch, bool labelled)
    {
        bool merged = f.HasUnscaledPoints;
        Console.WriteLine($"{"phase",-9} {"budget",-22} {"config",-28} {Variant("variant", merged)}{"kept",5} {"acc %",7} {"median ms",9} {"p90 ms",8} {"misses",7} {"mJ/img",8} {"RAPL mJ/img",11} {"choose µs",9}");
        foreach (var r in results)
        {
            string budget = r.Phase.Budget + (r.Decision.Feasible ? "" : " (!)");
            Console.WriteLine($"{r.Phase.Name,-9} {budget,-22} {Short(r.Decision.Point.Config),-28} {Variant(r.Decision.Point, merged)}{r.Decision.Mask.RunCount,5} {(r.Accuracy is { } a ? $"{100 * a:F2}" : "-"),7} " +
                              $"{r.MedianMs,9:F3} {r.P90Ms,8:F3} {r.DeadlineMisses,7} {r.ModelledEnergyMillijoules / Math.Max(1, r.Images),8:F3} " +
                              $"{(r.MeasuredEnergyMillijoules is { } m ? $"{m / Math.Max(1, r.Images):F3}" : "n/a"),11} {r.DecisionMicroseconds,9:F2}");
        }
        int images = results.Sum(r => r.Images);
        int inferences = results.Sum(r => r.Phase.Inferences);
        double modelled = results.Sum(r => r.ModelledEnergyMillijoules);
        var all = f.AllBlocks ?? throw new InvalidOperationException("the front has no all-blocks configuration");
        double allBlocks = all.EnergyMillijoules * images;
        int? correct = labelled ? results.Sum(r => r.Correct ?? 0) : null;
        Console.WriteLine();
        Console.WriteLine($"total     {images} images in {inferences} inferences of batch {batch}, {results.Sum(r => r.WallSeconds):F1} s; " +
                          $"deadline misses {results.Sum(r => r.DeadlineMisses)}" +
                          (correct is { } c ? $"; accuracy {100.0 * c / Math.Max(1, images):F2}%" : "; accuracy not measured (no --dataset)"));
        Console.WriteLine($"energy    {modelled:F1} mJ modelled ({modelled / Math.Max(1e-12, allBlocks):P0} of running all blocks throughout)" +
                          (results.All(r => r.MeasuredEnergyMillijoules is not null) ? $", {results.Sum(r => r.MeasuredEnergyMillijoules!.Value):F1} mJ measured (RAPL)" : "; package energy: unavailable (no readable RAPL)"));
        if (results.Any(r => !r.Decision.Feasible))
            Console.WriteLine("(!) no configuration fits this budget; the fastest one ran");
    }

    private static string Short(string config) => config.Length > 28 ? config[..25] + "…" : config;

    /// <summary>The variant column, present only for a merged front.</summary>
    private static string Variant(string header, bool merged) => merged ? $"{header,-9} " : "";

    private static string Variant(OperatingPoint p, bool merged) => Variant(p.Unscaled ? "unscaled" : "scaled", merged);
}

/// <summary>Dataset loading for the adaptive commands: a missing dataset is an expected, clearly reported error.</summary>
internal static class Datasets
{
    /// <summary>Runs <paramref name="load"/>, turning <see cref="DatasetNotFoundException"/> into the CLI's file-not-found error.</summary>
    public static T Load<T>(Func<T> load)
    {
        try { return load(); }
        catch (DatasetNotFoundException e) { throw new FileNotFoundException(e.Message, e); }
    }
}
