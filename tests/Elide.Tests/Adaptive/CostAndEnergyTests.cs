using Elide.Adaptive;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Adaptive;

public class CostAndEnergyTests
{
    [Fact]
    public void FitRecoversExactBlockCosts()
    {
        double[] truth = [0.5, 0, 0.25, 0.75, 0.1];
        int[] skippable = [0, 2, 3, 4];
        var rng = new Random(3);
        var masks = Enumerable.Range(0, 20).Select(_ => new SkipMask(Enumerable.Range(0, 5).Select(b => b == 1 || rng.Next(2) == 1))).ToList();
        var times = masks.Select(m => 2.0 + Enumerable.Range(0, 5).Where(m.Runs).Sum(b => truth[b])).ToList();
        var model = BlockCostModel.Fit(1, 5, skippable, masks, times);
        Assert.Equal(2.0, model.FixedMs, 9);
        for (int b = 0; b < 5; b++) Assert.Equal(truth[b], model.BlockMs[b], 9);
        Assert.Equal(2.0 + 0.5 + 0.75, model.PredictMs(SkipMask.Parse("11010")), 9);
        Assert.Throws<ArgumentException>(() => model.PredictMs(SkipMask.Parse("11")));
        Assert.Throws<ArgumentException>(() => BlockCostModel.Fit(1, 5, skippable, masks.Take(3).ToList(), times.Take(3).ToList()));
    }

    [Fact]
    public void NegativeCostsArePinnedToZeroAndTheRestRefitted()
    {
        // Block 1 "costs" −0.2 in the data (noise); the fit must not return a negative cost.
        var masks = new[] { "11", "10", "01", "00", "11", "10" }.Select(SkipMask.Parse).ToList();
        var times = masks.Select(m => 3.0 + (m.Runs(0) ? 1.0 : 0) + (m.Runs(1) ? -0.2 : 0)).ToList();
        var model = BlockCostModel.Fit(1, 2, [0, 1], masks, times);
        Assert.Equal(0, model.BlockMs[1]);
        Assert.True(model.BlockMs[0] > 0.9 && model.BlockMs[0] < 1.1, $"{model.BlockMs[0]}");
    }

    [Fact]
    public void TiedClassesShareOneCostAndAverageOutNoise()
    {
        // Blocks 0–2 are one class (true cost 0.3 each), 3–4 another (0.6 each); ±3 % multiplicative noise.
        int[] classes = [0, 0, 0, 1, 1];
        int[] skippable = [0, 1, 2, 3, 4];
        var rng = new Random(5);
        var masks = Enumerable.Range(0, 24).Select(_ => new SkipMask(Enumerable.Range(0, 5).Select(_ => rng.Next(2) == 1))).ToList();
        var times = masks.Select(m => (1.0 + Enumerable.Range(0, 5).Where(m.Runs).Sum(b => b < 3 ? 0.3 : 0.6)) * (1 + 0.06 * (rng.NextDouble() - 0.5))).ToList();
        var tied = BlockCostModel.Fit(1, 5, skippable, masks, times, classes);
        Assert.Equal(tied.BlockMs[0], tied.BlockMs[1], 12);
        Assert.Equal(tied.BlockMs[0], tied.BlockMs[2], 12);
        Assert.Equal(tied.BlockMs[3], tied.BlockMs[4], 12);
        Assert.InRange(tied.BlockMs[0], 0.27, 0.33);
        Assert.InRange(tied.BlockMs[3], 0.54, 0.66);
        // Exact data: the tied fit reproduces it exactly, like the untied one.
        var exact = masks.Select(m => 1.0 + Enumerable.Range(0, 5).Where(m.Runs).Sum(b => b < 3 ? 0.3 : 0.6)).ToList();
        var model = BlockCostModel.Fit(1, 5, skippable, masks, exact, classes);
        Assert.Equal(1.0, model.FixedMs, 9);
        Assert.Equal(0.6, model.BlockMs[4], 9);
        Assert.Throws<ArgumentException>(() => BlockCostModel.Fit(1, 5, skippable, masks, exact, [0, 1]));
    }

    [Fact]
    public void BlocksOfAResNetStageFormOneClass()
    {
        var session = new InferenceSession(Models.CifarResNet.Build(new Models.CifarResNetOptions(Depth: 20, Width: 4, ImageSize: 8)),
            new SessionOptions { Threads = 1 });
        var plan = session.GetPlan(new Shape(1, 1, 8, 8));
        var classes = BlockCostModel.BlockClasses(plan);
        // resnet20: 3 stages × 3 blocks; the first block of stages 2 and 3 downsamples.
        Assert.Equal(9, classes.Length);
        Assert.Equal(classes[0], classes[1]);
        Assert.Equal(classes[1], classes[2]);
        Assert.Equal(classes[4], classes[5]);
        Assert.Equal(classes[7], classes[8]);
        Assert.NotEqual(classes[4], classes[7]);
        // 3 identity-block classes; the downsampling blocks cannot be skipped (no steps of their own in the plan).
        Assert.Equal(4, classes.Distinct().Count());
        Assert.False(plan.CanSkip(3) || plan.CanSkip(6));
        Assert.NotEqual(classes[0], classes[4]);
    }

