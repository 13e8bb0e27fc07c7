using System.Runtime.InteropServices;
using System.CommandLine;
using System.Globalization;
using Elide.Data;
using Elide.Onnx.Export;
using Elide.Training;
using Spectre.Console;

namespace Elide.Cli.Commands;

/// <summary>`elide train`: trains a CIFAR-style ResNet with Stochastic Depth and exports a self-normalizing ONNX model.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainerOptions();
        var arch = new Option<string>("--arch", "-a") { Description = "Architecture: resnet<6n+2> (resnet20, resnet32, resnet56, …).", DefaultValueFactory = _ => "resnet56" };
        var dataset = new Option<string>("--dataset", "-d") { Description = "Dataset: fashion-mnist, mnist, cifar10, cifar100, or name:directory.", DefaultValueFactory = _ => "fashion-mnist" };
        var stochasticDepth = new Option<double>("--stochastic-depth") { Description = "Stochastic Depth p_L, survival probability of the last block (1: no dropping, the conventional baseline).", DefaultValueFactory = _ => defaults.FinalSurvivalProbability };
        var rule = new Option<string>("--stochastic-depth-rule")
        {
            Description = "How each block's survival probability follows from p_L: linear (p_l = 1 − (l/L)(1 − p_L), Huang et al.) or uniform (p_l = p_L for every droppable block: any block can be skipped at inference).",
            DefaultValueFactory = _ => "linear",
        };
        rule.AcceptOnlyFromAmong("linear", "uniform");
        var epochs = new Option<int>("--epochs", "-e") { Description = "Epochs in total (a resumed run continues towards the same total).", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out", "-o") { Description = "Trained model (.onnx, self-normalizing: takes raw [0,1] pixels) written when training completes." };
        var resume = new Option<string?>("--resume") { Description = "Continue from this checkpoint (same data; options not given are taken from the checkpoint)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint written atomically after every epoch and when stopped (default: <out>.ckpt, or the --resume file)." };
        var checkpointSteps = new Option<int>("--checkpoint-steps") { Description = "Also checkpoint every N steps (0: only at epoch ends).", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch", "-b") { Description = "Images per step.", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (cosine schedule after a linear warm-up).", DefaultValueFactory = _ => defaults.LearningRate };
        var warmup = new Option<int>("--warmup-epochs") { Description = "Epochs of linear learning-rate warm-up.", DefaultValueFactory = _ => defaults.WarmupEpochs };
        var weightDecay = new Option<float>("--weight-decay") { Description = "L2 weight decay on conv and linear weights (not BN or biases).", DefaultValueFactory = _ => defaults.WeightDecay };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => defaults.Momentum };
        var noNesterov = new Option<bool>("--no-nesterov") { Description = "Classical instead of Nesterov momentum." };
        var smoothing = new Option<float>("--label-smoothing") { Description = "Label smoothing ε.", DefaultValueFactory = _ => 0f };
        var padding = new Option<int>("--crop-padding") { Description = "Random-crop zero padding (0: no cropping).", DefaultValueFactory = _ => defaults.CropPadding };
        var noFlip = new Option<bool>("--no-flip") { Description = "No random horizontal flips (use for digits)." };
        var seed = new Option<int>("--seed") { Description = "Seed of weights, data order, augmentation and block drops.", DefaultValueFactory = _ => 0 };
        var trainLimit = new Option<int>("--train-limit") { Description = "Train on only N evenly spaced training images (0: all).", DefaultValueFactory = _ => 0 };
        var valLimit = new Option<int>("--val-limit") { Description = "Validate on only N evenly spaced validation images (0: all), the images `elide eval --limit N` scores.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads", "-t") { Description = "Kernel threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var exportOnly = new Option<bool>("--export-only")
        {
            Description = "With --resume and --out: write the checkpoint's current network as the ONNX model (and print its validation accuracy) without training further; for a look at a run in progress.",
        };
        var timeLimit = new Option<double>("--time-limit") { Description = "Stop after this many minutes, writing the checkpoint (0: none); rerun with --resume to continue.", DefaultValueFactory = _ => 0 };
        foreach (var o in new[] { epochs, batch, threads })
            o.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{r.Option.Name} must be ≥ 1"); });
        foreach (var o in new[] { checkpointSteps, trainLimit, valLimit, warmup, padding })
            o.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError($"{r.Option.Name} must be ≥ 0"); });

        var cmd = new Command("train",
            "Train a CIFAR-style ResNet with Stochastic Depth (SGD + Nesterov momentum, cosine schedule with warm-up, random crop and flip, " +
            "per-channel standardization) and export it as a self-contained ONNX model. Seeded and reproducible; resumable from checkpoints.")
        {
            arch, dataset, stochasticDepth, rule, epochs, output, resume, checkpoint, checkpointSteps, batch, lr, warmup, weightDecay, momentum,
            noNesterov, smoothing, padding, noFlip, seed, trainLimit, valLimit, threads, timeLimit, exportOnly,
        };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            string? resumePath = p.GetValue(resume);
            string? outPath = p.GetValue(output);
            if (outPath is null && resumePath is null && p.GetValue(checkpoint) is null)
                throw new ArgumentException("nothing would be saved: give --out (and/or --checkpoint)");
            string? checkpointPath = p.GetValue(checkpoint) ?? resumePath ?? (outPath is null ? null : Path.ChangeExtension(outPath, ".ckpt"));
            if (p.GetValue(exportOnly) && (resumePath is null || outPath is null))
                throw new ArgumentException("--export-only needs --resume CHECKPOINT and --out MODEL.onnx");

            // The recipe: the checkpoint's when resuming, overridden by the options given explicitly (which must then agree).
            var recipe = resumePath is null ? new TrainerOptions() : Checkpoint.Load(resumePath).ReadRecipe();
            bool Given(Option o) => resumePath is null || p.GetResult(o) is { Implicit: false };
            if (Given(arch)) recipe = recipe with { Depth = ParseDepth(p.GetValue(arch)!) };
            if (Given(stochasticDepth)) recipe = recipe with { FinalSurvivalProbability = p.GetValue(stochasticDepth) };
            if (Given(rule)) recipe = recipe with { StochasticDepthRule = p.GetValue(rule) == "uniform" ? StochasticDepthRule.Uniform : StochasticDepthRule.Linear };
            if (Given(epochs)) recipe = recipe with { Epochs = p.GetValue(epochs) };
            if (Given(batch)) recipe = recipe with { BatchSize = p.GetValue(batch) };
            if (Given(lr)) recipe = recipe with { LearningRate = p.GetValue(lr) };
            if (Given(warmup)) recipe = recipe with { WarmupEpochs = p.GetValue(warmup) };
            if (Given(weightDecay)) recipe = recipe with { WeightDecay = p.GetValue(weightDecay) };
            if (Given(momentum)) recipe = recipe with { Momentum = p.GetValue(momentum) };
            if (Given(noNesterov)) recipe = recipe with { Nesterov = !p.GetValue(noNesterov) };
            if (Given(smoothing)) recipe = recipe with { LabelSmoothing = p.GetValue(smoothing) };
            if (Given(padding)) recipe = recipe with { CropPadding = p.GetValue(padding) };
            if (Given(noFlip)) recipe = recipe with { HorizontalFlip = !p.GetValue(noFlip) };
            if (Given(seed)) recipe = recipe with { Seed = p.GetValue(seed) };
            if (Given(trainLimit)) recipe = recipe with { TrainLimit = p.GetValue(trainLimit) };
            if (Given(valLimit)) recipe = recipe with { ValidationLimit = p.GetValue(valLimit) };
            recipe.Validate();

            string data = p.GetValue(dataset)!;
            var splits = Datasets.Load(() => DatasetCatalog.LoadSplits(data));
            int threadCount = p.GetValue(threads);
            using var trainer = resumePath is null
                ? new Trainer(splits.Train, splits.Validation, recipe, threadCount)
                : Trainer.Resume(resumePath, splits.Train, splits.Validation, threadCount, recipe);
            Console.Error.WriteLine($"train cifar-resnet{recipe.Depth} (p_L {recipe.FinalSurvivalProbability.ToString(CultureInfo.InvariantCulture)}{(recipe.StochasticDepthRule == StochasticDepthRule.Uniform ? ", uniform" : "")}) on {trainer.Train.Name}: " +
                                    $"{trainer.Train.Count} images, {trainer.BatchesPerEpoch} steps/epoch, {recipe.Epochs} epochs, {threadCount} threads" +
                                    (trainer.Step > 0 ? $"; resuming at epoch {trainer.Epoch + 1}, step {trainer.Step}" : ""));

            if (p.GetValue(exportOnly))
            {
                OnnxExporter.Save(trainer.Export(), outPath!);
                var accuracy = trainer.Evaluate(trainer.Validation);
                Console.WriteLine($"exported the network at epoch {trainer.Epoch + 1}, step {trainer.Step} of {trainer.TotalSteps}: " +
                                  $"validation accuracy {100 * accuracy.Accuracy:F2}% on {trainer.Validation.Count} images; wrote {outPath}");
                return 0;
            }

            using var stop = p.GetValue(timeLimit) > 0 ? new CancellationTokenSource(TimeSpan.FromMinutes(p.GetValue(timeLimit))) : new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
            Console.CancelKeyPress += onCancel;
            // SIGTERM (kill, docker stop, systemd) stops the same way as Ctrl+C: at the next step, checkpoint written.
            using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
            TrainingOutcome outcome;
            try
            {
                int every = p.GetValue(checkpointSteps);
                outcome = WithProgress(trainer, (progress, epochDone) => trainer.Run(
                    step =>
                    {
                        progress(step);
                        if (every > 0 && checkpointPath is not null && step.Step % every == 0) trainer.SaveCheckpoint(checkpointPath);
                    },
                    summary =>
                    {
                        epochDone(summary);
                        if (checkpointPath is not null) trainer.SaveCheckpoint(checkpointPath);
                    },
                    cancellationToken: stop.Token));
            }
            finally { Console.CancelKeyPress -= onCancel; }

            if (!outcome.Completed)
            {
                if (checkpointPath is null) throw new IOException("training stopped early and no --checkpoint was given: the progress is lost");
                trainer.SaveCheckpoint(checkpointPath);
                Console.WriteLine($"stopped at epoch {outcome.Epoch + 1}, step {outcome.Step} of {trainer.TotalSteps}; wrote {checkpointPath} (continue with --resume {checkpointPath})");
                return 3;
            }
            var last = trainer.History[^1];
            string result = $"trained {recipe.Epochs} epochs ({trainer.Step} steps): validation accuracy {100 * last.ValidationAccuracy:F2}% on {trainer.Validation.Count} images";
            if (outPath is not null)
            {
                OnnxExporter.Save(trainer.Export(), outPath);
                result += $"; wrote {outPath}";
            }
            Console.WriteLine(result);
            return 0;
        }));
        return cmd;
    }

    /// <summary>"resnet56" → 56.</summary>
    private static int ParseDepth(string name)
    {
        if (name.StartsWith("resnet", StringComparison.OrdinalIgnoreCase) && int.TryParse(name.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int depth))
            return depth;
        throw new ArgumentException($"--arch must be resnet<6n+2> (resnet20, resnet32, resnet56, …), got '{name}'");
    }

    private static string Describe(EpochSummary s) =>
        $"epoch {s.Epoch}: loss {s.Loss:F4}, train {100 * s.TrainAccuracy:F2}%, val {100 * s.ValidationAccuracy:F2}%, lr {s.LearningRate:G4}, " +
        $"{s.ImagesPerSecond:F0} img/s, {s.Seconds:F0} s";

    /// <summary>A live progress bar on stderr (epoch, loss, accuracy, images/s, ETA); plain per-epoch lines when stderr is redirected.</summary>
    private static T WithProgress<T>(Trainer trainer, Func<Action<TrainingProgress>, Action<EpochSummary>, T> body)
    {
        if (Console.IsErrorRedirected)
            return body(_ => { }, s => Console.Error.WriteLine(Describe(s)));
        T result = default!;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: trainer.TotalSteps);
                task.Value = trainer.Step;
                result = body(
                    s =>
                    {
                        task.Value = s.Step;
                        // Descriptions are Spectre markup: escape the brackets.
                        task.Description = Markup.Escape($"epoch {s.Epoch}/{s.Epochs} [{s.Batch}/{s.BatchesPerEpoch}] loss {s.Loss:F3} acc {100 * s.TrainAccuracy:F1}% {s.ImagesPerSecond:F0} img/s");
                    },
                    s => console.MarkupLine(Markup.Escape(Describe(s))));
            });
        return result;
    }
}
