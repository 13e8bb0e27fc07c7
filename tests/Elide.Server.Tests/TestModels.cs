using System.Globalization;
using Elide.Adaptive;
using Elide.Graph;
using Elide.Models;
using Elide.Server.Models;

namespace Elide.Server.Tests;

/// <summary>
/// Small CIFAR-style ResNets so tests run fast on the reference kernels: depth 14 (two blocks per stage, four of the
/// six skippable), width 4, 1x8x8 input, 10 classes. A spec's source is either "tiny" (seed 0) or a path to a text
/// file holding the seed, so rewriting the file changes the weights (hot reload tests).
/// </summary>
internal sealed class TinyModelLoader : IModelLoader
{
    public static CifarResNetOptions Options(int seed) => new(Depth: 14, Width: 4, InChannels: 1, Classes: 10, ImageSize: 8, Seed: seed, RandomizeBatchNorm: true);

    public int Loads;

    public ComputeGraph Load(ModelSpec spec)
    {
        Interlocked.Increment(ref Loads);
        if (spec.Source == "tiny") return CifarResNet.Build(Options(0));
        // The same network exported by the Stochastic-Depth trainer: branch scales p_l (0.5–0.92) folded in and recorded.
        if (spec.Source == "tiny-sd") return new Elide.Training.TrainableResNet(Options(0), new Elide.Training.StochasticDepthOptions(0.5)).ToComputeGraph();
        if (!File.Exists(spec.Source)) throw new ArgumentException($"no such test model '{spec.Source}'");
        string text = File.ReadAllText(spec.Source).Trim();
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)) throw new ArgumentException($"test model file {spec.Source} holds '{text}', not a seed");
        return CifarResNet.Build(Options(seed));
    }

    /// <summary>Input values per image.</summary>
    public const int InputLength = 64;

    /// <summary>Deterministic image data.</summary>
    public static float[] Image(int seed, int images = 1)
    {
        var rng = new Random(seed);
        var data = new float[images * InputLength];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>A front for the tiny model (6 blocks; 0 and 2 and 4 are... see <see cref="Masks"/>) with known accuracies.</summary>
    public static string FrontJson(params (string Config, double Accuracy)[] points) => FrontJson("tiny", points.Select(p => (p.Config, p.Accuracy, false)).ToArray());

    /// <summary>A front named <paramref name="model"/> whose points may be marked unscaled (a merged front).</summary>
    public static string FrontJson(string model, params (string Config, double Accuracy, bool Unscaled)[] points) => new ParetoFront
    {
        Model = model,
        Blocks = 6,
        Front = points.Select(p => new OperatingPoint { Config = p.Config, ValAccuracy = p.Accuracy, TestAccuracy = p.Accuracy - 0.001, Unscaled = p.Unscaled }).ToList(),
    }.ToJson();
}
