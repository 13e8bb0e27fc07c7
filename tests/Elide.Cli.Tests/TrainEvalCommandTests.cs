using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Elide.Cli.Tests;

/// <summary>`elide train` and `elide eval` end to end on small Fashion-MNIST subsets.</summary>
public partial class TrainEvalCommandTests
{
    private static (int Exit, string Out, string Err) Elide(params string[] args) => InProcessCli.Run(args);

    private static string TempDirectory() => Directory.CreateTempSubdirectory("elide-train-cli").FullName;

    private static readonly string[] Tiny = TinyWith();

    /// <summary>A tiny training command line; each pair of <paramref name="overrides"/> replaces (or adds) one option.</summary>
    private static string[] TinyWith(params string[] overrides)
    {
        var options = new List<(string Name, string Value)>
        {
            ("--arch", "resnet8"), ("--dataset", "fashion-mnist"), ("--stochastic-depth", "0.5"), ("--epochs", "1"), ("--batch", "32"),
            ("--train-limit", "256"), ("--val-limit", "200"), ("--threads", "1"),
        };
        for (int i = 0; i < overrides.Length; i += 2)
        {
            options.RemoveAll(o => o.Name == overrides[i]);
            options.Add((overrides[i], overrides[i + 1]));
        }
        return ["train", .. options.SelectMany(o => new[] { o.Name, o.Value })];
    }

    [GeneratedRegex(@"validation accuracy (\d+\.\d\d)% on (\d+) images")]
    private static partial Regex ValidationLine();

