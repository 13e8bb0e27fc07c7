using Elide.Models;
using Elide.Tensors;
using Elide.Training;

namespace Elide.Tests.Training;

public class StepBuffersTests
{
    [Fact]
    public void ReclaimedArraysAreHandedOutAgainAndClearedOnRequest()
    {
        var buffers = new StepBuffers();
        var a = buffers.Rent(10, clear: false);
        var b = buffers.Rent(10, clear: true);
        Assert.NotSame(a, b);
        Assert.Equal(2, buffers.LentCount);
        a.AsSpan().Fill(5f);
        b.AsSpan().Fill(7f);
        buffers.ReclaimAll();
        Assert.Equal(0, buffers.LentCount);
        var c = buffers.Rent(10, clear: true);
        var d = buffers.Rent(10, clear: false);
        Assert.True((c == a || c == b) && (d == a || d == b) && c != d);
        Assert.All(c, v => Assert.Equal(0f, v));
        Assert.Equal(11, buffers.Rent(11, clear: false).Length);
        Assert.Equal(3, buffers.AllocatedArrays);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffers.Rent(-1, clear: false));
    }

    [Fact]
    public void TrainingWithRecycledBuffersEqualsTrainingWithFreshArrays()
    {
        // Stochastic Depth drops different blocks at different steps, so recycled arrays change roles between steps:
        // any kernel that relied on a zeroed output would leave stale values and change the weights.
        TrainableResNet Model() => new(new CifarResNetOptions(Depth: 14, Width: 4, InChannels: 1, Classes: 5, ImageSize: 8, Seed: 3),
            new StochasticDepthOptions(FinalSurvivalProbability: 0.5, Seed: 4));
        var fresh = Model();
        var recycled = Model();
        var buffers = new StepBuffers();
        var freshOptimizer = new SgdOptimizer(fresh.Parameters, new SgdOptions(0.9f, WeightDecay: 5e-4f));
        var recycledOptimizer = new SgdOptimizer(recycled.Parameters, new SgdOptions(0.9f, WeightDecay: 5e-4f));
        int[] labels = [0, 1, 2, 3, 4, 0, 1];
        long allocatedAfterWarmUp = 0;
        for (int step = 0; step < 8; step++)
        {
            var images = Tensor.Random(new Shape(7, 1, 8, 8), 100 + step, 0f, 1f);
            freshOptimizer.ZeroGradients();
            var tape = new Tape();
            tape.Backward(tape.SoftmaxCrossEntropy(fresh.TrainingForward(tape, new Variable(images), step), labels));
            freshOptimizer.Step(0.1);

            recycledOptimizer.ZeroGradients();
            buffers.ReclaimAll();
            var recycledTape = new Tape(buffers: buffers);
            recycledTape.Backward(recycledTape.SoftmaxCrossEntropy(recycled.TrainingForward(recycledTape, new Variable(images), step), labels));
            recycledOptimizer.Step(0.1);
            if (step == 0) allocatedAfterWarmUp = buffers.AllocatedArrays;
        }
        for (int p = 0; p < fresh.Parameters.Count; p++)
            Assert.Equal(fresh.Parameters[p].Value.Data, recycled.Parameters[p].Value.Data);
        foreach (var (a, b) in fresh.Layers.Zip(recycled.Layers))
            Assert.Equal(a.Statistics.RunningMean.Data, b.Statistics.RunningMean.Data);
        // Once a step with every block has run, later steps need (almost) no new arrays.
        Assert.True(buffers.AllocatedArrays < 3 * allocatedAfterWarmUp, $"{buffers.AllocatedArrays} arrays allocated, {allocatedAfterWarmUp} after the first step");
    }
}
