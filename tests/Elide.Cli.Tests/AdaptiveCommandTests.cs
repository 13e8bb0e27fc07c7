using System.Diagnostics;
using Elide.Adaptive;
using Elide.IO;

namespace Elide.Cli.Tests;

/// <summary>Skips unless node and onnxruntime-node are installed (bench/peers/setup.sh, or ELIDE_PEERS_DIR).</summary>
public sealed class OnnxRuntimeFactAttribute : FactAttribute
{
    public OnnxRuntimeFactAttribute()
    {
        if (AdaptiveCommandTests.PeersDirectory() is null) Skip = "onnxruntime-node is not installed (run bench/peers/setup.sh or set ELIDE_PEERS_DIR)";
    }
}

public class AdaptiveCommandTests
{
    private static (int Exit, string Out, string Err) Elide(params string[] args) => InProcessCli.Run(args);

    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("elide-adaptive").FullName, name);

    private static string RepoRoot() => InProcessCli.RepoRoot();

    internal static string? PeersDirectory()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("ELIDE_PEERS_DIR"), Path.Combine(RepoRoot(), "bench", "peers") };
        bool node = File.Exists("/usr/bin/node") || File.Exists("/usr/local/bin/node");
        return node ? candidates.FirstOrDefault(d => d is not null && Directory.Exists(Path.Combine(d, "node_modules", "onnxruntime-node"))) : null;
    }

    [OnnxRuntimeFact]
    public void ExportedConfigurationGivesTheSameOutputsInOnnxRuntimeAsElideRunningTheMask()
    {
        const string mask = "101110111"; // ResNet-20: blocks 3 and 6 downsample and stay
        string model = Temp("pruned.onnx"), input = Temp("x.npy"), output = Temp("y.npy");
        var (exit, _, err) = Elide("export", "--model", "resnet20", "--config", mask, "--out", model);
        Assert.True(exit == 0, err);
        var x = new float[2 * 28 * 28];
        var rng = new Random(5);
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        NpyFile.Write(input, NpyArray.FromFloats([2, 1, 28, 28], x));
        (exit, _, err) = Elide("infer", "--model", "resnet20", "--config", mask, "--input", input, "--output", output, "--threads", "1");
        Assert.True(exit == 0, err);
        var elide = NpyFile.Read(output).ToFloatArray();

        string raw = Temp("x.f32"), ortOut = Temp("y.f32");
        File.WriteAllBytes(raw, x.SelectMany(BitConverter.GetBytes).ToArray());
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(RepoRoot(), "tests", "Elide.Onnx.Tests", "Export", "ort_run.mjs"), model, raw, "2,1,28,28", ortOut }) psi.ArgumentList.Add(a);
        psi.Environment["ELIDE_PEERS_DIR"] = PeersDirectory();
        using var p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        var bytes = File.ReadAllBytes(ortOut);
        var ort = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, 4 * i)).ToArray();
        Assert.Equal(elide.Length, ort.Length);
        double scale = ort.Max(v => Math.Abs(v));
        for (int i = 0; i < ort.Length; i++) Assert.True(Math.Abs(elide[i] - ort[i]) <= 1e-4 * scale, $"logit {i}: Elide {elide[i]} vs ONNX Runtime {ort[i]}");
        // And the all-blocks model differs, so the comparison is not vacuous.
        (exit, _, err) = Elide("infer", "--model", "resnet20", "--input", input, "--output", output, "--threads", "1");
        Assert.NotEqual(elide, NpyFile.Read(output).ToFloatArray());
    }

    [Fact]
    public void ExportedConfigurationHasNoNodesOfSkippedBlocks()
    {
        string path = Temp("p.onnx");
        var (exit, _, err) = Elide("export", "--model", "resnet20", "--config", "111101111", "--out", path);
        Assert.True(exit == 0, err);
        var model = Onnx.OnnxModelFile.Load(path);
        var names = model.Graph.Node.Select(n => n.Name).ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("stage2.block2.", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("stage2.block3.", StringComparison.Ordinal));
        Assert.Contains(model.MetadataProps, p => p.Key == "elide.skip_configuration" && p.Value == "111101111");
    }

    [Theory]
    [InlineData("export", "--model", "resnet20", "--config", "111011111", "--out", "/tmp/never.onnx")]
    [InlineData("bench", "--model", "resnet20", "--config", "1x1111111")]
    [InlineData("bench", "--model", "resnet20", "--config", "11")]
    [InlineData("run", "--model", "resnet20")]
    [InlineData("run", "--model", "resnet20", "--front", "/no/such/front.json")]
    [InlineData("explore", "--model", "resnet20", "--dataset", "cifar10:/no/such/dir")]
    [InlineData("explore", "--model", "resnet20", "--population", "0")]
    public void BadAdaptiveArgumentsGiveAClearError(params string[] args)
    {
        var (exit, stdout, stderr) = Elide(args);
        Assert.NotEqual(0, exit);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.False(string.IsNullOrWhiteSpace(stderr + stdout));
    }

    [Fact]
    public void AMalformedFrontFileIsNamedInTheError()
    {
        string front = Temp("broken.front.json");
        File.WriteAllText(front, "{\"model\": \"resnet8\", \"blocks\": 3, \"front\": [");
        var (exit, _, stderr) = Elide("run", "--model", "resnet8", "--front", front, "--images", "1");
        Assert.Equal(2, exit);
        Assert.Contains(front, stderr);
        Assert.Contains("malformed", stderr);

        string baseline = Temp("baseline.front.json");
        File.WriteAllText(baseline, "{\"model\": \"b\", \"blocks\": 3, \"front\": []}");
        File.WriteAllText(front, new ParetoFront { Model = "resnet8", Blocks = 3, Front = [new OperatingPoint { Config = "111", ValAccuracy = 0.9, LatencyMsBatch1 = 1, LatencyMsBatch64 = 9 }] }.ToJson());
        (exit, _, stderr) = Elide("run", "--model", "resnet8", "--front", front, "--images", "1", "--threads", "1", "--plot", Temp("p.svg"), "--baseline-front", baseline);
        Assert.Equal(2, exit);
        Assert.Contains(baseline + ": Pareto front JSON has no points", stderr);
    }

    [Fact]
    public void MergeFrontsWritesOneFrontOfBothVariantsWhichRunRunsPointByPoint()
    {
        string scaled = Temp("m.front.json"), unscaled = Temp("m.unscaled.front.json"), merged = Temp("merged.front.json");
        OperatingPoint P(string config, double accuracy, long macs) => new() { Config = config, ValAccuracy = accuracy, Macs = macs, LatencyMsBatch1 = macs / 100.0, LatencyMsBatch64 = macs / 10.0 };
        File.WriteAllText(scaled, new ParetoFront { Model = "resnet8", Blocks = 3, Front = [P("111", 0.90, 300), P("011", 0.70, 200)] }.ToJson());
        File.WriteAllText(unscaled, new ParetoFront { Model = "resnet8.unscaled", Blocks = 3, Front = [P("111", 0.88, 300), P("011", 0.80, 200)] }.ToJson());

        var (exit, stdout, stderr) = Elide("merge-fronts", scaled, unscaled, "--out", merged);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("2 points (1 unscaled)", stdout);
        var front = ParetoFront.FromJson(File.ReadAllText(merged));
        Assert.Equal(["011:unscaled", "111"], front.Front.Select(p => p.Label));
        Assert.False(File.Exists(merged + ".tmp"));

        (exit, _, stderr) = Elide("merge-fronts", unscaled, scaled, "--out", Temp("x.json"));
        Assert.Equal(2, exit);
        Assert.Contains("must be the scaled one", stderr);
        (exit, _, stderr) = Elide("merge-fronts", scaled, "/no/such.json", "--out", Temp("x.json"));
        Assert.Equal(2, exit);
        Assert.Contains("/no/such.json", stderr);

        // The fastest point with validation accuracy ≥ 75 % is the unscaled one; a budget-free run takes the scaled all-blocks point.
        (exit, stdout, stderr) = Elide("run", "--model", "resnet8", "--front", merged, "--images", "2", "--threads", "1", "--no-retime", "--min-accuracy", "75");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("merged: 1 run with unscaled blocks", stdout);
        Assert.Matches(@"(?m)^run\s.*\s011\s+unscaled\s+2\s", stdout);
        (exit, stdout, stderr) = Elide("run", "--model", "resnet8", "--front", merged, "--images", "2", "--threads", "1", "--no-retime", "--budget-ms", "1000");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Matches(@"(?m)^run\s.*\s111\s+scaled\s+3\s", stdout);

        (exit, _, stderr) = Elide("run", "--model", "resnet8", "--front", merged, "--images", "1", "--threads", "1", "--unscaled");
        Assert.Equal(2, exit);
        Assert.Contains("is merged", stderr);
        Assert.Contains("drop --unscaled", stderr);
    }

    [Fact]
    public void RunWritesThePlotWithTheBaselineBesideTheFront()
    {
        string front = Temp("m.front.json"), baseline = Temp("b.front.json"), plot = Temp("p.svg");
        File.WriteAllText(front, new ParetoFront { Model = "resnet8", Blocks = 3, Front = [new OperatingPoint { Config = "111", ValAccuracy = 0.9, LatencyMsBatch1 = 1, LatencyMsBatch64 = 9 }, new OperatingPoint { Config = "011", ValAccuracy = 0.85, LatencyMsBatch1 = 0.7, LatencyMsBatch64 = 6 }] }.ToJson());
        File.WriteAllText(baseline, new ParetoFront { Model = "plain", Blocks = 3, Front = [new OperatingPoint { Config = "111", ValAccuracy = 0.91, LatencyMsBatch1 = 1, LatencyMsBatch64 = 9 }, new OperatingPoint { Config = "011", ValAccuracy = 0.5, LatencyMsBatch1 = 0.7, LatencyMsBatch64 = 6 }] }.ToJson());
        var (exit, stdout, stderr) = Elide("run", "--model", "resnet8", "--front", front, "--images", "1", "--threads", "1", "--plot", plot, "--baseline-front", baseline);
        Assert.True(exit == 0, stderr);
        Assert.Contains($"wrote {plot}", stdout);
        string svg = File.ReadAllText(plot);
        Assert.StartsWith("<svg", svg.TrimStart().StartsWith("<?xml") ? svg[(svg.IndexOf("?>") + 2)..].TrimStart() : svg.TrimStart());
        Assert.Contains("plain (baseline)", svg);
        Assert.Contains("011: 85.00% val", svg);
    }

    [Fact]
    public void BenchWithAConfigurationReportsItsWork()
    {
        var (exit, stdout, stderr) = Elide("bench", "--model", "resnet8", "--config", "011", "--threads", "1", "--seconds", "0.01", "--iterations", "2", "--json");
        Assert.True(exit == 0, stderr);
        Assert.Contains("\"config\":\"011\"", stdout);
        var (_, full, _) = Elide("bench", "--model", "resnet8", "--threads", "1", "--seconds", "0.01", "--iterations", "2", "--json");
        long Macs(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("macs_per_image").GetInt64();
        Assert.True(Macs(stdout) < Macs(full));
    }

    /// <summary>A two-point ResNet-8 front whose stored latencies (seconds per image) no real run here comes near.</summary>
    private static void WriteSlowResNet8Front(string path) => File.WriteAllText(path, new ParetoFront
    {
        Model = "resnet8", Blocks = 3,
        Front =
        [
            new OperatingPoint { Config = "111", ValAccuracy = 0.9, LatencyMsBatch1 = 1000, LatencyMsBatch64 = 60000, EnergyMillijoules = 0.5 },
            new OperatingPoint { Config = "011", ValAccuracy = 0.8, LatencyMsBatch1 = 500, LatencyMsBatch64 = 30000, EnergyMillijoules = 0.3 },
        ],
    }.ToJson());

    [Fact]
    public void RunFollowsAChangingBudgetOnAGivenFront()
    {
        string front = Temp("resnet8.front.json");
        WriteSlowResNet8Front(front);
        var (exit, stdout, stderr) = Elide("run", "--model", "resnet8", "--front", front, "--schedule", "2000,600,2000", "--images", "2", "--threads", "1", "--no-retime");
        Assert.True(exit == 0, stderr);
        var phases = stdout.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^phase \d")).ToList();
        Assert.Equal(3, phases.Count);
        Assert.Contains(" 111 ", phases[0]);
        Assert.Contains(" 011 ", phases[1]);
        Assert.Contains(" 111 ", phases[2]);
        Assert.Contains("total", stdout);
        Assert.Contains("accuracy not measured", stdout);
    }

    [Fact]
    public void RunRetimesTheFrontOnThisMachineBeforeChoosing()
    {
        // The stored figures (seconds per image) come from "another machine": against them nothing fits 50 ms and the
        // policy falls back to the fastest point; re-timed here (ResNet-8 takes well under a millisecond) all blocks fit.
        string front = Temp("resnet8.front.json");
        WriteSlowResNet8Front(front);
        string[] args = ["run", "--model", "resnet8", "--front", front, "--budget-ms", "50", "--images", "2", "--threads", "1"];

        var (exit, stdout, stderr) = Elide(args);
        Assert.True(exit == 0, stderr);
        var phase = stdout.Split('\n').Single(l => l.StartsWith("run ", StringComparison.Ordinal));
        Assert.Contains(" 111 ", phase);
        Assert.DoesNotContain("(!)", phase);
        Assert.Contains("re-timed the front's 2 configurations here", stdout);

        (exit, stdout, stderr) = Elide([.. args, "--no-retime"]);
        Assert.True(exit == 0, stderr);
        phase = stdout.Split('\n').Single(l => l.StartsWith("run ", StringComparison.Ordinal));
        Assert.Contains(" 011 ", phase);
        Assert.Contains("(!)", phase);
    }
}