    [Fact]
    public void TrainOnATinySubsetThenEvalReproducesItsValidationAccuracyFromTheOnnxFile()
    {
        string dir = TempDirectory(), model = Path.Combine(dir, "m.onnx");
        var (exit, stdout, stderr) = Elide([.. Tiny, "--out", model]);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("epoch 1: loss", stderr);
        var match = ValidationLine().Match(stdout);
        Assert.True(match.Success, stdout);
        Assert.True(File.Exists(model));
        Assert.True(File.Exists(Path.Combine(dir, "m.ckpt")));

        // The ONNX file is self-normalizing: eval feeds raw pixels and must get the trainer's own figure.
        (exit, stdout, stderr) = Elide("eval", "--model", model, "--dataset", "fashion-mnist", "--split", "val", "--limit", "200", "--json", "--threads", "1");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout.Trim());
        var root = doc.RootElement;
        Assert.Equal(200, root.GetProperty("count").GetInt32());
        Assert.Equal("val", root.GetProperty("split").GetString());
        Assert.Equal(match.Groups[1].Value, (100 * root.GetProperty("accuracy").GetDouble()).ToString("F2", CultureInfo.InvariantCulture));
        Assert.Equal(root.GetProperty("correct").GetInt32() / 200.0, root.GetProperty("accuracy").GetDouble(), 12);
    }

    [Fact]
    public void TheUniformDropRuleIsChosenOnTheCommandLineAndRecordedInTheModel()
    {
        string dir = TempDirectory(), model = Path.Combine(dir, "u.onnx");
        var (exit, stdout, stderr) = Elide([.. TinyWith("--arch", "resnet14", "--train-limit", "64", "--val-limit", "50", "--stochastic-depth-rule", "uniform"), "--out", model]);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("(p_L 0.5, uniform)", stderr);
        var onnx = global::Elide.Onnx.Import.OnnxImporter.Load(model);
        Assert.Contains("\"rule\":\"uniform\"", onnx.Graph.Metadata["elide.stochastic_depth"]);

        (exit, _, stderr) = Elide([.. TinyWith("--stochastic-depth-rule", "exponential"), "--out", Path.Combine(dir, "x.onnx")]);
        Assert.NotEqual(0, exit);
        Assert.Contains("exponential", stderr);
        Assert.False(File.Exists(Path.Combine(dir, "x.onnx")));
    }

    [Fact]
    public void EvalJsonHasAccuracyCountAndSplit()
    {
        var (exit, stdout, stderr) = Elide("eval", "--model", "resnet8", "--dataset", "fashion-mnist", "--split", "test", "--limit", "50", "--json",
            "--threads", "1", "--config", "111");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout.Trim());
        var root = doc.RootElement;
        foreach (var field in new[] { "accuracy", "count", "split", "correct", "config" })
            Assert.True(root.TryGetProperty(field, out _), $"missing {field} in {stdout}");
        Assert.Equal(50, root.GetProperty("count").GetInt32());
        Assert.Equal("test", root.GetProperty("split").GetString());
        Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void AStoppedRunResumesFromItsCheckpointToTheSameModelAsAnUninterruptedRun()
    {
        string dir = TempDirectory(), whole = Path.Combine(dir, "whole.onnx"), parts = Path.Combine(dir, "parts.onnx"), ckpt = Path.Combine(dir, "parts.ckpt");
        string[] recipe = TinyWith("--epochs", "2", "--train-limit", "128", "--val-limit", "100");
        var (exit, stdout, stderr) = Elide([.. recipe, "--out", whole]);
        Assert.True(exit == 0, stderr + stdout);

        // A time limit that has already passed stops before the first step, leaving a checkpoint (exit 3).
        (exit, stdout, stderr) = Elide([.. recipe, "--out", parts, "--checkpoint", ckpt, "--time-limit", "0.000001"]);
        Assert.True(exit == 3, stderr + stdout);
        Assert.Contains("--resume", stdout);
        Assert.False(File.Exists(parts));
        (exit, stdout, stderr) = Elide("train", "--resume", ckpt, "--dataset", "fashion-mnist", "--threads", "1", "--out", parts);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Equal(Weights(whole), Weights(parts));
    }

    [Fact]
    public void ExportOnlyWritesTheCheckpointsNetworkWithoutTrainingFurther()
    {
        string dir = TempDirectory(), done = Path.Combine(dir, "done.onnx"), peek = Path.Combine(dir, "peek.onnx"), ckpt = Path.Combine(dir, "done.ckpt");
        string[] recipe = TinyWith("--epochs", "1", "--train-limit", "64", "--val-limit", "100");
        var (exit, stdout, stderr) = Elide([.. recipe, "--out", done, "--checkpoint", ckpt]);
        Assert.True(exit == 0, stderr + stdout);
        var trained = ValidationLine().Match(stdout);
        Assert.True(trained.Success, stdout);

        // The checkpoint after the last epoch holds the final network: exporting it gives the same file contents.
        (exit, stdout, stderr) = Elide("train", "--resume", ckpt, "--dataset", "fashion-mnist", "--threads", "1", "--out", peek, "--export-only");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("exported the network", stdout);
        Assert.Equal(trained.Groups[1].Value, ValidationLine().Match(stdout).Groups[1].Value);
        Assert.Equal(Weights(done), Weights(peek));
        Assert.DoesNotContain("epoch 2: loss", stderr);

        (exit, _, stderr) = Elide("train", "--resume", ckpt, "--dataset", "fashion-mnist", "--export-only");
        Assert.Equal(2, exit);
        Assert.Contains("--export-only needs --resume CHECKPOINT and --out", stderr);
    }

    [Fact]
    public void InfoShowsACheckpointsRecipePositionAndHistoryAndNamesWhatIsWrongWithABadOne()
    {
        string dir = TempDirectory(), ckpt = Path.Combine(dir, "h.ckpt"), stopped = Path.Combine(dir, "s.ckpt");
        string[] recipe = TinyWith("--epochs", "2", "--train-limit", "64", "--val-limit", "50", "--stochastic-depth-rule", "uniform");
        var (exit, stdout, stderr) = Elide([.. recipe, "--checkpoint", ckpt]);
        Assert.True(exit == 0, stderr + stdout);
        var printed = Regex.Matches(stderr, @"epoch (\d): loss (\d\.\d{4}), train (\d+\.\d\d)%, val (\d+\.\d\d)%").ToList();
        Assert.Equal(2, printed.Count);

        (exit, stdout, stderr) = Elide("info", ckpt);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("SHA-256 verified", stdout);
        Assert.Contains("resnet8, width 16; Stochastic Depth uniform, p_L = 0.5", stdout);
        Assert.Contains("2 of 2 epochs done", stdout);
        Assert.Contains("complete", stdout);
        // The history rows say what training printed, epoch by epoch.
        foreach (Match m in printed)
            Assert.Contains($"| {m.Groups[1].Value} | {m.Groups[2].Value} | {m.Groups[3].Value} | {m.Groups[4].Value} |", stdout);

        // A run stopped before its first step: no history yet, and the way to continue.
        (exit, _, stderr) = Elide([.. recipe, "--checkpoint", stopped, "--time-limit", "0.000001"]);
        Assert.True(exit == 3, stderr);
        (exit, stdout, _) = Elide("info", stopped);
        Assert.Equal(0, exit);
        Assert.Contains("0 of 2 epochs done", stdout);
        Assert.Contains("no epoch completed yet", stdout);
        Assert.Contains("continue with `elide train --resume", stdout);

        var bytes = File.ReadAllBytes(ckpt);
        bytes[^40] ^= 1;
        File.WriteAllBytes(ckpt, bytes);
        (exit, _, stderr) = Elide("info", ckpt);
        Assert.Equal(2, exit);
        Assert.Contains("checksum mismatch", stderr);
        File.WriteAllText(ckpt, "not a checkpoint");
        (exit, _, stderr) = Elide("info", ckpt);
        Assert.Equal(2, exit);
        Assert.Contains("is not an Elide training checkpoint", stderr);
    }

    private static string Weights(string onnx)
    {
        var graph = Onnx.Import.OnnxImporter.Load(onnx).Graph;
        return string.Join(";", graph.Values.Values.Where(v => v.IsConstant).OrderBy(v => v.Name, StringComparer.Ordinal)
            .Select(v => v.Name + ":" + Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.Constant!.Data.AsSpan()))));
    }

    [Fact]
    public void CorruptOrMismatchedCheckpointsGiveAClearError()
    {
        string dir = TempDirectory(), ckpt = Path.Combine(dir, "c.ckpt");
        var (exit, stdout, stderr) = Elide([.. TinyWith("--train-limit", "64", "--val-limit", "50"), "--checkpoint", ckpt]);
        Assert.True(exit == 0, stderr + stdout);

        (exit, _, stderr) = Elide("train", "--resume", ckpt, "--arch", "resnet14", "--dataset", "fashion-mnist");
        Assert.Equal(2, exit);
        Assert.Contains("Depth is 8 in the checkpoint but 14 now", stderr);

        var bytes = File.ReadAllBytes(ckpt);
        bytes[^40] ^= 1;
        File.WriteAllBytes(ckpt, bytes);
        (exit, _, stderr) = Elide("train", "--resume", ckpt, "--dataset", "fashion-mnist");
        Assert.Equal(2, exit);
        Assert.Contains("checksum mismatch", stderr);
        Assert.DoesNotContain("   at ", stderr);

        File.WriteAllBytes(ckpt, bytes[..100]);
        (exit, _, stderr) = Elide("train", "--resume", ckpt, "--dataset", "fashion-mnist");
        Assert.Equal(2, exit);
        Assert.Contains("truncated", stderr);
    }

    [Theory]
    [InlineData("eval", "--model", "resnet8", "--split", "train")]
    [InlineData("train", "--arch", "resnet9", "--out", "x.onnx")]
    [InlineData("train", "--arch", "resnet8", "--stochastic-depth", "1.5", "--out", "x.onnx")]
    [InlineData("train", "--arch", "resnet8")]
    public void BadTrainAndEvalArgumentsAreRejected(params string[] args)
    {
        var (exit, stdout, stderr) = Elide(args);
        Assert.NotEqual(0, exit);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.False(string.IsNullOrWhiteSpace(stderr + stdout));
    }
}
