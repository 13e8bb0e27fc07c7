using Elide.Adaptive;
using Elide.Data;
using Elide.Runtime;

namespace Elide.Tests.Adaptive;

public class ExplorationTests
{
    private static ExplorationOptions Options(string? state)
    {
        var graph = TinyNetworks.Build(14);
        var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        return new ExplorationOptions
        {
            Model = graph,
            ModelName = "tiny14",
            Validation = TinyNetworks.Dataset(session, 40, 1, "val"),
            Test = TinyNetworks.Dataset(session, 24, 2, "test"),
            SearchImages = 24,
            Threads = 1,
            LargeBatch = 3,
            Search = new FrontSearchOptions(Evolution: new Nsga2Options(Population: 6, Generations: 2), RefinementPasses: 1),
            Measurement = new LatencyMeasurementOptions(1, 1, 0),
            Calibration = new CostCalibrationOptions(RandomConfigurations: 6),
            StatePath = state,
        };
    }

    [Fact]
    public void ExplorationProducesAProfiledFrontAndResumesWithoutRescoring()
    {
        string state = Path.Combine(Directory.CreateTempSubdirectory("explore").FullName, "state.json");
        var first = Exploration.Run(Options(state));
        Assert.True(first.PrefixCaching);
        Assert.Equal(0, first.Resumed);
        Assert.True(first.Search.NewEvaluations > 0);
        var f = first.Front;
        Assert.Equal(6, f.Blocks);
        Assert.Equal(3, f.LargeBatch);
        Assert.Contains(f.Front, p => p.Config == "111111");
        var all = f.Front.Single(p => p.Config == "111111");
        Assert.Equal(1.0, all.ValAccuracy); // labels are the full model's own predictions
        Assert.NotNull(all.TestAccuracy);
        Assert.All(f.Front, p =>
        {
            Assert.True(p.Mask.Runs(2) && p.Mask.Runs(4)); // downsampling blocks of ResNet-14
            Assert.True(p.LatencyMsBatch1 > 0 && p.LatencyMsBatch64 > 0 && p.PredictedMsBatch1 > 0 && p.PredictedMsBatch64 > 0);
            Assert.True(p.Macs > 0 && p.EnergyMillijoules > 0);
        });
        Assert.True(f.Front.Where(p => p.Config != "111111").All(p => p.Macs < all.Macs));
        Assert.Equal(2, f.CostModels.Count);
        Assert.Equal(ParetoFront.FromJson(f.ToJson()).Front.Count, f.Front.Count);

        var second = Exploration.Run(Options(state));
        Assert.Equal(0, second.Search.NewEvaluations);
        Assert.Equal(first.Search.Evaluated.Count, second.Resumed);
        Assert.Equal(first.Search.Front.Select(c => c.Mask.ToString()), second.Search.Front.Select(c => c.Mask.ToString()));
    }

    [Fact]
    public void ResNet8ExploresItsOnlySkippableBlockAndAModelWithoutBlocksIsRejected()
    {
        var graph = TinyNetworks.Build(8); // blocks: identity, downsampling, downsampling
        var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        var o = Options(null) with { Model = graph, ModelName = "tiny8", Validation = TinyNetworks.Dataset(session, 8, 1, "v"), Test = null, SearchImages = 8 };
        var result = Exploration.Run(o);
        Assert.Equal(3, result.Front.Blocks);
        Assert.All(result.Front.Front, p => Assert.Matches("^[01]11$", p.Config));
        Assert.Null(result.Front.Front[0].TestAccuracy);

        var flat = new Elide.Graph.ComputeGraph();
        var x = flat.AddInput("input", new Elide.Tensors.Shape(-1, 1, 9, 9));
        var pooled = flat.Apply("flatten", new Elide.Ops.FlattenOp(1), flat.Apply("pool", new Elide.Ops.GlobalPoolOp(Elide.Ops.PoolKind.Average), x));
        flat.MarkOutput(pooled);
        var e = Assert.Throws<ArgumentException>(() => Exploration.Run(o with { Model = flat, ModelName = "flat" }));
        Assert.Contains("no residual blocks", e.Message);
    }

    /// <summary>A front point of the 9-block tiny20 network; batch-64 latency is ten times batch 1.</summary>
    private static OperatingPoint Point(string config, double accuracy, double msBatch1, double millijoules) =>
        new() { Config = config, ValAccuracy = accuracy, LatencyMsBatch1 = msBatch1, LatencyMsBatch64 = 10 * msBatch1, EnergyMillijoules = millijoules };

    private static ParetoFront Tiny20Front(params OperatingPoint[] points) => new() { Model = "tiny20", Blocks = 9, Front = points };

