using Elide.Models;
using Elide.Tensors;
using Elide.Training;

namespace Elide.Tests.Training;

public class OverfitTests
{
    [Fact]
    public void TinyResNetMemorizesASmallBatch()
    {
        // 16 random images, 4 random classes: only memorization can fit them, which needs working gradients end to end.
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 8, Width: 4, InChannels: 3, Classes: 4, ImageSize: 8, Seed: 1),
            new StochasticDepthOptions(FinalSurvivalProbability: 1.0));
        var images = new Variable(Tensor.Random(new Shape(16, 3, 8, 8), 2, -1f, 1f));
        var rng = new Random(3);
        var labels = Enumerable.Range(0, 16).Select(_ => rng.Next(4)).ToArray();
        var optimizer = new SgdOptimizer(model.Parameters, new SgdOptions(Momentum: 0.9f, WeightDecay: 0f));
        var schedule = new CosineSchedule(0.1, totalSteps: 200, warmupSteps: 5);
        double firstLoss = double.NaN, lastLoss = double.NaN;
        int steps = 0;
        for (; steps < 200 && Accuracy(model.Predict(images.Value), labels) < 1.0; steps++)
        {
            optimizer.ZeroGradients();
            var tape = new Tape();
            var loss = tape.SoftmaxCrossEntropy(model.TrainingForward(tape, images, steps), labels);
            tape.Backward(loss);
            optimizer.Step(schedule.RateAt(steps));
            if (steps == 0) firstLoss = loss.Value.Data[0];
            lastLoss = loss.Value.Data[0];
        }
        Assert.Equal(1.0, Accuracy(model.Predict(images.Value), labels));
        Assert.True(steps < 200, "did not reach 100% training accuracy in 200 steps");
        Assert.True(lastLoss < firstLoss, $"loss {firstLoss} → {lastLoss}");
    }

    [Fact]
    public void StochasticDepthResNetAlsoMemorizes()
    {
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 14, Width: 4, InChannels: 3, Classes: 4, ImageSize: 8, Seed: 4),
            new StochasticDepthOptions(FinalSurvivalProbability: 0.5, Seed: 5));
        var images = new Variable(Tensor.Random(new Shape(16, 3, 8, 8), 6, -1f, 1f));
        var labels = Enumerable.Range(0, 16).Select(i => i % 4).ToArray();
        var optimizer = new SgdOptimizer(model.Parameters, new SgdOptions(Momentum: 0.9f, Nesterov: true, WeightDecay: 1e-4f));
        int steps = 0;
        for (; steps < 300 && Accuracy(model.Predict(images.Value), labels) < 1.0; steps++)
        {
            optimizer.ZeroGradients();
            var tape = new Tape();
            tape.Backward(tape.SoftmaxCrossEntropy(model.TrainingForward(tape, images, steps), labels, 0.1f));
            optimizer.Step(0.05);
        }
        Assert.Equal(1.0, Accuracy(model.Predict(images.Value), labels));
    }

    private static double Accuracy(Tensor logits, int[] labels)
    {
        int classes = logits.Shape[1], correct = 0;
        for (int n = 0; n < labels.Length; n++)
        {
            var row = logits.Data.AsSpan(n * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
            if (best == labels[n]) correct++;
        }
        return correct / (double)labels.Length;
    }
}
