using System.Text.Json;
using Elide.Graph;
using Elide.Kernels;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Models;

/// <summary>Hyper-parameters of a CIFAR-style ResNet (He et al. 2016, §4.2).</summary>
/// <param name="Depth">6n + 2 layers (20, 32, 44, 56, 110, …): n basic blocks per stage, 3 stages.</param>
/// <param name="Width">Channels of the first stage; stages use Width, 2·Width, 4·Width.</param>
/// <param name="InChannels">Image channels (1 for Fashion-MNIST, 3 for CIFAR).</param>
/// <param name="Classes">Output logits.</param>
/// <param name="ImageSize">Input height and width.</param>
/// <param name="Seed">Seed of the weight initialization.</param>
/// <param name="RandomizeBatchNorm">Draw BatchNorm statistics and affine parameters at random (tests and benchmarks, so folding matters).</param>
public sealed record CifarResNetOptions(
    int Depth = 20, int Width = 16, int InChannels = 1, int Classes = 10, int ImageSize = 28, int Seed = 0,
    bool RandomizeBatchNorm = false)
{
    /// <summary>Residual blocks per stage.</summary>
    public int BlocksPerStage => (Depth - 2) / 6;

    /// <summary>Validates the options.</summary>
    /// <exception cref="ArgumentException">Depth is not 6n+2 with n ≥ 1, or a size is not positive.</exception>
    public void Validate()
    {
        if (Depth < 8 || (Depth - 2) % 6 != 0) throw new ArgumentException($"depth must be 6n+2 with n ≥ 1 (8, 14, 20, 32, 56, 110, …), got {Depth}");
        if (Width < 1 || InChannels < 1 || Classes < 1 || ImageSize < 4)
            throw new ArgumentException($"width, in-channels and classes must be ≥ 1 and image size ≥ 4 (got {Width}, {InChannels}, {Classes}, {ImageSize})");
    }
}

/// <summary>One residual block of a built network: which values enter and leave it.</summary>
/// <param name="Index">Position in execution order.</param>
/// <param name="Stage">Stage 0, 1 or 2.</param>
/// <param name="Input">Name of the value entering the block.</param>
/// <param name="Output">Name of the value leaving it (after the final ReLU).</param>
/// <param name="Downsample">True when the block changes resolution or width (its shortcut is a projection).</param>
public sealed record ResidualBlockInfo(int Index, int Stage, string Input, string Output, bool Downsample);

/// <summary>
/// Builds the CIFAR-style ResNet family as a graph: stem conv3x3 → BN → ReLU; three stages of n BasicBlocks
/// (conv3x3 → BN → ReLU → conv3x3 → BN, plus identity or conv1x1+BN projection shortcut, then ReLU), the first
/// block of stages 2 and 3 with stride 2; global average pool → linear classifier.
/// The identical network is defined in PyTorch in bench/peers/cifar_resnet.py for side-by-side comparisons.
/// </summary>
public static class CifarResNet
{
    /// <summary>Metadata key holding the residual block map (JSON array of <see cref="ResidualBlockInfo"/>).</summary>
    public const string BlockMapKey = "elide.residual_blocks";

    /// <summary>Options for a named architecture: resnet8, resnet14, resnet20, resnet32, resnet44, resnet56, resnet110, …</summary>
    /// <exception cref="ArgumentException">The name is not "resnet" followed by a valid depth.</exception>
    public static CifarResNetOptions FromName(string name, int inChannels = 1, int classes = 10, int imageSize = 28, int seed = 0)
    {
        if (!name.StartsWith("resnet", StringComparison.OrdinalIgnoreCase) || !int.TryParse(name.AsSpan(6), out int depth))
            throw new ArgumentException($"unknown architecture '{name}': expected resnet<depth> with depth = 6n+2 (resnet20, resnet32, resnet56, …)");
        var o = new CifarResNetOptions(depth, 16, inChannels, classes, imageSize, seed);
        o.Validate();
        return o;
    }