    [Fact]
    public void DesignCoversAllMinimalAndKeepsFixedBlocks()
    {
        var session = new InferenceSession(TinyNetworks.Build(20), new SessionOptions { Threads = 1 });
        var plan = session.GetPlan(new Shape(1, 1, 9, 9));
        var design = BlockCostModel.DesignMasks(plan);
        Assert.Equal("111111111", design[0].ToString());
        Assert.Equal("000100100", design[1].ToString());
        Assert.Equal(2 + 2 * 8 + 8, design.Count);
        Assert.All(design, m => Assert.True(m.Runs(3) && m.Runs(6)));
    }

    [Fact]
    public void WorkCountsOnlyTheStepsThatRun()
    {
        var session = new InferenceSession(TinyNetworks.Build(20), new SessionOptions { Threads = 1 });
        var plan = session.GetPlan(new Shape(4, 1, 9, 9));
        var work = ConfigurationWork.Of(session, plan);
        Assert.Equal(plan.TotalMultiplyAccumulates / 4.0, work.MacsPerImage(null), 6);
        Assert.Equal(work.MacsPerImage(null), work.MacsPerImage(SkipMask.All(9)), 6);
        double block4 = plan.StepsOfBlock(4).Sum(s => plan.Steps[s].MultiplyAccumulates) / 4.0;
        Assert.True(block4 > 0);
        Assert.Equal(work.MacsPerImage(null) - block4, work.MacsPerImage(SkipMask.Parse("111101111")), 6);
        Assert.True(work.BytesPerImage(SkipMask.Parse("111101111")) < work.BytesPerImage(null));
        // Weights are shared by the batch: per-image traffic at batch 4 is below batch 1's.
        var work1 = ConfigurationWork.Of(session, session.GetPlan(new Shape(1, 1, 9, 9)));
        Assert.True(work.BytesPerImage(null) < work1.BytesPerImage(null));
        Assert.Throws<ArgumentException>(() => work.MacsPerImage(SkipMask.Parse("11")));
    }

    [Fact]
    public void EnergyModelIsLinearInMacsAndBytes()
    {
        var e = new EnergyModel(4.6, 12.5);
        Assert.Equal((4.6e6 + 12.5e3) * 1e-9, e.Millijoules(1e6, 1e3), 15);
        Assert.Equal(0, e.Millijoules(0, 0));
        Assert.Contains("Horowitz", EnergyModel.Default.ToString());
    }

    [Fact]
    public void RaplMeterReadsPackagesSumsThemAndHandlesWrap()
    {
        var root = Directory.CreateTempSubdirectory("powercap").FullName;
        Assert.Null(RaplEnergyMeter.TryOpen(root));
        Assert.Null(RaplEnergyMeter.TryOpen(Path.Combine(root, "missing")));
        foreach (var zone in new[] { "intel-rapl:0", "intel-rapl:1", "intel-rapl:0:0" })
        {
            Directory.CreateDirectory(Path.Combine(root, zone));
            File.WriteAllText(Path.Combine(root, zone, "energy_uj"), "1000\n");
            File.WriteAllText(Path.Combine(root, zone, "max_energy_range_uj"), "5000\n");
        }
        var meter = RaplEnergyMeter.TryOpen(root)!;
        Assert.Equal(2, meter.Packages); // the core subzone is inside package 0's figure
        var before = meter.Read();
        File.WriteAllText(Path.Combine(root, "intel-rapl:0", "energy_uj"), "3000");
        File.WriteAllText(Path.Combine(root, "intel-rapl:1", "energy_uj"), "500"); // wrapped: 5000 − 1000 + 500
        Assert.Equal((2000 + 4500) * 1e-6, meter.JoulesBetween(before, meter.Read()), 12);
    }

    [Fact]
    public void MaskedLatencyRejectsBadMasksAndMedianIsTheMiddle()
    {
        var session = new InferenceSession(TinyNetworks.Build(20), new SessionOptions { Threads = 1 });
        var plan = session.GetPlan(new Shape(1, 1, 9, 9));
        Assert.Throws<ArgumentException>(() => MaskedLatency.MedianMilliseconds(plan, [SkipMask.Parse("111011111")], new LatencyMeasurementOptions(1, 1, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaskedLatency.MedianMilliseconds(plan, [null], new LatencyMeasurementOptions(0, 1, 0)));
        Assert.Equal(2.0, MaskedLatency.Median([3.0, 1.0, 2.0]));
        Assert.Equal(2.5, MaskedLatency.Median([4.0, 1.0, 2.0, 3.0]));
        Assert.Throws<ArgumentException>(() => MaskedLatency.Median([]));
    }
}
