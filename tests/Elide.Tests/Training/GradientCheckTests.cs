using Elide.Models;
using Elide.Ops;
using Elide.Tensors;
using Elide.Training;
using static Elide.Tests.Training.GradientChecker;

namespace Elide.Tests.Training;

/// <summary>Every differentiable op's gradient against central finite differences, plus a whole small network.</summary>
public class GradientCheckTests
{
    private static Variable Var(int seed, params int[] dims) => new(Tensor.Random(new Shape(dims), seed, -1f, 1f), requiresGradient: true);

    public static TheoryData<string, int[], int[], ConvOp, bool> ConvCases() => new()
    {
        { "3x3 s1 p1 + bias", [2, 3, 5, 7], [4, 3, 3, 3], new ConvOp { Pads = (1, 1, 1, 1) }, true },
        { "3x3 s2 asymmetric pads", [1, 3, 5, 7], [5, 3, 3, 3], new ConvOp { Strides = (2, 2), Pads = (1, 0, 2, 1) }, false },
        { "dilation 2, groups 2", [2, 4, 6, 5], [6, 2, 3, 3], new ConvOp { Pads = (2, 2, 2, 2), Dilations = (2, 2), Group = 2 }, true },
        { "depthwise", [3, 5, 4, 4], [5, 1, 3, 3], new ConvOp { Pads = (1, 1, 1, 1), Group = 5 }, false },
        { "1x1 s2 projection", [7, 3, 5, 7], [5, 3, 1, 1], new ConvOp { Strides = (2, 2) }, false },
        { "1x1 image", [2, 3, 1, 1], [2, 3, 3, 3], new ConvOp { Pads = (1, 1, 1, 1) }, true },
    };

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv2d(string name, int[] xShape, int[] wShape, ConvOp attributes, bool withBias)
    {
        var x = Var(1, xShape);
        var w = Var(2, wShape);
        var b = withBias ? Var(3, wShape[0]) : null;
        var checkedVars = new List<(string, Variable)> { (name + " x", x), (name + " W", w) };
        if (b is not null) checkedVars.Add((name + " b", b));
        Check(t => ProjectToScalar(t, t.Conv2d(x, w, b, attributes)), checkedVars);
    }

    [Theory]
    [InlineData(3, 5, 4, 3, true)]
    [InlineData(1, 3, 1, 5, true)]
    [InlineData(7, 1, 2, 3, true)]
    [InlineData(3, 5, 4, 3, false)]
    public void BatchNorm(int n, int c, int h, int w, bool training)
    {
        var x = new Variable(Tensor.Random(new Shape(n, c, h, w), 1, -2f, 3f), true);
        var gamma = new Variable(Tensor.Random(new Shape(c), 2, 0.5f, 1.5f), true);
        var beta = Var(3, c);
        var stats = new BatchNormStatistics(c);
        for (int i = 0; i < c; i++) { stats.RunningMean.Data[i] = 0.1f * i; stats.RunningVariance.Data[i] = 0.5f + 0.2f * i; }
        Check(t => ProjectToScalar(t, t.BatchNorm(x, gamma, beta, stats, training)), [("x", x), ("γ", gamma), ("β", beta)]);
    }

    [Fact]
    public void Relu()
    {
        // Keep every input at least 0.1 away from the kink so central differences see a smooth function.
        var x = Var(1, 3, 5, 4, 2);
        foreach (ref var v in x.Value.Data.AsSpan()) v = v >= 0 ? v + 0.1f : v - 0.1f;
        Check(t => ProjectToScalar(t, t.Relu(x)), [("x", x)]);
    }

    [Fact]
    public void AddWithTheSameVariableTwiceAccumulates()
    {
        var a = Var(1, 2, 3, 4);
        var b = Var(2, 2, 3, 4);
        Check(t => ProjectToScalar(t, t.Add(t.Add(a, b), a)), [("a", a), ("b", b)]);
    }

    [Fact]
    public void Scale()
    {
        var x = Var(1, 7, 3);
        Check(t => ProjectToScalar(t, t.Scale(x, -0.37f)), [("x", x)]);
    }

