using System.CommandLine;
using System.Text.Json;
using Elide.Adaptive;
using Elide.Data;
using Elide.Runtime;

namespace Elide.Cli.Commands;

/// <summary>`elide eval`: top-1 accuracy of a model on a dataset split, optionally under a skip configuration.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = ModelSource.Help, Required = true };
        var dataset = new Option<string>("--dataset", "-d") { Description = "Dataset: fashion-mnist, mnist, cifar10, cifar100, or name:directory.", DefaultValueFactory = _ => "fashion-mnist" };
        var split = new Option<string>("--split", "-s") { Description = "test (reporting) or val (the validation hold-out, for selection).", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "val");
        var json = new Option<bool>("--json") { Description = "Print one JSON object (accuracy, correct, count, split, dataset, model, config, scaled)." };
        var config = new Option<string?>("--config", "-c") { Description = "Skip configuration: one character per residual block, '1' run, '0' skip (default: all blocks)." };
        var limit = new Option<int>("--limit") { Description = "Evaluate only N evenly spaced images (0: all).", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch", "-b") { Description = "Images per inference.", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads", "-t") { Description = "Kernel threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var unscaled = UnscaledOption.Create();
        foreach (var o in new[] { batch, threads })
            o.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{r.Option.Name} must be ≥ 1"); });
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--limit must be ≥ 0"); });

        var cmd = new Command("eval",
            "Top-1 accuracy of a model on a dataset split. Inputs are raw [0,1] pixels; a model that records " +
            "'elide.input_standardization' in its metadata is fed standardized pixels instead (Elide's own exports normalize inside the graph).")
        {
            model, dataset, split, json, config, limit, batch, threads, unscaled,
        };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            string spec = p.GetValue(model)!;
            bool noScale = p.GetValue(unscaled);
            var graph = UnscaledOption.Load(spec, noScale);
            string data = p.GetValue(dataset)!, splitName = p.GetValue(split)!;
            // Only the split asked for is read: the test split alone needs no training files (data/fashion-mnist).
            var images = Datasets.Load(() => DatasetCatalog.Load(data, splitName == "val" ? DatasetSplit.Validation : DatasetSplit.Test));
            int count = p.GetValue(limit) is > 0 and var n ? Math.Min(n, images.Count) : images.Count;
            var labelled = LabelledImages.From(images, LabelledImages.StandardizationOf(graph), count);
            var session = new InferenceSession(graph, new SessionOptions { Threads = p.GetValue(threads) });
            SkipMask? mask = p.GetValue(config) is { } text ? SkipMask.Parse(text) : null;
            var result = new Evaluator(session, labelled, p.GetValue(batch)).Evaluate(mask);
            string configText = mask?.ToString() ?? new string('1', session.Blocks.Count);
            if (p.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    accuracy = result.Accuracy,
                    correct = result.Correct,
                    count = result.Count,
                    split = splitName,
                    dataset = data,
                    model = spec,
                    config = configText,
                    scaled = !noScale,
                }));
            }
            else
            {
                Console.WriteLine($"{Path.GetFileName(spec)} on {data} {splitName}: accuracy {100 * result.Accuracy:F2}% ({result.Correct}/{result.Count}), config {configText}{(noScale ? " (unscaled)" : "")}");
            }
            return 0;
        }));
        return cmd;
    }
}