    /// <summary>Builds the network with seeded He-initialized weights.</summary>
    public static ComputeGraph Build(CifarResNetOptions options)
    {
        options.Validate();
        var g = new ComputeGraph();
        var rng = new Random(options.Seed);
        var blocks = new List<ResidualBlockInfo>();
        var x = g.AddInput("input", new Shape(-1, options.InChannels, options.ImageSize, options.ImageSize));

        Value ConvBn(string name, Value input, int inC, int outC, int k, int stride)
        {
            // He et al. 2015 initialization: N(0, 2/fan_in).
            var w = Tensor.Normal(new Shape(outC, inC, k, k), rng, 0f, MathF.Sqrt(2f / (inC * k * k)));
            var conv = g.Apply(name, new ConvOp { Strides = (stride, stride), Pads = (k / 2, k / 2, k / 2, k / 2) },
                input, g.AddConstant(name + ".weight", w));
            return BatchNorm(g, name + ".bn", conv, outC, rng, options.RandomizeBatchNorm);
        }

        int width = options.Width;
        var h = g.Apply("stem.relu", new ActivationOp(Activation.Relu), ConvBn("stem.conv", x, options.InChannels, width, 3, 1));
        int inC = width;
        for (int stage = 0; stage < 3; stage++)
        {
            int outC = width << stage;
            for (int b = 0; b < options.BlocksPerStage; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                string p = $"stage{stage + 1}.block{b + 1}";
                var blockInput = h;
                var y = g.Apply(p + ".relu1", new ActivationOp(Activation.Relu), ConvBn(p + ".conv1", h, inC, outC, 3, stride));
                y = ConvBn(p + ".conv2", y, outC, outC, 3, 1);
                bool project = stride != 1 || inC != outC;
                var shortcut = project ? ConvBn(p + ".shortcut", h, inC, outC, 1, stride) : h;
                var sum = g.Apply(p + ".add", new BinaryOp(BinaryOperation.Add), y, shortcut);
                h = g.Apply(p + ".relu2", new ActivationOp(Activation.Relu), sum);
                blocks.Add(new ResidualBlockInfo(blocks.Count, stage, blockInput.Name, h.Name, project));
                inC = outC;
            }
        }
        var pooled = g.Apply("pool", new GlobalPoolOp(PoolKind.Average), h);
        var flat = g.Apply("flatten", new FlattenOp(1), pooled);
        float bound = 1f / MathF.Sqrt(inC);
        var fcW = Tensor.Random(new Shape(options.Classes, inC), rng.Next(), -bound, bound);
        var fcB = Tensor.Random(new Shape(options.Classes), rng.Next(), -bound, bound);
        var logits = g.AddNode(new GemmOp { TransB = true }, [flat, g.AddConstant("fc.weight", fcW), g.AddConstant("fc.bias", fcB)],
            1, "fc", ["logits"]).Outputs[0];
        g.MarkOutput(logits);
        g.Metadata[BlockMapKey] = JsonSerializer.Serialize(blocks);
        g.Metadata["elide.architecture"] = $"cifar-resnet{options.Depth}";
        return g;
    }

    /// <summary>The residual block map stored in a graph's metadata, or empty.</summary>
    public static IReadOnlyList<ResidualBlockInfo> Blocks(ComputeGraph g) =>
        g.Metadata.TryGetValue(BlockMapKey, out var json) ? JsonSerializer.Deserialize<List<ResidualBlockInfo>>(json) ?? [] : [];

    private static Value BatchNorm(ComputeGraph g, string name, Value x, int c, Random rng, bool randomize)
    {
        var scale = new Tensor(new Shape(c));
        var bias = new Tensor(new Shape(c));
        var mean = new Tensor(new Shape(c));
        var variance = new Tensor(new Shape(c));
        for (int i = 0; i < c; i++)
        {
            scale.Data[i] = randomize ? 0.5f + (float)rng.NextDouble() : 1f;
            bias.Data[i] = randomize ? (float)rng.NextDouble() * 0.2f - 0.1f : 0f;
            mean.Data[i] = randomize ? (float)rng.NextDouble() * 0.2f - 0.1f : 0f;
            variance.Data[i] = randomize ? 0.5f + (float)rng.NextDouble() : 1f;
        }
        return g.Apply(name, new BatchNormOp(), x,
            g.AddConstant(name + ".weight", scale), g.AddConstant(name + ".bias", bias),
            g.AddConstant(name + ".running_mean", mean), g.AddConstant(name + ".running_var", variance));
    }
}
