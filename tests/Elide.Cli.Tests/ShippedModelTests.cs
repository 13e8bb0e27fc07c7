using System.Text.Json;
using Elide.Adaptive;

namespace Elide.Cli.Tests;

/// <summary>
/// The trained model, its front and the test data shipped in the repository (models/, data/) are what the README's
/// main command runs: they must load, agree with each other, and classify like a trained network.
/// </summary>
public class ShippedModelTests
{
    private static string Root() => InProcessCli.RepoRoot();

    private static string ModelPath => Path.Combine(Root(), "models", "fashion-resnet32-sd.onnx");

    private static (int Exit, string Out, string Err) Elide(params string[] args) => InProcessCli.Run(args);

    [Theory]
    [InlineData("fashion-resnet32-sd")]
    [InlineData("fashion-resnet32")]
    [InlineData("fashion-resnet32-sdu")]
    public void TheShippedFrontFitsTheShippedModel(string name)
    {
        string model = Path.Combine(Root(), "models", name + ".onnx");
        var graph = Onnx.Import.OnnxImporter.Load(model).Graph;
        int blocks = ResidualBlockDetector.Detect(graph).Count;
        Assert.Equal(15, blocks); // ResNet-32: 3 stages of 5 basic blocks
        var front = ParetoFront.FromJson(File.ReadAllText(Path.Combine(Root(), "models", name + ".front.json")));
        Assert.Equal(blocks, front.Blocks);
        Assert.Contains(front.Front, p => !p.Config.Contains('0'));
        Assert.All(front.Front, p => Assert.NotNull(p.TestAccuracy));
        // The stored front is a front: no point is beaten on validation accuracy, latency and MACs by another.
        Assert.DoesNotContain(front.Front, p => front.Front.Any(q =>
            q.ValAccuracy > p.ValAccuracy && q.LatencyMsBatch1 < p.LatencyMsBatch1 && q.Macs < p.Macs));
        var stored = FrontMetadata.Read(graph);
        Assert.NotNull(stored);
        Assert.Equal(front.Front.Select(p => p.Config).Order(), stored!.Front.Select(p => p.Config).Order());
    }

    [Fact]
    public void TheShippedModelClassifiesTheShippedTestImagesLikeATrainedNetwork()
    {
        var (exit, stdout, stderr) = Elide("eval", "--model", ModelPath, "--dataset", "fashion-mnist:" + Path.Combine(Root(), "data", "fashion-mnist"),
            "--split", "test", "--limit", "500", "--threads", "1", "--json");
        Assert.True(exit == 0, stderr);
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(500, result.GetProperty("count").GetInt32());
        Assert.InRange(result.GetProperty("accuracy").GetDouble(), 0.90, 1.0);
    }

    [Fact]
    public void UnscaledEvaluationDividesTheBranchScaleOut()
    {
        // The SD model was trained with kept blocks scaled by p_l; dividing it out changes its logits, and so its
        // correct count on the same images (94% vs 91% on 1,000 validation images when this was written).
        string data = "fashion-mnist:" + Path.Combine(Root(), "data", "fashion-mnist");
        JsonElement Eval(params string[] extra)
        {
            var (exit, stdout, stderr) = Elide(["eval", "--model", ModelPath, "--dataset", data, "--split", "test", "--limit", "400", "--threads", "1", "--json", .. extra]);
            Assert.True(exit == 0, stderr);
            return JsonDocument.Parse(stdout).RootElement;
        }
        var scaled = Eval();
        var unscaled = Eval("--unscaled");
        Assert.True(scaled.GetProperty("scaled").GetBoolean());
        Assert.False(unscaled.GetProperty("scaled").GetBoolean());
        Assert.NotEqual(scaled.GetProperty("correct").GetInt32(), unscaled.GetProperty("correct").GetInt32());
    }