    [Fact]
    public void PhaseRunnerFollowsTheBudgetAndCountsCorrectly()
    {
        var graph = TinyNetworks.Build(20);
        var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        var data = TinyNetworks.SelfLabelled(session, 12, 5);
        var front = Tiny20Front(Point("111111111", 1.0, 10, 1), Point("100100100", 0.5, 4, 0.4));
        var phases = new[] { new Phase("slow", new Budget(LatencyMs: 1e6), 6), new Phase("fast", new Budget(LatencyMs: 5), 5), new Phase("tight", new Budget(LatencyMs: 1), 1) };
        var results = PhaseRunner.Run(session, new AdaptivePolicy(front), phases, data, data.Shape);
        Assert.Equal("111111111", results[0].Decision.Point.Config);
        Assert.Equal(6, results[0].Correct); // all blocks agree with their own labels
        Assert.Equal("100100100", results[1].Decision.Point.Config);
        Assert.False(results[2].Decision.Feasible);
        Assert.Equal("100100100", results[2].Decision.Point.Config);
        // Images 6..10 under the fast configuration, counted the same way the evaluator counts.
        var sub = new LabelledImages(data.Shape, data.Pixels.AsSpan(6 * 81, 5 * 81).ToArray(), data.Labels[6..11]);
        Assert.Equal(new Evaluator(session, sub).Evaluate(SkipMask.Parse("100100100")).Correct, results[1].Correct);
        var work = ConfigurationWork.Of(session, session.GetPlan(new Elide.Tensors.Shape(1, 1, 9, 9)));
        Assert.Equal(5 * work.EnergyPerImageMillijoules(SkipMask.Parse("100100100"), EnergyModel.Default), results[1].ModelledEnergyMillijoules, 12);
        Assert.All(results, r => Assert.True(r.MedianMs > 0));
        Assert.Throws<ArgumentException>(() => PhaseRunner.Run(session, new AdaptivePolicy(front with { Blocks = 2, Front = [new OperatingPoint { Config = "11" }] }), phases, data, data.Shape));
    }

    [Fact]
    public void PhaseRunnerRunsAMergedFrontsUnscaledPointsOnTheUnscaledVariant()
    {
        // A model whose identity branches are scaled (by 1/50, so that the variants disagree often), as Stochastic-Depth training leaves them (built as in
        // BranchScalingTests), and its unscaled variant.
        var claimsFifty = TinyNetworks.Build(20);
        var map = System.Text.Json.Nodes.JsonNode.Parse(claimsFifty.Metadata[Elide.Models.CifarResNet.BlockMapKey])!.AsArray();
        foreach (var entry in map) entry!["BranchScale"] = entry["Downsample"]!.GetValue<bool>() ? 1.0 : 50.0;
        claimsFifty.Metadata[Elide.Models.CifarResNet.BlockMapKey] = map.ToJsonString();
        var scaledGraph = BranchScaling.Unscaled(claimsFifty); // branches now scaled by 1/50 relative to the plain network
        var scaled = new InferenceSession(scaledGraph, new SessionOptions { Threads = 1 });
        var unscaled = new InferenceSession(claimsFifty, new SessionOptions { Threads = 1 });
        var data = TinyNetworks.SelfLabelled(unscaled, 48, 7);
        var front = Tiny20Front(Point("111111111", 1.0, 10, 1), Point("111111111", 0.9, 9, 1) with { Unscaled = true });
        var phases = new[] { new Phase("scaled", new Budget(LatencyMs: 1e6), 8), new Phase("unscaled", new Budget(LatencyMs: 9.5), 40) };
        var mask = SkipMask.Parse("111111111");
        var rest = new LabelledImages(data.Shape, data.Pixels.AsSpan(8 * 81, 40 * 81).ToArray(), data.Labels[8..48]);
        int unscaledCorrect = new Evaluator(unscaled, rest).Evaluate(mask).Correct;
        int scaledCorrect = new Evaluator(scaled, rest).Evaluate(mask).Correct;
        Assert.Equal(40, unscaledCorrect); // the labels are the unscaled model's own answers
        Assert.NotEqual(unscaledCorrect, scaledCorrect); // so running the wrong variant would be seen

        var results = PhaseRunner.Run(scaled, new AdaptivePolicy(front), phases, data, data.Shape, unscaledSession: unscaled);
        Assert.False(results[0].Decision.Point.Unscaled);
        Assert.Equal(new Evaluator(scaled, new LabelledImages(data.Shape, data.Pixels[..(8 * 81)], data.Labels[..8])).Evaluate(mask).Correct, results[0].Correct);
        Assert.True(results[1].Decision.Point.Unscaled);
        Assert.Equal(unscaledCorrect, results[1].Correct);

        var e = Assert.Throws<ArgumentException>(() => PhaseRunner.Run(scaled, new AdaptivePolicy(front), phases, data, data.Shape));
        Assert.Contains("unscaled points", e.Message);
    }
}
