using Elide.Adaptive;
using Elide.Data;
using Elide.Ops;
using Elide.Runtime;
using Elide.Tensors;
using Elide.Training;

namespace Elide.Tests.Training;

public class TrainerTests
{
    /// <summary>A small learnable dataset: class k has a bright 3×3 patch at a class-specific place, plus seeded noise.</summary>
    internal static ImageDataset Synthetic(int count, int classes = 3, int size = 8, ulong seed = 1, string name = "synthetic")
    {
        var shape = new ImageShape(1, size, size);
        var pixels = new float[count * shape.Size];
        var labels = new int[count];
        var random = new DeterministicRandom(seed);
        for (int i = 0; i < count; i++)
        {
            int label = labels[i] = i % classes;
            var image = pixels.AsSpan(i * shape.Size, shape.Size);
            for (int p = 0; p < image.Length; p++) image[p] = random.NextInt(1000) / 4000f;
            int y0 = label * (size - 3) / Math.Max(1, classes - 1), x0 = size - 3 - y0;
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++)
                    image[(y0 + y) * size + x0 + x] = 0.8f + random.NextInt(1000) / 5000f;
        }
        return new ImageDataset(name, shape, pixels, labels, classes);
    }

    internal static readonly TrainerOptions Tiny = new()
    {
        Depth = 8, Width = 4, FinalSurvivalProbability = 0.5, Epochs = 2, BatchSize = 16, LearningRate = 0.05, WarmupEpochs = 1,
        LabelSmoothing = 0.1f, CropPadding = 1, Seed = 5,
    };

    private static string TempFile(string name) => Path.Combine(Directory.CreateTempSubdirectory("elide-train").FullName, name);

    private static float[] State(Trainer t) =>
        t.Model.Parameters.SelectMany(p => p.Value.Data)
            .Concat(t.Model.Layers.SelectMany(l => l.Statistics.RunningMean.Data.Concat(l.Statistics.RunningVariance.Data))).ToArray();

    [Theory]
    [InlineData(3)] // mid-epoch
    [InlineData(4)] // at the epoch boundary
    public void ResumedRunEqualsUninterruptedRunBitForBit(long stopAt)
    {
        var train = Synthetic(64);
        var validation = Synthetic(24, seed: 2);
        using var uninterrupted = new Trainer(train, validation, Tiny);
        Assert.True(uninterrupted.Run().Completed);
        Assert.Equal(8, uninterrupted.Step);

        string path = TempFile("run.ckpt");
        using (var first = new Trainer(train, validation, Tiny))
        {
            var outcome = first.Run(stopAtStep: stopAt);
            Assert.False(outcome.Completed);
            Assert.Equal(stopAt, outcome.Step);
            first.SaveCheckpoint(path);
        }
        using var resumed = Trainer.Resume(path, train, validation, requested: Tiny);
        Assert.Equal(stopAt, resumed.Step);
        Assert.True(resumed.Run().Completed);

        Assert.Equal(State(uninterrupted), State(resumed));
        Assert.Equal(uninterrupted.History.Select(h => (h.Loss, h.TrainAccuracy, h.ValidationAccuracy, h.LearningRate)),
                     resumed.History.Select(h => (h.Loss, h.TrainAccuracy, h.ValidationAccuracy, h.LearningRate)));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp-*")); // the atomic write left no temporary behind
    }

    [Fact]
    public void CheckpointWrittenAfterTheLastStepOfAnEpochResumesExactly()
    {
        // The CLI checkpoints from the progress callback; after an epoch's last step the epoch's validation is still due.
        var train = Synthetic(64);
        var validation = Synthetic(24, seed: 2);
        using var uninterrupted = new Trainer(train, validation, Tiny);
        uninterrupted.Run();
        string path = TempFile("last.ckpt");
        using (var first = new Trainer(train, validation, Tiny))
        {
            var stop = new CancellationTokenSource();
            first.Run(progress: p =>
            {
                if (p.Step != 4) return;
                first.SaveCheckpoint(path);
                stop.Cancel();
            }, cancellationToken: stop.Token);
        }
        Assert.Equal(4, Checkpoint.Load(path).BatchInEpoch);
        using var resumed = Trainer.Resume(path, train, validation);
        resumed.Run();
        Assert.Equal(State(uninterrupted), State(resumed));
        Assert.Equal(uninterrupted.History.Select(h => h.ValidationAccuracy), resumed.History.Select(h => h.ValidationAccuracy));
    }

    [Fact]
    public void MomentumIsPartOfTheCheckpoint()
    {
        // Resuming with fresh momentum would change the next update: the first step after resume must match.
        var train = Synthetic(64);
        var validation = Synthetic(8, seed: 2);
        var options = Tiny with { Epochs = 1 };
        string path = TempFile("m.ckpt");
        using (var t = new Trainer(train, validation, options)) { t.Run(stopAtStep: 2); t.SaveCheckpoint(path); }
        var checkpoint = Checkpoint.Load(path);
        Assert.Contains(checkpoint.Tensors.Keys, k => k.StartsWith("momentum:stem.conv.weight", StringComparison.Ordinal));
        Assert.Contains("stem.conv.bn.running_var", checkpoint.Tensors.Keys);
        Assert.Equal(2, checkpoint.Step);
    }

    private static string SavedCheckpoint(out ImageDataset train, out ImageDataset validation)
    {
        train = Synthetic(64);
        validation = Synthetic(8, seed: 2);
        string path = TempFile("c.ckpt");
        using var t = new Trainer(train, validation, Tiny);
        t.Run(stopAtStep: 1);
        t.SaveCheckpoint(path);
        return path;
    }

    [Fact]
    public void TruncatedCheckpointIsRejected()
    {
        string path = SavedCheckpoint(out var train, out var validation);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(path, train, validation));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void BitFlippedCheckpointIsRejected()
    {
        string path = SavedCheckpoint(out var train, out var validation);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(path, train, validation));
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void OtherFilesAreNotCheckpoints()
    {
        string path = TempFile("x.onnx");
        File.WriteAllBytes(path, [0x08, 0x07, 0x12, 0x04]);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));
        Assert.Contains("not an Elide training checkpoint", e.Message);
    }

    [Fact]
    public void CheckpointOfAnotherRecipeIsRejectedNamingTheField()
    {
        string path = SavedCheckpoint(out var train, out var validation);
        var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(path, train, validation, requested: Tiny with { Depth = 14 }));
        Assert.Contains("Depth is 8 in the checkpoint but 14 now", e.Message);
    }

    [Fact]
    public void TheDropRuleIsPartOfTheCheckpointAndAResumeKeepsIt()
    {
        var train = Synthetic(64);
        var validation = Synthetic(24, seed: 2);
        var uniform = Tiny with { Depth = 14, StochasticDepthRule = StochasticDepthRule.Uniform };
        string path = TempFile("uniform.ckpt");
        using (var first = new Trainer(train, validation, uniform))
        {
            Assert.Equal([0.5, 0.5, 1.0, 0.5, 1.0, 0.5], first.Model.SurvivalProbabilities);
            first.Run(stopAtStep: 2);
            first.SaveCheckpoint(path);
        }
        using (var resumed = Trainer.Resume(path, train, validation))
        {
            Assert.Equal(StochasticDepthRule.Uniform, resumed.Options.StochasticDepthRule);
            Assert.Equal([0.5, 0.5, 1.0, 0.5, 1.0, 0.5], resumed.Model.SurvivalProbabilities);
        }
        var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(path, train, validation,
            requested: uniform with { StochasticDepthRule = StochasticDepthRule.Linear }));
        Assert.Contains("StochasticDepthRule", e.Message);
    }

    [Fact]
    public void CheckpointOfAnotherArchitectureOrDataIsRejected()
    {
        string path = SavedCheckpoint(out _, out var validation);
        // Four classes: the classifier would have another shape.
        var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(path, Synthetic(64, classes: 4), validation));
        Assert.Contains("different architecture", e.Message);
        // Same shape, other labels.
        var shuffled = Synthetic(64, seed: 9);
        var relabelled = new ImageDataset("synthetic", shuffled.Shape, Enumerable.Range(0, 64).SelectMany(i => shuffled.Image(i).ToArray()).ToArray(),
            Enumerable.Range(0, 64).Select(i => (i + 1) % 3).ToArray(), 3);
        e = Assert.Throws<CheckpointException>(() => Trainer.Resume(path, relabelled, validation));
        Assert.Contains("different data", e.Message);
    }

    [Fact]
    public void ExportNormalizesInsideTheGraphAndMatchesTheTrainersAccuracy()
    {
        var train = Synthetic(96);
        var validation = Synthetic(60, seed: 3);
        using var trainer = new Trainer(train, validation, Tiny with { Epochs = 3 });
        trainer.Run();
        var graph = trainer.Export();

        Assert.Equal("input.subtract_mean", graph.TopologicalOrder()[0].Name);
        Assert.Equal("Sub", graph.TopologicalOrder()[0].Op.Name);
        Assert.Equal("Mul", graph.TopologicalOrder()[1].Op.Name);
        Assert.Null(LabelledImages.StandardizationOf(graph)); // nobody may standardize a second time
        Assert.True(graph.Metadata.ContainsKey(InputNormalization.InGraphNormalizationKey));
        Assert.Equal(trainer.Model.Blocks.Count, ResidualBlockDetector.Detect(graph).Count);

        var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        Assert.Equal(trainer.Model.Blocks.Count, session.Blocks.Count);
        var data = LabelledImages.From(validation, LabelledImages.StandardizationOf(graph));
        var viaEngine = new Evaluator(session, data).Evaluate((SkipMask?)null);
        var own = trainer.Evaluate(validation);
        Assert.Equal(own.Count, viaEngine.Count);
        Assert.Equal(own.Correct, viaEngine.Correct);

        // And the logits themselves agree: raw pixels into the graph vs standardized pixels into the trainable network.
        var raw = new Tensor(new Shape(validation.Count, 1, 8, 8), data.Pixels.ToArray());
        var standardized = (float[])data.Pixels.Clone();
        for (int i = 0; i < validation.Count; i++) trainer.Standardization.Apply(standardized.AsSpan(i * 64, 64), validation.Shape);
        var expected = trainer.Model.Predict(new Tensor(raw.Shape, standardized));
        var plan = session.GetPlan(raw.Shape);
        var actual = new float[expected.Length];
        plan.Run(raw.Data, actual, null);
        for (int i = 0; i < actual.Length; i++) Assert.True(Math.Abs(actual[i] - expected.Data[i]) <= 1e-4f * (1 + Math.Abs(expected.Data[i])), $"logit {i}: {actual[i]} vs {expected.Data[i]}");
    }

    [Fact]
    public void TrainingLearnsTheSyntheticTask()
    {
        var train = Synthetic(96);
        var validation = Synthetic(60, seed: 3);
        using var trainer = new Trainer(train, validation, Tiny with { Epochs = 6, FinalSurvivalProbability = 1.0 });
        var before = trainer.Evaluate(validation).Accuracy;
        trainer.Run();
        Assert.Equal(6, trainer.History.Count);
        Assert.True(trainer.History[^1].Loss < trainer.History[0].Loss, string.Join(", ", trainer.History.Select(h => h.Loss)));
        Assert.True(trainer.History[^1].ValidationAccuracy >= 0.9, $"validation accuracy {trainer.History[^1].ValidationAccuracy} (was {before})");
    }

    [Fact]
    public void InvalidRecipesAreRejected()
    {
        var train = Synthetic(32);
        Assert.Throws<ArgumentException>(() => new Trainer(train, train, Tiny with { Depth = 9 }));
        Assert.Throws<ArgumentException>(() => new Trainer(train, train, Tiny with { FinalSurvivalProbability = 1.5 }));
        Assert.Throws<ArgumentException>(() => new Trainer(train, train, Tiny with { BatchSize = 64 })); // fewer images than a batch
        Assert.Throws<ArgumentException>(() => new Trainer(train, train, Tiny with { Nesterov = true, Momentum = 0 }));
    }
}