    public static TheoryData<string, PoolOp> PoolCases() => new()
    {
        { "max 2x2 s2", new PoolOp { Kind = PoolKind.Max, Kernel = (2, 2), Strides = (2, 2) } },
        { "max 3x3 s2 pads ceil", new PoolOp { Kind = PoolKind.Max, Kernel = (3, 3), Strides = (2, 2), Pads = (1, 0, 1, 2), CeilMode = true } },
        { "max dilated", new PoolOp { Kind = PoolKind.Max, Kernel = (2, 2), Dilations = (2, 1) } },
        { "avg 3x3 s2 pads", new PoolOp { Kind = PoolKind.Average, Kernel = (3, 3), Strides = (2, 2), Pads = (1, 1, 1, 1) } },
        { "avg count pad ceil", new PoolOp { Kind = PoolKind.Average, Kernel = (3, 2), Strides = (2, 2), Pads = (1, 0, 0, 1), CountIncludePad = true, CeilMode = true } },
    };

    [Theory, MemberData(nameof(PoolCases))]
    public void Pool2d(string name, PoolOp attributes)
    {
        // Distinct values 0.05 apart keep every window's maximum unambiguous under a ±0.01 perturbation.
        var x = new Variable(new Tensor(new Shape(2, 3, 5, 7)), true);
        var order = Enumerable.Range(0, x.Value.Length).OrderBy(i => new Random(i * 7919).Next()).ToArray();
        for (int i = 0; i < order.Length; i++) x.Value.Data[order[i]] = 0.05f * i - 5f;
        Check(t => ProjectToScalar(t, t.Pool2d(x, attributes)), [(name, x)]);
    }

    [Fact]
    public void GlobalAveragePoolAndFlatten()
    {
        var x = Var(1, 3, 5, 2, 3);
        Check(t => ProjectToScalar(t, t.Flatten(t.GlobalAveragePool(x))), [("x", x)]);
    }

    [Fact]
    public void Linear()
    {
        var x = Var(1, 7, 5);
        var w = Var(2, 3, 5);
        var b = Var(3, 3);
        Check(t => ProjectToScalar(t, t.Linear(x, w, b)), [("x", x), ("W", w), ("b", b)]);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void SoftmaxCrossEntropy(float smoothing)
    {
        var z = new Variable(Tensor.Random(new Shape(7, 4), 1, -3f, 3f), true);
        int[] labels = [0, 3, 1, 1, 2, 0, 3];
        Check(t => t.SoftmaxCrossEntropy(z, labels, smoothing), [("logits", z)]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WholeResNetInTrainingMode(bool dropSomeBlocks)
    {
        // ResNet-14 (6 blocks) at width 2 on 6x6 images: every op and both shortcut kinds, few enough ReLUs that most
        // perturbations cross no kink. Random BN affine parameters: with γ = 1, β = 0 and few values per channel, branch
        // and shortcut normalize to ±1 and their sum sits exactly on the ReLU's kink.
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 14, Width: 2, InChannels: 3, Classes: 4, ImageSize: 6, Seed: 5, RandomizeBatchNorm: true));
        var images = new Variable(Tensor.Random(new Shape(2, 3, 6, 6), 11, -1f, 1f), true);
        int[] labels = [1, 3];
        bool[] kept = dropSomeBlocks ? [false, true, true, false, true, true] : [true, true, true, true, true, true];
        var dropped = model.Blocks.Where(b => !kept[b.Index]).SelectMany(b => b.Conv1.Parameters.Concat(b.Conv2.Parameters)).ToHashSet();
        var checkedVars = model.Parameters.Where(p => !dropped.Contains(p)).Select(p => (p.Name, (Variable)p)).Append(("images", images)).ToList();
        // Tolerance: a float forward pass limits the difference quotient to ~1e-4·|loss|/h, and training-mode BatchNorm
        // couples every ReLU of a channel, so kinks are dense; 1e-2 still catches any wrong rule (those are off by
        // O(1)). The exact whole-network check is TorchParityTests (1e-4 against PyTorch in double).
        Check(t => t.SoftmaxCrossEntropy(model.TrainingForward(t, images, kept), labels, 0.1f), checkedVars,
            step: 1e-3, tolerance: 1e-2, maxEntries: 8, skipKinks: true, globalScale: true);
        Assert.All(dropped, p => Assert.Null(p.Gradient));
    }

    [Fact]
    public void WholeResNetInEvalMode()
    {
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 8, Width: 2, InChannels: 3, Classes: 3, ImageSize: 5, Seed: 7, RandomizeBatchNorm: true));
        var images = new Variable(Tensor.Random(new Shape(2, 3, 5, 5), 12, -1f, 1f), true);
        var checkedVars = model.Parameters.Select(p => (p.Name, (Variable)p)).Append(("images", images)).ToList();
        Check(t => t.SoftmaxCrossEntropy(model.EvalForward(t, images), [2, 0]), checkedVars, step: 1e-3, tolerance: 3e-3, maxEntries: 8, skipKinks: true,
            globalScale: true);
    }
}
