using System.Diagnostics;
using System.Text.Json;
using Elide.Adaptive;
using Elide.Data;
using Elide.Graph;
using Elide.Kernels.Threading;
using Elide.Models;
using Elide.Tensors;

namespace Elide.Training;

/// <summary>How a <see cref="Trainer.Run"/> call ended.</summary>
/// <param name="Completed">True when all epochs are done; false when stopped early (stop step or cancellation).</param>
/// <param name="Epoch">Completed epochs.</param>
/// <param name="Step">Optimizer steps done.</param>
public sealed record TrainingOutcome(bool Completed, int Epoch, long Step);

/// <summary>
/// Trains a CIFAR-style <see cref="TrainableResNet"/> with Stochastic Depth on an image dataset: seeded, reproducible,
/// resumable from a <see cref="Checkpoint"/> with bit-identical results, and exported as a self-normalizing graph.
/// </summary>
/// <remarks>
/// One step: a batch from the prefetching <see cref="BatchLoader"/> (random crop + flip, then standardization with
/// the training split's per-channel statistics) → training forward with the step's drop pattern → softmax
/// cross-entropy (optionally label-smoothed) → backward → SGD with the cosine-with-warm-up rate of that step.
/// After each epoch the evaluation-mode network is scored on the validation split. Results depend only on the recipe
/// and the thread count (the kernels' reduction order depends on how work is split).
/// </remarks>
public sealed class Trainer : IDisposable
{
    private const int EvaluationBatchSize = 256;
    private readonly BatchLoader loader;
    private readonly SgdOptimizer optimizer;
    private readonly LearningRateSchedule schedule;
    private readonly WorkerPool? pool;
    private readonly StepBuffers buffers = new();
    private readonly StepBuffers evaluationBuffers = new();
    private readonly List<EpochSummary> history = [];
    private int batchInEpoch;
    private double epochLossSum;
    private long epochCorrect, epochSeen;

    /// <summary>Starts a fresh run of <paramref name="options"/> on <paramref name="train"/>, validating on <paramref name="validation"/>.</summary>
    /// <param name="train">The training split (<see cref="TrainerOptions.TrainLimit"/> keeps N evenly spaced images).</param>
    /// <param name="validation">The validation split (<see cref="TrainerOptions.ValidationLimit"/> keeps N evenly spaced images).</param>
    /// <param name="options">The recipe.</param>
    /// <param name="threads">Kernel threads (1: the calling thread only).</param>
    /// <exception cref="ArgumentException">The recipe is invalid, the training set is smaller than one batch, or the images are not square.</exception>
    public Trainer(ImageDataset train, ImageDataset validation, TrainerOptions options, int threads = 1)
        : this(train, validation, options, threads, standardization: null)
    {
    }

