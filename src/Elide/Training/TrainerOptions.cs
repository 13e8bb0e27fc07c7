namespace Elide.Training;

/// <summary>
/// The recipe of a <see cref="Trainer"/> run: architecture, optimizer, schedule, augmentation and seed. A checkpoint
/// stores it, and a resumed run must use the same recipe (only the thread count may change).
/// </summary>
/// <remarks>
/// Defaults follow the CIFAR ResNet recipe of He et al. 2016 (§4.2: SGD momentum 0.9, weight decay 1e-4 there, 5e-4
/// here as in most later CIFAR/Fashion-MNIST reproductions, batch 128, base rate 0.1) with a cosine schedule
/// (Loshchilov &amp; Hutter 2017) after one epoch of linear warm-up (Goyal et al. 2017), and Stochastic Depth with
/// p_L = 0.5 (Huang et al. 2016).
/// </remarks>
public sealed record TrainerOptions
{
    /// <summary>ResNet depth 6n+2 (20, 32, 56, …).</summary>
    public int Depth { get; init; } = 56;

    /// <summary>Channels of the first stage.</summary>
    public int Width { get; init; } = 16;

    /// <summary>Stochastic Depth p_L (1 disables dropping: the conventional baseline).</summary>
    public double FinalSurvivalProbability { get; init; } = 0.5;

    /// <summary>How each block's survival probability follows from p_L (linear decay unless chosen otherwise).</summary>
    public StochasticDepthRule StochasticDepthRule { get; init; } = StochasticDepthRule.Linear;

    /// <summary>Epochs to train in total.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Images per optimizer step (the last partial batch of an epoch is dropped).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Peak learning rate, reached at the end of the warm-up.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Rate at the end of the cosine schedule.</summary>
    public double FinalLearningRate { get; init; }

    /// <summary>Epochs of linear warm-up (capped so at least one step follows it).</summary>
    public int WarmupEpochs { get; init; } = 1;

    /// <summary>SGD momentum μ.</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; init; } = true;

    /// <summary>L2 weight decay λ on convolution and linear weights (not on BatchNorm or biases).</summary>
    public float WeightDecay { get; init; } = 5e-4f;

    /// <summary>Label smoothing ε of the cross-entropy (Szegedy et al. 2016, §7); 0 disables it.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Zero padding of the random crop (2 for 28×28 images, 4 for CIFAR's 32×32); 0 disables cropping.</summary>
    public int CropPadding { get; init; } = 2;

    /// <summary>Random horizontal flips (right for clothes and objects, wrong for digits).</summary>
    public bool HorizontalFlip { get; init; } = true;

    /// <summary>Seed of the weights, the data order, the augmentations and the block drops.</summary>
    public int Seed { get; init; }

    /// <summary>Train on only N evenly spaced training images (0: all); for smoke tests and quick runs.</summary>
    public int TrainLimit { get; init; }

    /// <summary>Validate on only N evenly spaced validation images (0: all), the images `elide eval --limit N` scores.</summary>
    public int ValidationLimit { get; init; }

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range (the message names it).</exception>
    public void Validate()
    {
        if (Depth < 8 || (Depth - 2) % 6 != 0) throw new ArgumentException($"depth must be 6n+2 (8, 14, 20, 32, 56, …), got {Depth}");
        Require(Width >= 1, $"width must be ≥ 1, got {Width}");
        Require(FinalSurvivalProbability is >= 0 and <= 1, $"stochastic depth p_L must be in [0, 1], got {FinalSurvivalProbability}");
        Require(Epochs >= 1, $"epochs must be ≥ 1, got {Epochs}");
        Require(BatchSize >= 1, $"batch size must be ≥ 1, got {BatchSize}");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"learning rate must be finite and > 0, got {LearningRate}");
        Require(FinalLearningRate >= 0 && FinalLearningRate <= LearningRate, $"final learning rate must be in [0, {LearningRate}], got {FinalLearningRate}");
        Require(WarmupEpochs >= 0, $"warm-up epochs must be ≥ 0, got {WarmupEpochs}");
        Require(Momentum is >= 0 and < 1, $"momentum must be in [0, 1), got {Momentum}");
        Require(!Nesterov || Momentum > 0, "Nesterov momentum needs momentum > 0");
        Require(WeightDecay >= 0, $"weight decay must be ≥ 0, got {WeightDecay}");
        Require(LabelSmoothing is >= 0 and < 1, $"label smoothing must be in [0, 1), got {LabelSmoothing}");
        Require(CropPadding >= 0, $"crop padding must be ≥ 0, got {CropPadding}");
        Require(TrainLimit >= 0, $"train limit must be ≥ 0, got {TrainLimit}");
        Require(ValidationLimit >= 0, $"validation limit must be ≥ 0, got {ValidationLimit}");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message);
    }
}

/// <summary>What one finished epoch achieved.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Loss">Mean training loss over the epoch's steps (with stochastic depth and augmentation active).</param>
/// <param name="TrainAccuracy">Top-1 accuracy on the epoch's training batches, in training mode.</param>
/// <param name="ValidationAccuracy">Top-1 accuracy of the evaluation-mode network on the validation split.</param>
/// <param name="LearningRate">Rate of the epoch's last step.</param>
/// <param name="Seconds">Wall time of the epoch's training steps in this process (excludes validation).</param>
/// <param name="ImagesPerSecond">Training images per second over those steps.</param>
public sealed record EpochSummary(int Epoch, double Loss, double TrainAccuracy, double ValidationAccuracy, double LearningRate, double Seconds, double ImagesPerSecond);

/// <summary>A progress report, sent after every training step.</summary>
/// <param name="Epoch">1-based current epoch.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Batch">Steps done in this epoch.</param>
/// <param name="BatchesPerEpoch">Steps per epoch.</param>
/// <param name="Step">Optimizer steps done in total.</param>
/// <param name="TotalSteps">Optimizer steps of the whole run.</param>
/// <param name="Loss">Mean loss so far this epoch.</param>
/// <param name="TrainAccuracy">Training accuracy so far this epoch.</param>
/// <param name="ImagesPerSecond">Training images per second in this process this epoch.</param>
/// <param name="LearningRate">Rate of the last step.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int BatchesPerEpoch, long Step, long TotalSteps,
    double Loss, double TrainAccuracy, double ImagesPerSecond, double LearningRate);
