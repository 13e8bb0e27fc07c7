using Elide.Models;
using Elide.Ops;
using Elide.Planning;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Planning;

public class FusionTests
{
    private static readonly CifarResNetOptions Small = new(Depth: 14, Width: 8, InChannels: 3, ImageSize: 12, Seed: 3, RandomizeBatchNorm: true);

    [Fact]
    public void OptimizerFoldsEveryBatchNormAndFusesResidualsAndRelus()
    {
        var g = CifarResNet.Build(Small);
        var o = GraphOptimizer.Optimize(g);
        Assert.DoesNotContain(o.Nodes, n => n.Op is BatchNormOp);
        Assert.DoesNotContain(o.Nodes, n => n.Op is ActivationOp);
        Assert.DoesNotContain(o.Nodes, n => n.Op is BinaryOp);
        int blocks = 3 * Small.BlocksPerStage;
        Assert.Equal(blocks, o.Nodes.Count(n => n.Op is ConvOp { HasResidual: true }));
        Assert.Equal(g.Nodes.Count(n => n.Op is ConvOp), o.Nodes.Count(n => n.Op is ConvOp));
        // The source graph is untouched.
        Assert.Contains(g.Nodes, n => n.Op is BatchNormOp);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void FoldingAndFusionChangeNoOutput(int batch)
    {
        var g = CifarResNet.Build(Small);
        var input = Tensor.Random(new Shape(batch, 3, 12, 12), 11, 0f, 1f);
        var reference = ReferenceInterpreter.Run(g, [input])[0];
        var unfused = new InferenceSession(g, new SessionOptions
        {
            Threads = 1,
            Optimizations = new GraphOptimizer.Options(false, false, false, false),
        }).Run(input)[0];
        var fused = new InferenceSession(g, new SessionOptions { Threads = 2 }).Run(input)[0];
        TestUtil.AssertClose(unfused, reference, 1e-5);
        TestUtil.AssertClose(fused, reference, 1e-5);
    }

    [Fact]
    public void PlanIsReusedAndSharesMemory()
    {
        var g = CifarResNet.Build(Small with { Depth = 20 });
        var session = new InferenceSession(g, new SessionOptions { Threads = 1, SkippableBlocks = false });
        var plan = session.GetPlan(new Shape(4, 3, 12, 12));
        Assert.Same(plan, session.GetPlan(new Shape(4, 3, 12, 12)));
        long sumOfTensors = plan.Steps.Sum(s => s.OutputShape.ElementCount) * sizeof(float);
        Assert.True(plan.ArenaBytes < sumOfTensors / 3, $"arena {plan.ArenaBytes} B vs {sumOfTensors} B of tensors: memory is not being shared");
        // Skippable blocks keep block inputs alive longer, but memory is still shared.
        var adaptive = new InferenceSession(g, new SessionOptions { Threads = 1 }).GetPlan(new Shape(4, 3, 12, 12));
        Assert.True(adaptive.ArenaBytes < sumOfTensors / 2, $"adaptive arena {adaptive.ArenaBytes} B vs {sumOfTensors} B of tensors");
    }
}
