using System.Xml.Linq;
using Elide.Adaptive;

namespace Elide.Tests.Adaptive;

public class FrontFilesTests
{
    private static ParetoFront Sample(int blocks = 9) => new()
    {
        Model = "tiny <&> net", Blocks = blocks, LargeBatch = 64, EnergyModel = EnergyModel.Default.ToString(),
        CostModels = [new BlockCostModel(1, 0.5, Enumerable.Repeat(0.1, blocks).ToArray())],
        Front =
        [
            new OperatingPoint { Config = new string('1', blocks), ValAccuracy = 0.92, TestAccuracy = 0.91, LatencyMsBatch1 = 2, LatencyMsBatch64 = 50, Macs = 1000, EnergyMillijoules = 0.4, PredictedMsBatch1 = 2.05 },
            new OperatingPoint { Config = "1" + new string('0', blocks - 1), ValAccuracy = 0.5, LatencyMsBatch1 = 0.7, LatencyMsBatch64 = 20, Macs = 300, EnergyMillijoules = 0.1, MeasuredEnergyMillijoules = 0.3 },
        ],
    };

    [Fact]
    public void FastestWithinPicksTheQuickestPointInsideTheAccuracyBudget()
    {
        static OperatingPoint P(string config, double val, double? test, double ms) =>
            new() { Config = config, ValAccuracy = val, TestAccuracy = test, LatencyMsBatch1 = ms };
        var front = new ParetoFront
        {
            Blocks = 4,
            Front = [P("1111", 0.940, 0.9400, 2.0), P("1110", 0.939, 0.9360, 1.6), P("1100", 0.930, 0.9305, 1.2), P("1000", 0.80, 0.80, 0.8)],
        };
        Assert.Equal("1111", front.FastestWithin(0.3)!.Config);   // 1110 loses 0.4 test points
        Assert.Equal("1110", front.FastestWithin(0.5)!.Config);
        Assert.Equal("1100", front.FastestWithin(0.95)!.Config);  // 0.95 test points exactly: inside
        Assert.Equal("1100", front.FastestWithin(10)!.Config);    // 1000 loses 14 points
        Assert.Equal("1000", front.FastestWithin(20)!.Config);
        // Without test accuracies the validation figures decide: 1110 loses only 0.1 there.
        var valOnly = front with { Front = front.Front.Select(p => p with { TestAccuracy = null }).ToList() };
        Assert.Equal("1110", valOnly.FastestWithin(0.2)!.Config);
        Assert.Null((front with { Front = [P("1110", 0.9, 0.9, 1)] }).FastestWithin(1));
    }

    [Fact]
    public void FrontJsonRoundTripsWithAllFields()
    {
        var json = Sample().ToJson();
        foreach (var field in new[] { "\"config\"", "\"val_accuracy\"", "\"test_accuracy\"", "\"latency_ms_b1\"", "\"latency_ms_b64\"", "\"macs\"", "\"energy_mj\"", "\"predicted_ms_b1\"", "\"measured_energy_mj\"", "\"cost_models\"" })
            Assert.Contains(field, json);
        var back = ParetoFront.FromJson(json);
        Assert.Equal(0.91, back.Front[0].TestAccuracy);
        Assert.Null(back.Front[0].MeasuredEnergyMillijoules);
        Assert.Equal(0.3, back.Front[1].MeasuredEnergyMillijoules);
        Assert.Equal(0.1, back.CostModels[0].BlockMs[3]);
    }

    [Fact]
    public void FrontIsStoredInModelMetadata()
    {
        var g = TinyNetworks.Build(20);
        Assert.Null(FrontMetadata.Read(g));
        FrontMetadata.Attach(g, Sample());
        Assert.Equal("1" + new string('0', 8), FrontMetadata.Read(g)!.Front[1].Config);
        Assert.Throws<ArgumentException>(() => FrontMetadata.Attach(g, Sample(5)));
    }

    [Fact]
    public void PlotIsValidSvgWithOneMarkerPerPointAndALegend()
    {
        var a = FrontPlot.FromFront(Sample(), "SD <model>", FrontPlot.Palette[0]);
        var b = new PlotSeries("baseline", "#D55E00", [new PlotPoint(1.0, 0.3, "x"), new PlotPoint(2.1, 0.9, "y")]);
        var svg = XDocument.Parse(FrontPlot.Render([a, b], "accuracy & latency"));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var circles = svg.Descendants(ns + "circle").ToList();
        Assert.Equal(4 + 2, circles.Count); // 4 markers + one ring per series
        var texts = svg.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("SD <model>", texts);
        Assert.Contains("accuracy & latency", texts);
        Assert.Equal(2, svg.Descendants(ns + "path").Count());
        Assert.Throws<ArgumentException>(() => FrontPlot.Render([new PlotSeries("e", "red", [])], "t"));
    }

    [Theory]
    [InlineData(0, 2.3, 0, 2.5, 0.5)]
    [InlineData(48.2, 93.7, 40, 100, 10)]
    [InlineData(0, 0.012, 0, 0.015, 0.005)]
    public void NiceRangesUseOneTwoFiveSteps(double lo, double hi, double expectedLo, double expectedHi, double expectedStep)
    {
        var (l, h, s) = FrontPlot.NiceRange(lo, hi);
        Assert.Equal(expectedLo, l, 9);
        Assert.Equal(expectedHi, h, 9);
        Assert.Equal(expectedStep, s, 9);
    }

    [Fact]
    public void ExplorationStateRoundTripsAndIgnoresOtherIdentities()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("state").FullName, "s.json");
        var fresh = ExplorationState.LoadOrCreate(path, "a");
        Assert.Empty(fresh.Evaluated);
        fresh.Evaluated["101"] = 0.5;
        (fresh with { CostModels = [new BlockCostModel(1, 1, [0.1, 0.2, 0.3])] }).Save(path);
        var loaded = ExplorationState.LoadOrCreate(path, "a");
        Assert.Equal(0.5, loaded.Evaluated["101"]);
        Assert.Equal(0.2, loaded.CostModels![0].BlockMs[1]);
        Assert.Empty(ExplorationState.LoadOrCreate(path, "b").Evaluated);
        File.WriteAllText(path, "{not json");
        Assert.Throws<FormatException>(() => ExplorationState.LoadOrCreate(path, "a"));
    }
}
