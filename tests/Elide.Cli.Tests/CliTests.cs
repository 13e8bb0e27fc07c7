using System.Text.Json;
using Elide.IO;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Elide.Cli.Tests;

/// <summary>Runs the `elide` entry point in-process with captured stdout/stderr.</summary>
public class CliTests
{
    private static (int Exit, string Out, string Err) Elide(params string[] args) => InProcessCli.Run(args);

    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("elide-cli").FullName, name);

    [Fact]
    public void BenchJsonHasTheDocumentedFields()
    {
        var (exit, stdout, stderr) = Elide("bench", "--model", "resnet8", "--batch", "3", "--threads", "1", "--seconds", "0.05", "--iterations", "3", "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout.Trim());
        var root = doc.RootElement;
        foreach (var field in new[] { "median_ms", "p90_ms", "images_per_s", "batch", "threads" })
            Assert.True(root.TryGetProperty(field, out _), $"missing {field} in {stdout}");
        Assert.Equal(3, root.GetProperty("batch").GetInt32());
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        Assert.True(root.GetProperty("median_ms").GetDouble() > 0);
        Assert.True(root.GetProperty("p90_ms").GetDouble() >= root.GetProperty("median_ms").GetDouble());
    }

    [Fact]
    public void InfoListsLayersAndTotals()
    {
        var (exit, stdout, _) = Elide("info", "resnet20");
        Assert.Equal(0, exit);
        Assert.Contains("stage3.block3.conv2", stdout);
        Assert.Contains("+residual +Relu", stdout);
        Assert.Contains("MACs per image:    31,021,952", stdout);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("0")]
    public void ServeRefusesAnSloHeadroomOutsideZeroToOne(string headroom)
    {
        var (exit, stdout, stderr) = Elide("serve", "-m", "resnet8", "--port", "0", "--slo-headroom", headroom);
        Assert.NotEqual(0, exit);
        Assert.Contains("headroom", stderr + stdout);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Theory]
    [InlineData("bench", "--model", "resnet7")]
    [InlineData("bench", "--model", "no-such-file.onnx")]
    [InlineData("bench", "--model", "resnet20", "--batch", "0")]
    [InlineData("info", "resnetX")]
    public void BadArgumentsGiveAClearErrorNotACrash(params string[] args)
    {
        var (exit, stdout, stderr) = Elide(args);
        Assert.NotEqual(0, exit);
        Assert.DoesNotContain("   at ", stderr + stdout); // no stack trace
        Assert.False(string.IsNullOrWhiteSpace(stderr + stdout));
    }

    [Fact]
    public void InferWritesNpyOutputs()
    {
        string input = Temp("x.npy"), output = Temp("y.npy");
        NpyFile.Write(input, NpyArray.FromFloats([2, 1, 28, 28], new float[2 * 28 * 28]));
        var (exit, _, stderr) = Elide("infer", "--model", "resnet8", "--input", input, "--output", $"logits={output}", "--threads", "1");
        Assert.True(exit == 0, stderr);
        var y = NpyFile.Read(output);
        Assert.Equal(new long[] { 2, 10 }, y.CopyShape());
    }

    [Fact]
    public void InferRejectsNaNAndWrongShapes()
    {
        string nan = Temp("nan.npy"), wrong = Temp("wrong.npy"), output = Temp("y.npy");
        var data = new float[28 * 28];
        data[5] = float.NaN;
        NpyFile.Write(nan, NpyArray.FromFloats([1, 1, 28, 28], data));
        NpyFile.Write(wrong, NpyArray.FromFloats([1, 3, 28, 28], new float[3 * 28 * 28]));
        var (exit1, _, err1) = Elide("infer", "--model", "resnet8", "--input", nan, "--output", output);
        Assert.Equal(2, exit1);
        Assert.Contains("non-finite", err1);
        var (exit2, _, err2) = Elide("infer", "--model", "resnet8", "--input", wrong, "--output", output);
        Assert.Equal(2, exit2);
        Assert.Contains("[?,1,28,28]", err2);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void ExportWritesAnOnnxFileThatLoads()
    {
        string path = Temp("m.onnx");
        var (exit, _, stderr) = Elide("export", "--model", "resnet8", "--out", path);
        Assert.True(exit == 0, stderr);
        var model = Onnx.OnnxModelFile.Load(path);
        Assert.Equal("logits", model.Graph.Output[0].Name);
    }
}
