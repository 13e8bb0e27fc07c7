using Elide.Models;
using Elide.Ops;
using Elide.Runtime;
using Elide.Tensors;
using Elide.Training;

namespace Elide.Tests.Training;

public class TrainableResNetTests
{
    [Fact]
    public void InitialWeightsAndGraphEqualCifarResNetBuild()
    {
        var options = new CifarResNetOptions(Depth: 14, Width: 4, InChannels: 3, Classes: 5, ImageSize: 8, Seed: 3, RandomizeBatchNorm: true);
        var expected = CifarResNet.Build(options);
        var actual = new TrainableResNet(options, new StochasticDepthOptions(FinalSurvivalProbability: 1.0)).ToComputeGraph();
        Assert.Equal(expected.Nodes.Select(n => (n.Name, n.Op.Name, n.Op.Describe())), actual.Nodes.Select(n => (n.Name, n.Op.Name, n.Op.Describe())));
        var constants = expected.Values.Values.Where(v => v.IsConstant).ToList();
        Assert.NotEmpty(constants);
        foreach (var c in constants)
        {
            var other = actual.Values[c.Name].Constant!;
            Assert.Equal(c.Constant!.Shape, other.Shape);
            Assert.Equal(c.Constant.Data, other.Data);
        }
        Assert.Equal(CifarResNet.Blocks(expected), CifarResNet.Blocks(actual)); // the extended map still reads as ResidualBlockInfo
        Assert.Equal(expected.Metadata["elide.architecture"], actual.Metadata["elide.architecture"]);
    }

