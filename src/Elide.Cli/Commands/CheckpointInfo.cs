using System.Globalization;
using System.Text;
using Elide.Training;

namespace Elide.Cli.Commands;

/// <summary>
/// What `elide info CHECKPOINT.ckpt` prints: the recipe, the architecture and data it is bound to, the position
/// reached, and the per-epoch history as a Markdown table (the form of models/training-log.md).
/// </summary>
internal static class CheckpointInfo
{
    /// <summary>True when <paramref name="path"/> is a file that starts with the checkpoint magic bytes.</summary>
    public static bool IsCheckpoint(string path)
    {
        if (!File.Exists(path)) return false;
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[Checkpoint.Magic.Length];
        return file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && head.SequenceEqual(Checkpoint.Magic);
    }

    /// <summary>The report of a verified checkpoint (<see cref="Checkpoint.Load"/> checks its checksum first).</summary>
    /// <exception cref="CheckpointException">The checkpoint is corrupt or truncated.</exception>
    public static string Describe(string path)
    {
        var c = Checkpoint.Load(path);
        var recipe = c.ReadRecipe();
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"checkpoint: {path} (SHA-256 verified)");
        string rule = recipe.FinalSurvivalProbability >= 1 ? "none (p_L = 1)"
            : $"{recipe.StochasticDepthRule.ToString().ToLowerInvariant()}, p_L = {recipe.FinalSurvivalProbability.ToString(inv)}";
        text.AppendLine(inv, $"network:    resnet{recipe.Depth}, width {recipe.Width}; Stochastic Depth {rule}");
        text.AppendLine(inv, $"recipe:     {recipe.Epochs} epochs, batch {recipe.BatchSize}, lr {recipe.LearningRate.ToString(inv)} ({recipe.WarmupEpochs} warm-up), " +
                             $"momentum {recipe.Momentum.ToString(inv)}{(recipe.Nesterov ? " Nesterov" : "")}, weight decay {recipe.WeightDecay.ToString(inv)}, seed {recipe.Seed}");
        text.AppendLine(inv, $"data:       {c.DataJson}");
        text.AppendLine(inv, $"input:      mean {Floats(c.Mean)}, std {Floats(c.StandardDeviation)}");
        bool done = c.Epoch >= recipe.Epochs && c.BatchInEpoch == 0;
        string within = c.BatchInEpoch > 0 ? $", {c.BatchInEpoch} steps into epoch {c.Epoch + 1}" : "";
        string next = done ? "complete: `elide train --resume CKPT --export-only --out M.onnx` writes the model"
                           : $"continue with `elide train --resume {path} --out M.onnx`";
        text.AppendLine(inv, $"position:   {c.Epoch} of {recipe.Epochs} epochs done{within}, step {c.Step} ({next})");
        text.AppendLine(inv, $"tensors:    {c.Tensors.Count} ({c.Tensors.Values.Sum(t => (long)t.Length):N0} floats: parameters, BatchNorm statistics, momentum)");
        text.AppendLine();
        if (c.History.Count == 0)
        {
            text.AppendLine("no epoch completed yet");
            return text.ToString();
        }
        text.AppendLine("| epoch | loss | train % | val % | lr | img/s | seconds |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var h in c.History)
            text.AppendLine(inv, $"| {h.Epoch} | {h.Loss:F4} | {100 * h.TrainAccuracy:F2} | {100 * h.ValidationAccuracy:F2} | {h.LearningRate:G4} | {h.ImagesPerSecond:F0} | {h.Seconds:F0} |");
        return text.ToString();
    }

    private static string Floats(float[] values) => "[" + string.Join(", ", values.Select(v => v.ToString("G5", CultureInfo.InvariantCulture))) + "]";
}