    [Fact]
    public void AnUnscaledConfigurationExportsToAModelThatClassifiesTheSame()
    {
        // The unscaled front's 1.70x point (docs/adaptive.md): exported alone, it must be exactly what Elide runs.
        const string config = "111101100111000";
        string data = "fashion-mnist:" + Path.Combine(Root(), "data", "fashion-mnist");
        string exported = Path.Combine(Directory.CreateTempSubdirectory("elide-unscaled").FullName, "m.onnx");
        var (exit, _, stderr) = Elide("export", "--model", ModelPath, "--config", config, "--unscaled", "--out", exported);
        Assert.True(exit == 0, stderr);
        int Correct(params string[] args)
        {
            var (code, stdout, err) = Elide(["eval", "--dataset", data, "--split", "test", "--limit", "300", "--threads", "1", "--json", .. args]);
            Assert.True(code == 0, err);
            return JsonDocument.Parse(stdout).RootElement.GetProperty("correct").GetInt32();
        }
        int direct = Correct("--model", ModelPath, "--config", config, "--unscaled");
        Assert.Equal(direct, Correct("--model", exported));
        Assert.NotEqual(direct, Correct("--model", ModelPath, "--config", config)); // the scaled variant differs
    }

    [Fact]
    public void TheUniformRuleModelsMergedFrontRunsItsBestPointUnscaled()
    {
        // The uniform-rule ResNet-32 is a half-depth network (docs/adaptive.md): with no resource bound, `run` on its
        // merged front picks 7 of 15 blocks unscaled, which classifies like a trained network; the same mask scaled
        // does not (64 % on the full test split when this was written).
        string model = Path.Combine(Root(), "models", "fashion-resnet32-sdu.onnx");
        string front = Path.Combine(Root(), "models", "fashion-resnet32-sdu.merged.front.json");
        string data = "fashion-mnist:" + Path.Combine(Root(), "data", "fashion-mnist");
        var (exit, stdout, stderr) = Elide("run", "--model", model, "--front", front, "--dataset", data, "--budget-ms", "1000",
            "--no-retime", "--images", "300", "--threads", "1");
        Assert.True(exit == 0, stderr + stdout);
        var line = Assert.Single(stdout.Split('\n'), l => l.StartsWith("run ", StringComparison.Ordinal));
        Assert.Matches(@"\s110001110011000\s+unscaled\s+7\s+(9[0-9]\.[0-9]{2})\s", line);
        var (code, json, err) = Elide("eval", "--model", model, "--dataset", data, "--split", "test", "--limit", "300", "--threads", "1",
            "--json", "--config", "110001110011000");
        Assert.True(code == 0, err);
        Assert.InRange(JsonDocument.Parse(json).RootElement.GetProperty("accuracy").GetDouble(), 0.0, 0.85);
    }

    [Fact]
    public void RunRefusesAFrontOfTheOtherVariant()
    {
        // The shipped model's own front is the scaled one: its accuracies do not describe the unscaled variant.
        var (exit, _, stderr) = Elide("run", "--model", ModelPath, "--unscaled", "--budget-ms", "5", "--no-retime", "--images", "2", "--threads", "1");
        Assert.NotEqual(0, exit);
        Assert.Contains("explore --unscaled", stderr);
        string unscaledFront = Path.Combine(Root(), "docs", "data", "fashion-resnet32-sd.unscaled.front.json");
        (exit, _, stderr) = Elide("run", "--model", ModelPath, "--front", unscaledFront, "--budget-ms", "5", "--no-retime", "--images", "2", "--threads", "1");
        Assert.NotEqual(0, exit);
        Assert.Contains("add --unscaled", stderr);
        (exit, var stdout, stderr) = Elide("run", "--model", ModelPath, "--front", unscaledFront, "--unscaled", "--budget-ms", "5", "--no-retime", "--images", "2", "--threads", "1");
        Assert.True(exit == 0, stderr);
        // A 5 ms budget affords every point; the most accurate of the unscaled front is not all blocks (91.42 %)
        // but 11 of them (93.88 %).
        Assert.Contains(stdout.Split('\n'), l => l.StartsWith("run ", StringComparison.Ordinal) && l.Contains("111101101110101"));
    }

    [Fact]
    public void TheMainCommandRunsWithNoModelArgument()
    {
        string plot = Path.Combine(Directory.CreateTempSubdirectory("elide-demo").FullName, "front.svg");
        var (exit, stdout, stderr) = Elide("run", "--demo", "--images", "3", "--threads", "1", "--plot", plot);
        Assert.True(exit == 0, stderr);
        Assert.Contains("fashion-resnet32-sd.onnx", stdout);
        Assert.Contains("classifying 10000 test images", stdout);
        Assert.Equal(7, stdout.Split('\n').Count(l => l.StartsWith("phase ", StringComparison.Ordinal) && char.IsDigit(l[6])));
        Assert.Contains("fashion-resnet32-sd", File.ReadAllText(plot));
    }
}