    [Fact]
    public void ExportedGraphMatchesEvalForwardInSessionAndReferenceInterpreter()
    {
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 20, Width: 4, InChannels: 3, Classes: 10, ImageSize: 8, Seed: 1),
            new StochasticDepthOptions(FinalSurvivalProbability: 0.5, Seed: 2));
        // A few training steps so weights, BN parameters and running statistics are no longer at their initial values.
        var optimizer = new SgdOptimizer(model.Parameters, new SgdOptions(0.9f, WeightDecay: 5e-4f));
        var images = Tensor.Random(new Shape(6, 3, 8, 8), 4, -1f, 1f);
        int[] labels = [0, 1, 2, 3, 4, 5];
        for (int step = 0; step < 3; step++)
        {
            optimizer.ZeroGradients();
            var tape = new Tape();
            tape.Backward(tape.SoftmaxCrossEntropy(model.TrainingForward(tape, new Variable(images), step), labels));
            optimizer.Step(0.05);
        }
        var x = Tensor.Random(new Shape(3, 3, 8, 8), 9, -1f, 1f);
        var expected = model.Predict(x);
        var graph = model.ToComputeGraph();
        TestUtil.AssertClose(new InferenceSession(graph).Run(x)[0], expected, 1e-4);
        TestUtil.AssertClose(ReferenceInterpreter.Run(graph, [x])[0], expected, 1e-4);
    }

    [Fact]
    public void ExportFoldsSurvivalProbabilityIntoTheBranchBatchNormAndRecordsIt()
    {
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 20, Width: 2, InChannels: 1, Classes: 3, ImageSize: 8),
            new StochasticDepthOptions(FinalSurvivalProbability: 0.5));
        var graph = model.ToComputeGraph();
        var blocks = StochasticDepthBlockInfo.Read(graph);
        Assert.Equal(9, blocks.Count);
        for (int i = 0; i < 9; i++)
        {
            bool downsample = i is 3 or 6;
            double p = downsample ? 1.0 : 1.0 - (i + 1) / 9.0 * 0.5;
            Assert.Equal(downsample, blocks[i].Downsample);
            Assert.Equal(p, blocks[i].SurvivalProbability, 12);
            Assert.Equal(p, blocks[i].BranchScale, 12);
            string bn = model.Blocks[i].Prefix + ".conv2.bn";
            Assert.Equal((float)p, graph.Values[bn + ".weight"].Constant!.Data[0], 6); // γ = 1 at initialization
        }
        Assert.Equal(0.5, blocks[8].SurvivalProbability, 12);
        Assert.Contains("final_survival_probability", graph.Metadata[TrainableResNet.StochasticDepthKey]);
        Assert.Equal(Enumerable.Range(0, 9), blocks.Select(b => b.Index));
        Assert.Equal(graph.Nodes.Single(n => n.Name == "stem.relu").Outputs[0].Name, blocks[0].Input);
        Assert.Equal(blocks[0].Output, blocks[1].Input);
    }

    [Fact]
    public void AUniformlyDroppedNetworkExportsItsRuleAndOneBranchScale()
    {
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 20, Width: 2, InChannels: 1, Classes: 3, ImageSize: 8),
            new StochasticDepthOptions(FinalSurvivalProbability: 0.6, Rule: StochasticDepthRule.Uniform));
        var graph = model.ToComputeGraph();
        var blocks = StochasticDepthBlockInfo.Read(graph);
        for (int i = 0; i < 9; i++)
        {
            double p = i is 3 or 6 ? 1.0 : 0.6;
            Assert.Equal(p, blocks[i].BranchScale, 12);
            Assert.Equal((float)p, graph.Values[model.Blocks[i].Prefix + ".conv2.bn.weight"].Constant!.Data[0], 6);
        }
        Assert.Contains("\"rule\":\"uniform\"", graph.Metadata[TrainableResNet.StochasticDepthKey]);
        Assert.Contains("\"rule\":\"linear\"", new TrainableResNet(new CifarResNetOptions(Depth: 8, Width: 2, InChannels: 1, Classes: 3, ImageSize: 8))
            .ToComputeGraph().Metadata[TrainableResNet.StochasticDepthKey]);
    }

    [Fact]
    public void BlockMapsWithoutStochasticDepthFieldsReadAsAlwaysKept()
    {
        var graph = CifarResNet.Build(new CifarResNetOptions(Depth: 8, Width: 2, ImageSize: 8));
        Assert.All(StochasticDepthBlockInfo.Read(graph), b => Assert.Equal(1.0, b.SurvivalProbability));
    }

    [Fact]
    public void EvalForwardScalesEachBranchBySurvivalProbability()
    {
        // p_L = 0: the last block's branch is scaled by 0, so it reduces to ReLU(0 + h) = h (h ≥ 0 after a ReLU), and
        // the eval network equals a manual forward pass that scales the other branches and omits the last block.
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 20, Width: 2, InChannels: 1, Classes: 3, ImageSize: 8, Seed: 4),
            new StochasticDepthOptions(FinalSurvivalProbability: 0.0));
        Assert.Equal(0.0, model.Blocks[^1].SurvivalProbability, 12);
        var x = new Variable(Tensor.Random(new Shape(2, 1, 8, 8), 3, -1f, 1f));
        var actual = model.EvalForward(new Tape(recording: false), x).Value;
        var tape = new Tape(recording: false);
        var h = tape.Relu(model.Stem.Forward(tape, x, false));
        foreach (var b in model.Blocks.SkipLast(1))
        {
            var branch = tape.Scale(b.Conv2.Forward(tape, tape.Relu(b.Conv1.Forward(tape, h, false)), false), (float)b.SurvivalProbability);
            h = tape.Relu(tape.Add(branch, b.Shortcut?.Forward(tape, h, false) ?? h));
        }
        var expected = tape.Linear(tape.Flatten(tape.GlobalAveragePool(h)), model.FcWeight, model.FcBias).Value;
        TestUtil.AssertClose(actual, expected, 1e-6);
    }

    [Fact]
    public void ImagesOfTheWrongShapeAreRejected()
    {
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 8, Width: 2, InChannels: 3, Classes: 3, ImageSize: 8));
        var ex = Assert.Throws<ArgumentException>(() => model.Predict(new Tensor(new Shape(1, 1, 8, 8))));
        Assert.Contains("[N,3,8,8]", ex.Message);
        Assert.Throws<ArgumentException>(() => model.TrainingForward(new Tape(), new Variable(new Tensor(new Shape(1, 3, 8, 8))), new bool[2]));
    }
}
