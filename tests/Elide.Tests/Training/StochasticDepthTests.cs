using Elide.Models;
using Elide.Tensors;
using Elide.Training;

namespace Elide.Tests.Training;

public class StochasticDepthTests
{
    [Fact]
    public void LinearDecayFollowsHuangEtAl()
    {
        Assert.Equal(1 - 1 / 54.0 * 0.5, StochasticDepth.LinearDecay(0, 54, 0.5), 12);
        Assert.Equal(0.75, StochasticDepth.LinearDecay(26, 54, 0.5), 12);
        Assert.Equal(0.5, StochasticDepth.LinearDecay(53, 54, 0.5), 12);
        Assert.Equal(1.0, StochasticDepth.LinearDecay(3, 9, 1.0), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => StochasticDepth.LinearDecay(9, 9, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => StochasticDepth.LinearDecay(0, 9, 1.5));
    }

    [Fact]
    public void BlocksAreKeptWithTheirSurvivalProbabilities()
    {
        // ResNet-56: 27 blocks, 25 droppable. Over 4000 steps each keep count is Binomial(4000, p_l); a fixed seed
        // makes the test deterministic, and ±5σ bounds would flag a wrong probability (or a sampler that ignores it)
        // while a correct sampler exceeds them with probability ~6e-7 per block.
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 56, Width: 1, InChannels: 1, Classes: 2, ImageSize: 8),
            new StochasticDepthOptions(FinalSurvivalProbability: 0.3, Seed: 17));
        const int steps = 4000;
        var kept = new int[model.Blocks.Count];
        var both = 0; // blocks 1 and 2 kept together, to catch correlated draws
        for (int step = 0; step < steps; step++)
        {
            var k = model.SampleKeptBlocks(step);
            for (int i = 0; i < k.Length; i++) if (k[i]) kept[i]++;
            if (k[1] && k[2]) both++;
        }
        for (int i = 0; i < kept.Length; i++)
        {
            var block = model.Blocks[i];
            double p = block.Downsample ? 1.0 : 1 - (i + 1) / 27.0 * 0.7;
            Assert.Equal(p, block.SurvivalProbability, 12);
            double mean = steps * p, sigma = Math.Sqrt(steps * p * (1 - p));
            Assert.InRange(kept[i], mean - 5 * sigma - 1e-9, mean + 5 * sigma + 1e-9);
        }
        double pBoth = model.Blocks[1].SurvivalProbability * model.Blocks[2].SurvivalProbability;
        Assert.InRange(both, steps * pBoth - 5 * Math.Sqrt(steps * pBoth * (1 - pBoth)), steps * pBoth + 5 * Math.Sqrt(steps * pBoth * (1 - pBoth)));
    }

    [Fact]
    public void TheUniformRuleGivesEveryDroppableBlockTheSameSurvivalProbability()
    {
        Assert.Equal(0.4, StochasticDepth.SurvivalProbability(StochasticDepthRule.Uniform, 0, 27, 0.4), 12);
        Assert.Equal(0.4, StochasticDepth.SurvivalProbability(StochasticDepthRule.Uniform, 26, 27, 0.4), 12);
        Assert.Equal(StochasticDepth.LinearDecay(5, 27, 0.4), StochasticDepth.SurvivalProbability(StochasticDepthRule.Linear, 5, 27, 0.4), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => StochasticDepth.SurvivalProbability(StochasticDepthRule.Uniform, 27, 27, 0.4));
        Assert.Throws<ArgumentOutOfRangeException>(() => StochasticDepth.SurvivalProbability(StochasticDepthRule.Uniform, 0, 27, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StochasticDepth.SurvivalProbability((StochasticDepthRule)7, 0, 27, 0.4));

        // ResNet-32: 15 blocks, the two downsampling ones always kept, the other 13 kept about half the time.
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 32, Width: 1, InChannels: 1, Classes: 2, ImageSize: 8),
            new StochasticDepthOptions(FinalSurvivalProbability: 0.5, Seed: 4, Rule: StochasticDepthRule.Uniform));
        const int steps = 4000;
        var kept = new int[model.Blocks.Count];
        for (int step = 0; step < steps; step++)
        {
            var k = model.SampleKeptBlocks(step);
            for (int i = 0; i < k.Length; i++) if (k[i]) kept[i]++;
        }
        for (int i = 0; i < kept.Length; i++)
        {
            double p = model.Blocks[i].Downsample ? 1.0 : 0.5;
            Assert.Equal(p, model.Blocks[i].SurvivalProbability, 12);
            double sigma = Math.Sqrt(steps * p * (1 - p));
            Assert.InRange(kept[i], steps * p - 5 * sigma - 1e-9, steps * p + 5 * sigma + 1e-9);
        }
    }

    [Fact]
    public void DrawsAreReproduciblePerStepAndDifferAcrossStepsAndSeeds()
    {
        var options = new CifarResNetOptions(Depth: 110, Width: 1, ImageSize: 8);
        var a = new TrainableResNet(options, new StochasticDepthOptions(0.5, Seed: 1));
        var b = new TrainableResNet(options, new StochasticDepthOptions(0.5, Seed: 1));
        var c = new TrainableResNet(options, new StochasticDepthOptions(0.5, Seed: 2));
        Assert.Equal(a.SampleKeptBlocks(123), b.SampleKeptBlocks(123));
        Assert.NotEqual(a.SampleKeptBlocks(123), a.SampleKeptBlocks(124));
        Assert.NotEqual(a.SampleKeptBlocks(123), c.SampleKeptBlocks(123));
    }

    [Fact]
    public void DroppedBlocksRunNoConvolutionAndDownsamplingBlocksAreNeverDropped()
    {
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 20, Width: 2, InChannels: 1, Classes: 3, ImageSize: 8),
            new StochasticDepthOptions(FinalSurvivalProbability: 0.2, Seed: 3));
        var images = new Variable(Tensor.Random(new Shape(2, 1, 8, 8), 1, -1f, 1f));
        for (int step = 0; step < 50; step++)
        {
            var kept = model.SampleKeptBlocks(step);
            Assert.True(kept[3] && kept[6], "downsampling blocks must always be kept");
            var tape = new Tape();
            var logits = model.TrainingForward(tape, images, kept);
            // Stem: 1 convolution; identity block: 2; downsampling block: 3 (with the projection).
            int expected = 1 + model.Blocks.Where(b => kept[b.Index]).Sum(b => b.Downsample ? 3 : 2);
            Assert.Equal(expected, tape.ConvolutionCount);
            tape.Backward(tape.SoftmaxCrossEntropy(logits, [0, 2]));
            foreach (var block in model.Blocks.Where(b => !kept[b.Index]))
                Assert.All(block.Conv1.Parameters.Concat(block.Conv2.Parameters), p => Assert.Null(p.Gradient));
            foreach (var p in model.Parameters) p.ZeroGradient();
        }
        var all = Enumerable.Repeat(true, 9).ToArray();
        var count = new Tape();
        model.TrainingForward(count, images, all);
        Assert.Equal(1 + 9 * 2 + 2, count.ConvolutionCount);
        var none = Enumerable.Repeat(false, 9).ToArray();
        none[3] = none[6] = true;
        var fewer = new Tape();
        model.TrainingForward(fewer, images, none);
        Assert.Equal(1 + 2 * 3, fewer.ConvolutionCount);
        none[3] = false;
        Assert.Throws<ArgumentException>(() => model.TrainingForward(new Tape(), images, none));
    }

    [Fact]
    public void ADroppedBlockIsTheIdentity()
    {
        // Dropping every droppable block of stage 1 leaves stem → stage 2: compare with a manual pass that skips them.
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 20, Width: 2, InChannels: 1, Classes: 3, ImageSize: 8, Seed: 2));
        var images = new Variable(Tensor.Random(new Shape(3, 1, 8, 8), 5, -1f, 1f));
        bool[] kept = [false, false, false, true, true, true, true, true, true];
        var actual = model.TrainingForward(new Tape(recording: false), images, kept).Value;
        var tape = new Tape(recording: false);
        var h = tape.Relu(model.Stem.Forward(tape, images, true));
        foreach (var b in model.Blocks.Skip(3))
        {
            var branch = b.Conv2.Forward(tape, tape.Relu(b.Conv1.Forward(tape, h, true)), true);
            h = tape.Relu(tape.Add(branch, b.Shortcut?.Forward(tape, h, true) ?? h));
        }
        var expected = tape.Linear(tape.Flatten(tape.GlobalAveragePool(h)), model.FcWeight, model.FcBias).Value;
        TestUtil.AssertClose(actual, expected, 1e-6);
    }
}
