using System.Diagnostics;
using System.Text.Json;
using Elide.Models;
using Elide.Tensors;
using Elide.Training;

namespace Elide.Tests.Training;

/// <summary>A fact that is skipped, with the reason, when /usr/bin/python3 cannot import torch.</summary>
public sealed class TorchFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(() =>
    {
        try
        {
            var (code, _, error) = TorchParityTests.RunPython("-c \"import torch, numpy\"");
            return code == 0 ? null : $"PyTorch is not available to /usr/bin/python3 (apt-get install -y python3-torch): {error.Trim()}";
        }
        catch (Exception e)
        {
            return $"/usr/bin/python3 cannot be started: {e.Message}";
        }
    });

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when torch is missing.</summary>
    public TorchFactAttribute()
    {
        if (Missing.Value is { } reason) Skip = reason;
    }
}

/// <summary>One training step of a small ResNet against PyTorch 1.13 in double precision, same weights and inputs.</summary>
public class TorchParityTests
{
    [TorchFact]
    public void ResNetTrainingStepMatchesPyTorch()
    {
        var model = new TrainableResNet(new CifarResNetOptions(Depth: 14, Width: 4, InChannels: 3, Classes: 5, ImageSize: 8, Seed: 21, RandomizeBatchNorm: true),
            new StochasticDepthOptions(0.5, Seed: 1));
        var images = Tensor.Random(new Shape(4, 3, 8, 8), 22, -1f, 1f);
        int[] labels = [4, 0, 2, 2];
        bool[] kept = [true, false, true, true, true, false];
        const float smoothing = 0.1f;

        var dir = Directory.CreateTempSubdirectory("elide-torch-");
        try
        {
            WriteInputs(dir.FullName, model, images, labels, kept, smoothing);
            var (code, output, error) = RunPython($"\"{ScriptPath()}\" \"{dir.FullName}\"");
            Assert.True(code == 0, $"python failed ({code}): {output}\n{error}");

            var tape = new Tape();
            var logits = model.TrainingForward(tape, new Variable(images), kept);
            var loss = tape.SoftmaxCrossEntropy(logits, labels, smoothing);
            tape.Backward(loss);

            Assert.Equal(Read(dir.FullName, "loss")[0], loss.Value.Data[0], 1e-5);
            AssertClose("logits", logits.Value.Data, Read(dir.FullName, "logits"));
            var droppedNames = model.Blocks.Where(b => !kept[b.Index]).Select(b => b.Prefix + ".").ToArray();
            foreach (var p in model.Parameters)
            {
                var expected = Read(dir.FullName, p.Name + ".grad");
                if (droppedNames.Any(p.Name.StartsWith))
                {
                    Assert.Null(p.Gradient);
                    Assert.All(expected, v => Assert.Equal(0.0, v));
                    continue;
                }
                AssertClose(p.Name + " gradient", p.Gradient!.Data, expected);
            }
            foreach (var layer in model.Layers)
            {
                AssertClose(layer.Name + " running mean", layer.Statistics.RunningMean.Data, Read(dir.FullName, layer.Name + ".bn.running_mean"));
                AssertClose(layer.Name + " running var", layer.Statistics.RunningVariance.Data, Read(dir.FullName, layer.Name + ".bn.running_var"));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    internal static (int Code, string Output, string Error) RunPython(string arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(300_000))
        {
            process.Kill();
            throw new TimeoutException("python did not finish within 5 minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>max |a − b| / max |b| ≤ 1e-4 (float result against PyTorch's double).</summary>
    private static void AssertClose(string what, float[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = 1e-30;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        Assert.True(maxDiff / maxRef <= 1e-4, $"{what}: relative error {maxDiff / maxRef:g3} exceeds 1e-4");
    }

    private static void WriteInputs(string dir, TrainableResNet model, Tensor images, int[] labels, bool[] kept, float smoothing)
    {
        void Write(string name, float[] data) => File.WriteAllBytes(Path.Combine(dir, name + ".f32"), LittleEndian(data));
        foreach (var p in model.Parameters) Write(p.Name, p.Value.Data);
        foreach (var layer in model.Layers)
        {
            Write(layer.Name + ".bn.running_mean", layer.Statistics.RunningMean.Data);
            Write(layer.Name + ".bn.running_var", layer.Statistics.RunningVariance.Data);
        }
        Write("images", images.Data);
        var labelBytes = new byte[labels.Length * 4];
        for (int i = 0; i < labels.Length; i++) BitConverter.TryWriteBytes(labelBytes.AsSpan(i * 4), labels[i]);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the exchange format is little-endian");
        File.WriteAllBytes(Path.Combine(dir, "labels.i32"), labelBytes);
        var manifest = new
        {
            images_shape = images.Shape.ToArray(),
            momentum = model.Layers.First().Statistics.Momentum,
            epsilon = model.Layers.First().Statistics.Epsilon,
            label_smoothing = smoothing,
            parameters = model.Parameters.Select(p => new { name = p.Name, shape = p.Shape.ToArray() }),
            batchnorms = model.Layers.Select(l => new { name = l.Name + ".bn", channels = l.Statistics.RunningMean.Length }),
            blocks = model.Blocks.Select(b => new { prefix = b.Prefix, stride = b.Conv1.Convolution.Strides.H, projection = b.Downsample, kept = kept[b.Index] }),
        };
        File.WriteAllText(Path.Combine(dir, "manifest.json"), JsonSerializer.Serialize(manifest));
    }

    private static byte[] LittleEndian(float[] data)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the exchange format is little-endian");
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    private static double[] Read(string dir, string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(dir, name + ".f64"));
        var values = new double[bytes.Length / 8];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    /// <summary>The script lives beside this file in the source tree; walk up from the test binaries to find it.</summary>
    private static string ScriptPath()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "Elide.Tests", "Training", "torch_resnet_gradients.py");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("tests/Elide.Tests/Training/torch_resnet_gradients.py not found above " + AppContext.BaseDirectory);
    }
}