    private Trainer(ImageDataset train, ImageDataset validation, TrainerOptions options, int threads, ChannelStandardization? standardization)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Options = options;
        Train = options.TrainLimit > 0 && options.TrainLimit < train.Count ? Spaced(train, options.TrainLimit) : train;
        Validation = options.ValidationLimit > 0 && options.ValidationLimit < validation.Count ? Spaced(validation, options.ValidationLimit) : validation;
        if (Train.Count < options.BatchSize)
            throw new ArgumentException($"the training set has {Train.Count} images, fewer than one batch of {options.BatchSize}");
        var shape = Train.Shape;
        if (shape.Height != shape.Width) throw new ArgumentException($"the ResNet needs square images, got {shape}");
        Model = new TrainableResNet(
            new CifarResNetOptions(options.Depth, options.Width, shape.Channels, Train.ClassCount, shape.Height, options.Seed),
            new StochasticDepthOptions(options.FinalSurvivalProbability, options.Seed, options.StochasticDepthRule));
        Standardization = standardization ?? ChannelStandardization.Compute(Train);
        pool = threads > 1 ? WorkerPool.Shared(threads) : null;
        Threads = threads;
        loader = new BatchLoader(Train, new BatchLoaderOptions
        {
            BatchSize = options.BatchSize,
            Seed = (ulong)(uint)options.Seed,
            Augmentation = options.CropPadding > 0 || options.HorizontalFlip ? new RandomCropFlip(options.CropPadding, options.HorizontalFlip) : null,
            Standardization = Standardization,
        });
        optimizer = new SgdOptimizer(Model.Parameters, new SgdOptions(options.Momentum, options.Nesterov, options.WeightDecay));
        TotalSteps = (long)loader.BatchesPerEpoch * options.Epochs;
        int warmup = (int)Math.Min((long)options.WarmupEpochs * loader.BatchesPerEpoch, TotalSteps - 1);
        schedule = new CosineSchedule(options.LearningRate, checked((int)TotalSteps), warmup, options.FinalLearningRate);
    }

    /// <summary>Continues the run saved in <paramref name="checkpointPath"/> on the same data.</summary>
    /// <param name="checkpointPath">A file written by <see cref="SaveCheckpoint"/>.</param>
    /// <param name="train">The full training split, as given to the original run.</param>
    /// <param name="validation">The validation split, as given to the original run.</param>
    /// <param name="threads">Kernel threads (may differ from the original run, at the cost of bit-exactness).</param>
    /// <param name="requested">When given, the recipe the caller asked for: it must equal the checkpoint's.</param>
    /// <exception cref="CheckpointException">The checkpoint is corrupt, or was written for another architecture, recipe or dataset (the message says which field differs).</exception>
    public static Trainer Resume(string checkpointPath, ImageDataset train, ImageDataset validation, int threads = 1, TrainerOptions? requested = null)
    {
        var checkpoint = Checkpoint.Load(checkpointPath);
        var options = checkpoint.ReadRecipe();
        if (requested is not null && requested != options)
            throw new CheckpointException($"checkpoint '{checkpointPath}' was written with a different recipe: {Differences(options, requested)}");
        ChannelStandardization standardization;
        try { standardization = new ChannelStandardization(checkpoint.Mean, checkpoint.StandardDeviation); }
        catch (ArgumentException e) { throw new CheckpointException($"checkpoint '{checkpointPath}' has an invalid standardization: {e.Message}", e); }
        var trainer = new Trainer(train, validation, options, threads, standardization);
        trainer.Restore(checkpoint, checkpointPath);
        return trainer;
    }

    /// <summary>The recipe.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The network being trained.</summary>
    public TrainableResNet Model { get; }

    /// <summary>The images trained on (after <see cref="TrainerOptions.TrainLimit"/>).</summary>
    public ImageDataset Train { get; }

    /// <summary>The images validated on (after <see cref="TrainerOptions.ValidationLimit"/>).</summary>
    public ImageDataset Validation { get; }

    /// <summary>Per-channel statistics of the training images, applied to every batch and embedded in the export.</summary>
    public ChannelStandardization Standardization { get; }

    /// <summary>Kernel threads.</summary>
    public int Threads { get; }

    /// <summary>Completed epochs.</summary>
    public int Epoch { get; private set; }

    /// <summary>Optimizer steps done.</summary>
    public long Step { get; private set; }

    /// <summary>Optimizer steps per epoch.</summary>
    public int BatchesPerEpoch => loader.BatchesPerEpoch;

    /// <summary>Optimizer steps of the whole run.</summary>
    public long TotalSteps { get; }

    /// <summary>Summaries of the completed epochs.</summary>
    public IReadOnlyList<EpochSummary> History => history;

    /// <summary>
    /// Trains until all epochs are done, or until <paramref name="stopAtStep"/> steps are done or
    /// <paramref name="cancellationToken"/> is cancelled (checked between steps; the state is then consistent and can be
    /// checkpointed).
    /// </summary>
    /// <param name="progress">Called after every step.</param>
    /// <param name="epochDone">Called after every epoch's validation.</param>
    /// <param name="stopAtStep">Stop once this many steps are done in total.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public TrainingOutcome Run(Action<TrainingProgress>? progress = null, Action<EpochSummary>? epochDone = null, long? stopAtStep = null,
        CancellationToken cancellationToken = default)
    {
        while (Epoch < Options.Epochs)
        {
            var clock = Stopwatch.StartNew();
            long imagesThisProcess = 0;
            double rate = schedule.RateAt(Math.Max(0, Step - 1));
            using (var batches = loader.Epoch(Epoch))
            {
                int index = 0;
                foreach (var batch in batches)
                {
                    if (index++ < batchInEpoch) continue; // resumed mid-epoch: these steps were done before the checkpoint
                    if (Step >= stopAtStep || cancellationToken.IsCancellationRequested) return new TrainingOutcome(false, Epoch, Step);
                    rate = TrainStep(batch);
                    imagesThisProcess += batch.Count;
                    progress?.Invoke(new TrainingProgress(Epoch + 1, Options.Epochs, batchInEpoch, BatchesPerEpoch, Step, TotalSteps,
                        epochLossSum / batchInEpoch, epochCorrect / (double)epochSeen, imagesThisProcess / clock.Elapsed.TotalSeconds, rate));
                }
            }
            double seconds = clock.Elapsed.TotalSeconds;
            var summary = new EpochSummary(Epoch + 1, epochLossSum / Math.Max(1, batchInEpoch), epochCorrect / (double)Math.Max(1, epochSeen),
                Evaluate(Validation).Accuracy, rate, seconds, imagesThisProcess / Math.Max(seconds, 1e-9));
            history.Add(summary);
            Epoch++;
            batchInEpoch = 0;
            epochLossSum = 0;
            epochCorrect = epochSeen = 0;
            epochDone?.Invoke(summary);
        }
        return new TrainingOutcome(true, Epoch, Step);
    }

    /// <summary>Top-1 accuracy of the evaluation-mode network (all blocks, branches scaled by p_l) on raw [0, 1] images of <paramref name="data"/>.</summary>
    public EvaluationResult Evaluate(ImageDataset data)
    {
        int correct = 0, classes = Model.Architecture.Classes;
        foreach (var batch in EvaluationBatches.Enumerate(data, EvaluationBatchSize, Standardization))
        {
            var s = batch.Shape;
            var x = new Tensor(new Shape(batch.Count, s.Channels, s.Height, s.Width), batch.Images.ToArray());
            var logits = Model.Predict(x, pool, evaluationBuffers);
            correct += Evaluator.CountCorrect(logits.Data, classes, batch.Labels);
        }
        return new EvaluationResult(correct, data.Count);
    }

    /// <summary>
    /// The trained network as a self-contained inference graph: raw [0, 1] pixels in, logits out, standardization as
    /// its first nodes (<see cref="InputNormalization"/>), with the block map, Stochastic Depth settings and the recipe
    /// (metadata "elide.training") recorded.
    /// </summary>
    public ComputeGraph Export()
    {
        var graph = InputNormalization.Prepend(Model.ToComputeGraph(), Standardization);
        graph.Metadata["elide.training"] = JsonSerializer.Serialize(new
        {
            recipe = Options,
            dataset = Train.Name,
            train_images = Train.Count,
            epochs_done = Epoch,
            steps = Step,
            validation_accuracy = history.Count > 0 ? history[^1].ValidationAccuracy : (double?)null,
        });
        return graph;
    }

    /// <summary>Writes the full training state to <paramref name="path"/> atomically (see <see cref="Checkpoint"/>).</summary>
    public void SaveCheckpoint(string path)
    {
        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int p = 0; p < Model.Parameters.Count; p++)
        {
            var parameter = Model.Parameters[p];
            tensors[parameter.Name] = (float[])parameter.Value.Data.Clone();
            if (optimizer.MomentumBuffer(p) is { } v) tensors["momentum:" + parameter.Name] = (float[])v.Clone();
        }
        foreach (var layer in Model.Layers)
        {
            tensors[layer.Name + ".bn.running_mean"] = (float[])layer.Statistics.RunningMean.Data.Clone();
            tensors[layer.Name + ".bn.running_var"] = (float[])layer.Statistics.RunningVariance.Data.Clone();
        }
        new Checkpoint
        {
            RecipeJson = JsonSerializer.Serialize(Options), ArchitectureJson = ArchitectureIdentity(), DataJson = DataIdentity(),
            Epoch = Epoch, BatchInEpoch = batchInEpoch, Step = Step, EpochLossSum = epochLossSum, EpochCorrect = epochCorrect, EpochSeen = epochSeen,
            Mean = Standardization.Mean.ToArray(), StandardDeviation = Standardization.StandardDeviation.ToArray(),
            History = history.ToArray(), Tensors = tensors,
        }.Save(path);
    }

    /// <summary>Stops the loader's prefetching worker.</summary>
    public void Dispose() => loader.Dispose();

    private double TrainStep(Batch batch)
    {
        var s = batch.Shape;
        // Last step's activations and gradients are dead once the gradients are cleared: recycle their arrays.
        optimizer.ZeroGradients();
        buffers.ReclaimAll();
        var images = buffers.Rent(batch.Images.Length, clear: false);
        batch.Images.CopyTo(images);
        var x = new Variable(new Tensor(new Shape(batch.Count, s.Channels, s.Height, s.Width), images));
        int[] labels = batch.Labels.ToArray();
        var tape = new Tape(pool, buffers: buffers);
        var logits = Model.TrainingForward(tape, x, Step);
        var loss = tape.SoftmaxCrossEntropy(logits, labels, Options.LabelSmoothing);
        epochCorrect += Evaluator.CountCorrect(logits.Value.Data, Model.Architecture.Classes, labels);
        tape.Backward(loss);
        double rate = schedule.RateAt(Step);
        optimizer.Step(rate);
        epochLossSum += loss.Value.Data[0];
        epochSeen += batch.Count;
        batchInEpoch++;
        Step++;
        return rate;
    }

    private void Restore(Checkpoint checkpoint, string path)
    {
        string where = $"checkpoint '{path}'";
        string architecture = ArchitectureIdentity();
        if (checkpoint.ArchitectureJson != architecture)
            throw new CheckpointException($"{where} is for a different architecture: it holds {checkpoint.ArchitectureJson}, this run builds {architecture}");
        string data = DataIdentity();
        if (checkpoint.DataJson != data)
            throw new CheckpointException($"{where} was trained on different data: it records {checkpoint.DataJson}, this run has {data}");
        if (checkpoint.Epoch < 0 || checkpoint.Epoch > Options.Epochs || checkpoint.BatchInEpoch < 0 || checkpoint.BatchInEpoch > BatchesPerEpoch
            || checkpoint.Step != (long)checkpoint.Epoch * BatchesPerEpoch + checkpoint.BatchInEpoch)
            throw new CheckpointException($"{where} has an inconsistent position: epoch {checkpoint.Epoch}, batch {checkpoint.BatchInEpoch}, step {checkpoint.Step} " +
                                          $"with {BatchesPerEpoch} batches per epoch and {Options.Epochs} epochs");
        float[] Tensor(string name, int length)
        {
            if (!checkpoint.Tensors.TryGetValue(name, out var data)) throw new CheckpointException($"{where} lacks tensor '{name}'");
            if (data.Length != length) throw new CheckpointException($"{where}: tensor '{name}' has {data.Length} values, the model expects {length}");
            return data;
        }
        var momentum = new float[]?[Model.Parameters.Count];
        for (int p = 0; p < Model.Parameters.Count; p++)
        {
            var parameter = Model.Parameters[p];
            Tensor(parameter.Name, parameter.Value.Length).CopyTo(parameter.Value.Data, 0);
            if (checkpoint.Tensors.ContainsKey("momentum:" + parameter.Name))
                momentum[p] = (float[])Tensor("momentum:" + parameter.Name, parameter.Value.Length).Clone();
        }
        foreach (var layer in Model.Layers)
        {
            Tensor(layer.Name + ".bn.running_mean", layer.Statistics.RunningMean.Length).CopyTo(layer.Statistics.RunningMean.Data, 0);
            Tensor(layer.Name + ".bn.running_var", layer.Statistics.RunningVariance.Length).CopyTo(layer.Statistics.RunningVariance.Data, 0);
        }
        var known = new HashSet<string>(Model.Parameters.SelectMany(p => new[] { p.Name, "momentum:" + p.Name }), StringComparer.Ordinal);
        known.UnionWith(Model.Layers.SelectMany(l => new[] { l.Name + ".bn.running_mean", l.Name + ".bn.running_var" }));
        if (checkpoint.Tensors.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            throw new CheckpointException($"{where} holds tensor '{unknown}', which this model does not have (a different architecture?)");
        optimizer.RestoreState(checkpoint.Step, momentum);
        Epoch = checkpoint.Epoch;
        batchInEpoch = checkpoint.BatchInEpoch;
        Step = checkpoint.Step;
        epochLossSum = checkpoint.EpochLossSum;
        epochCorrect = checkpoint.EpochCorrect;
        epochSeen = checkpoint.EpochSeen;
        history.Clear();
        history.AddRange(checkpoint.History);
    }

    private string ArchitectureIdentity()
    {
        var a = Model.Architecture;
        var identity = new Dictionary<string, object>
        {
            ["architecture"] = $"cifar-resnet{a.Depth}", ["width"] = a.Width, ["in_channels"] = a.InChannels, ["classes"] = a.Classes,
            ["image_size"] = a.ImageSize, ["stochastic_depth_final_survival"] = Options.FinalSurvivalProbability,
        };
        // The rule is named only when it is not the linear default, so checkpoints written before it existed still match.
        if (Options.StochasticDepthRule != StochasticDepthRule.Linear)
            identity["stochastic_depth_rule"] = Options.StochasticDepthRule.ToString().ToLowerInvariant();
        return JsonSerializer.Serialize(identity);
    }

    private string DataIdentity()
    {
        // FNV-1a over the labels in order: cheap, and detects a different split, order or subset.
        ulong hash = 14695981039346656037UL;
        foreach (int label in Train.Labels) hash = (hash ^ (uint)label) * 1099511628211UL;
        return JsonSerializer.Serialize(new { dataset = Train.Name, train_images = Train.Count, validation_images = Validation.Count, label_hash = hash.ToString("x16") });
    }

    /// <summary>
    /// <paramref name="count"/> evenly spaced images (i·Count/count), the subset rule of <see cref="LabelledImages.From"/>, so a
    /// class-sorted split (the validation hold-out is grouped by class) keeps every class in proportion and
    /// `elide eval --limit N` scores the same images as <see cref="TrainerOptions.ValidationLimit"/> = N.
    /// </summary>
    private static ImageDataset Spaced(ImageDataset data, int count) =>
        data.Subset(Enumerable.Range(0, count).Select(i => (int)((long)i * data.Count / count)).ToArray(), $"{data.Name}[{count} evenly spaced]");

    private static string Differences(TrainerOptions saved, TrainerOptions requested)
    {
        var fields = typeof(TrainerOptions).GetProperties()
            .Where(p => !Equals(p.GetValue(saved), p.GetValue(requested)))
            .Select(p => $"{p.Name} is {p.GetValue(saved)} in the checkpoint but {p.GetValue(requested)} now");
        return string.Join("; ", fields);
    }
}
