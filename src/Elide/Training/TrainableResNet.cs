using System.Text.Json;
using Elide.Graph;
using Elide.Kernels;
using Elide.Kernels.Threading;
using Elide.Models;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Training;

/// <summary>Stochastic Depth settings of a <see cref="TrainableResNet"/>.</summary>
/// <param name="FinalSurvivalProbability">p_L, the survival probability of the last block (Huang et al. 2016 default 0.5; 1 disables dropping).</param>
/// <param name="Seed">Seed of the per-step drop pattern (independent of the weight initialization seed).</param>
/// <param name="Rule">How p_l follows from p_L: linear decay (the default) or one rate for every droppable block.</param>
public sealed record StochasticDepthOptions(double FinalSurvivalProbability = 0.5, int Seed = 0, StochasticDepthRule Rule = StochasticDepthRule.Linear);

/// <summary>One residual block of a <see cref="TrainableResNet"/>: branch conv3x3-BN-ReLU-conv3x3-BN, optional projection shortcut.</summary>
public sealed class TrainableResidualBlock
{
    internal TrainableResidualBlock(int index, int stage, double survivalProbability, string prefix, ConvBatchNorm conv1, ConvBatchNorm conv2,
        ConvBatchNorm? shortcut)
    {
        Index = index;
        Stage = stage;
        SurvivalProbability = survivalProbability;
        Prefix = prefix;
        Conv1 = conv1;
        Conv2 = conv2;
        Shortcut = shortcut;
    }

    /// <summary>Position in execution order.</summary>
    public int Index { get; }

    /// <summary>Stage 0, 1 or 2.</summary>
    public int Stage { get; }

    /// <summary>True when the block changes resolution or width (projection shortcut); such blocks are never dropped.</summary>
    public bool Downsample => Shortcut is not null;

    /// <summary>Node name prefix, e.g. "stage2.block1".</summary>
    public string Prefix { get; }

    /// <summary>First branch layer (carries the stride).</summary>
    public ConvBatchNorm Conv1 { get; }

    /// <summary>Second branch layer; its BatchNorm is the one that absorbs p_l on export.</summary>
    public ConvBatchNorm Conv2 { get; }

    /// <summary>conv1x1+BN projection of a downsampling block, null for identity shortcuts.</summary>
    public ConvBatchNorm? Shortcut { get; }

    /// <summary>p_l: probability the block survives a training step, and its branch scale at evaluation.</summary>
    public double SurvivalProbability { get; }
}

/// <summary>
/// A trainable CIFAR-style ResNet with exactly the architecture, node names and initialization of
/// <see cref="CifarResNet.Build"/> (same seed → same initial weights), trained with Stochastic Depth.
/// </summary>
/// <remarks>
/// <para><b>Which blocks can be dropped.</b> Survival probabilities follow the linear rule over all L blocks
/// (l counts every block, so identity blocks get exactly the paper's p_l), but the downsampling blocks (first block
/// of stages 2 and 3, with conv1x1+BN projection shortcuts) are never dropped: their p_l is 1. Dropping one would
/// still have to run its projection to change width and resolution, so it would neither "pass its input through
/// unchanged" nor save the compute that makes Stochastic Depth and skip-at-inference worthwhile, and the
/// inference-time skipping this model is trained for (Korol et al. 2025) can only skip blocks whose output has the
/// input's shape. (Huang et al. used parameter-free zero-padding shortcuts, which have no such cost.)</para>
/// <para><b>A dropped block</b> is not executed at all: its input becomes its output, no op is recorded and no
/// convolution runs (see <see cref="Tape.ConvolutionCount"/>). Its parameters get no gradient that step.</para>
/// <para><b>Evaluation</b> runs every block with the residual branch scaled by p_l: h = ReLU(p_l·f(x) + x).
/// <see cref="ToComputeGraph"/> folds p_l into γ and β of the branch's last BatchNorm (conv2.bn), so the exported graph
/// has exactly the node structure of <see cref="CifarResNet.Build"/> and the planner's BN folding and fusions apply
/// unchanged; the applied factor is recorded per block in the metadata (BranchScale) so a runtime that wants
/// unscaled kept blocks can divide it out.</para>
/// </remarks>
public sealed class TrainableResNet
{
    /// <summary>Metadata key holding the Stochastic Depth settings of an exported graph (JSON).</summary>
    public const string StochasticDepthKey = "elide.stochastic_depth";

    private readonly List<TrainableResidualBlock> blocks = [];
    private readonly List<Parameter> parameters = [];

    /// <summary>Builds the network with seeded initial weights identical to <see cref="CifarResNet.Build"/>(<paramref name="architecture"/>).</summary>
    /// <exception cref="ArgumentException">The architecture options are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">p_L or the BatchNorm momentum is outside [0, 1].</exception>
    public TrainableResNet(CifarResNetOptions architecture, StochasticDepthOptions? stochasticDepth = null, float batchNormMomentum = 0.1f)
    {
        architecture.Validate();
        Architecture = architecture;
        StochasticDepthSettings = stochasticDepth ?? new StochasticDepthOptions();
        var rng = new Random(architecture.Seed);

        // Draw order must match CifarResNet.Build exactly: stem, then per block conv1, conv2, shortcut, then fc.
        ConvBatchNorm ConvBn(string name, int inC, int outC, int k, int stride)
        {
            var w = Tensor.Normal(new Shape(outC, inC, k, k), rng, 0f, MathF.Sqrt(2f / (inC * k * k)));
            var stats = new BatchNormStatistics(outC, batchNormMomentum);
            var scale = new Tensor(new Shape(outC));
            var shift = new Tensor(new Shape(outC));
            for (int i = 0; i < outC; i++)
            {
                bool r = architecture.RandomizeBatchNorm;
                scale.Data[i] = r ? 0.5f + (float)rng.NextDouble() : 1f;
                shift.Data[i] = r ? (float)rng.NextDouble() * 0.2f - 0.1f : 0f;
                stats.RunningMean.Data[i] = r ? (float)rng.NextDouble() * 0.2f - 0.1f : 0f;
                stats.RunningVariance.Data[i] = r ? 0.5f + (float)rng.NextDouble() : 1f;
            }
            var layer = new ConvBatchNorm(name, new ConvOp { Strides = (stride, stride), Pads = (k / 2, k / 2, k / 2, k / 2) }, w, scale, shift, stats);
            parameters.AddRange(layer.Parameters);
            return layer;
        }

        int width = architecture.Width, inChannels = width, count = 3 * architecture.BlocksPerStage;
        Stem = ConvBn("stem.conv", architecture.InChannels, width, 3, 1);
        for (int stage = 0; stage < 3; stage++)
        {
            int outC = width << stage;
            for (int b = 0; b < architecture.BlocksPerStage; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                string p = $"stage{stage + 1}.block{b + 1}";
                var conv1 = ConvBn(p + ".conv1", inChannels, outC, 3, stride);
                var conv2 = ConvBn(p + ".conv2", outC, outC, 3, 1);
                bool project = stride != 1 || inChannels != outC;
                var shortcut = project ? ConvBn(p + ".shortcut", inChannels, outC, 1, stride) : null;
                double survival = project ? 1.0 : StochasticDepth.SurvivalProbability(StochasticDepthSettings.Rule, blocks.Count, count, StochasticDepthSettings.FinalSurvivalProbability);
                blocks.Add(new TrainableResidualBlock(blocks.Count, stage, survival, p, conv1, conv2, shortcut));
                inChannels = outC;
            }
        }
        float bound = 1f / MathF.Sqrt(inChannels);
        FcWeight = new Parameter("fc.weight", Tensor.Random(new Shape(architecture.Classes, inChannels), rng.Next(), -bound, bound), weightDecay: true);
        FcBias = new Parameter("fc.bias", Tensor.Random(new Shape(architecture.Classes), rng.Next(), -bound, bound), weightDecay: false);
        parameters.Add(FcWeight);
        parameters.Add(FcBias);
    }

    /// <summary>Depth, width, channels, classes, image size and initialization seed.</summary>
    public CifarResNetOptions Architecture { get; }

    /// <summary>p_L and the drop seed.</summary>
    public StochasticDepthOptions StochasticDepthSettings { get; }

    /// <summary>The stem conv3x3+BN (followed by ReLU).</summary>
    public ConvBatchNorm Stem { get; }

    /// <summary>Residual blocks in execution order.</summary>
    public IReadOnlyList<TrainableResidualBlock> Blocks => blocks;

    /// <summary>Classifier weights [classes, 4·width].</summary>
    public Parameter FcWeight { get; }

    /// <summary>Classifier bias [classes].</summary>
    public Parameter FcBias { get; }

    /// <summary>Every trainable parameter, in initialization order.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>p_l per block.</summary>
    public IReadOnlyList<double> SurvivalProbabilities => blocks.Select(b => b.SurvivalProbability).ToArray();

    /// <summary>Every BatchNorm layer with its running statistics, stem first.</summary>
    public IEnumerable<ConvBatchNorm> Layers =>
        new[] { Stem }.Concat(blocks.SelectMany(b => b.Shortcut is null ? new[] { b.Conv1, b.Conv2 } : [b.Conv1, b.Conv2, b.Shortcut]));

    /// <summary>The blocks kept at training step <paramref name="step"/> (reproducible from the drop seed and the step).</summary>
    public bool[] SampleKeptBlocks(long step) => StochasticDepth.SampleSurvivors(SurvivalProbabilities, StochasticDepthSettings.Seed, step);

    /// <summary>Training-mode forward pass for step <paramref name="step"/>: blocks dropped per <see cref="SampleKeptBlocks"/>, BatchNorm on batch statistics.</summary>
    public Variable TrainingForward(Tape tape, Variable images, long step) => TrainingForward(tape, images, SampleKeptBlocks(step));

    /// <summary>Training-mode forward pass with an explicit drop pattern (true = block runs). Returns logits [N, classes].</summary>
    /// <exception cref="ArgumentException">The pattern has the wrong length or drops a downsampling block, or the images have the wrong shape.</exception>
    public Variable TrainingForward(Tape tape, Variable images, IReadOnlyList<bool> keptBlocks)
    {
        if (keptBlocks.Count != blocks.Count) throw new ArgumentException($"expected {blocks.Count} keep flags, got {keptBlocks.Count}", nameof(keptBlocks));
        for (int i = 0; i < blocks.Count; i++)
            if (!keptBlocks[i] && blocks[i].Downsample)
                throw new ArgumentException($"block {i} ({blocks[i].Prefix}) downsamples and cannot be dropped", nameof(keptBlocks));
        return Forward(tape, images, training: true, keptBlocks);
    }

    /// <summary>Evaluation-mode forward pass: every block runs, residual branches scaled by p_l, BatchNorm on running statistics.</summary>
    public Variable EvalForward(Tape tape, Variable images) => Forward(tape, images, training: false, null);

    /// <summary>Evaluation-mode logits for <paramref name="images"/> [N, C, H, W] without recording anything.</summary>
    public Tensor Predict(Tensor images, WorkerPool? pool = null) => EvalForward(new Tape(pool, recording: false), new Variable(images)).Value;

    /// <summary>
    /// <see cref="Predict(Tensor, WorkerPool?)"/> building its intermediate tensors in <paramref name="buffers"/>
    /// (reclaimed first: everything the previous call returned becomes invalid, the returned logits included).
    /// </summary>
    public Tensor Predict(Tensor images, WorkerPool? pool, StepBuffers buffers)
    {
        buffers.ReclaimAll();
        return EvalForward(new Tape(pool, recording: false, buffers), new Variable(images)).Value;
    }

    private Variable Forward(Tape tape, Variable images, bool training, IReadOnlyList<bool>? keptBlocks)
    {
        var a = Architecture;
        if (images.Shape.Rank != 4 || images.Shape[1] != a.InChannels || images.Shape[2] != a.ImageSize || images.Shape[3] != a.ImageSize)
            throw new ArgumentException($"expected images [N,{a.InChannels},{a.ImageSize},{a.ImageSize}], got {images.Shape}", nameof(images));
        var h = tape.Relu(Stem.Forward(tape, images, training));
        foreach (var block in blocks)
        {
            // Stochastic Depth: a dropped block is the identity, and nothing of it is executed.
            if (keptBlocks is not null && !keptBlocks[block.Index]) continue;
            var branch = block.Conv2.Forward(tape, tape.Relu(block.Conv1.Forward(tape, h, training)), training);
            if (!training && block.SurvivalProbability < 1.0) branch = tape.Scale(branch, (float)block.SurvivalProbability);
            var shortcut = block.Shortcut?.Forward(tape, h, training) ?? h;
            h = tape.Relu(tape.Add(branch, shortcut));
        }
        var pooled = tape.Flatten(tape.GlobalAveragePool(h));
        return tape.Linear(pooled, FcWeight, FcBias);
    }

    /// <summary>
    /// Exports the evaluation-mode network as an inference graph with the node and constant names of
    /// <see cref="CifarResNet.Build"/>: Conv, BatchNormalization, Relu, Add, GlobalAveragePool, Flatten, Gemm.
    /// Each residual branch's p_l is folded into its conv2.bn γ and β. Metadata: the block map under
    /// <see cref="CifarResNet.BlockMapKey"/> (a superset of <see cref="ResidualBlockInfo"/>, see
    /// <see cref="StochasticDepthBlockInfo"/>), "elide.architecture", and <see cref="StochasticDepthKey"/>.
    /// </summary>
    public ComputeGraph ToComputeGraph()
    {
        var a = Architecture;
        var g = new ComputeGraph();
        var x = g.AddInput("input", new Shape(-1, a.InChannels, a.ImageSize, a.ImageSize));
        var h = g.Apply("stem.relu", new ActivationOp(Activation.Relu), Stem.Export(g, x, 1.0));
        var map = new List<StochasticDepthBlockInfo>();
        foreach (var block in blocks)
        {
            var blockInput = h;
            var y = g.Apply(block.Prefix + ".relu1", new ActivationOp(Activation.Relu), block.Conv1.Export(g, h, 1.0));
            y = block.Conv2.Export(g, y, block.SurvivalProbability);
            var shortcut = block.Shortcut?.Export(g, h, 1.0) ?? h;
            var sum = g.Apply(block.Prefix + ".add", new BinaryOp(BinaryOperation.Add), y, shortcut);
            h = g.Apply(block.Prefix + ".relu2", new ActivationOp(Activation.Relu), sum);
            map.Add(new StochasticDepthBlockInfo(block.Index, block.Stage, blockInput.Name, h.Name, block.Downsample,
                block.SurvivalProbability, block.SurvivalProbability));
        }
        var pooled = g.Apply("pool", new GlobalPoolOp(PoolKind.Average), h);
        var flat = g.Apply("flatten", new FlattenOp(1), pooled);
        var logits = g.Apply("fc", new GemmOp { TransB = true }, flat,
            g.AddConstant("fc.weight", FcWeight.Value.Clone()), g.AddConstant("fc.bias", FcBias.Value.Clone()));
        g.MarkOutput(logits);
        g.Metadata[CifarResNet.BlockMapKey] = JsonSerializer.Serialize(map);
        g.Metadata["elide.architecture"] = $"cifar-resnet{a.Depth}";
        g.Metadata[StochasticDepthKey] = JsonSerializer.Serialize(new
        {
            rule = StochasticDepthSettings.Rule == StochasticDepthRule.Uniform ? "uniform" : "linear",
            final_survival_probability = StochasticDepthSettings.FinalSurvivalProbability,
            downsampling_blocks_dropped = false,
            branch_scaling = "folded into gamma and beta of <block>.conv2.bn",
        });
        return g;
    }
}

/// <summary>
/// A residual block entry of the block map an exported <see cref="TrainableResNet"/> writes under
/// <see cref="CifarResNet.BlockMapKey"/>: the fields of <see cref="ResidualBlockInfo"/> (same JSON names, so readers
/// of that record keep working) plus Stochastic Depth information.
/// </summary>
/// <param name="Index">Position in execution order.</param>
/// <param name="Stage">Stage 0, 1 or 2.</param>
/// <param name="Input">Name of the value entering the block.</param>
/// <param name="Output">Name of the value leaving it (after the final ReLU).</param>
/// <param name="Downsample">True when the shortcut is a projection (such blocks are never dropped: p_l = 1).</param>
/// <param name="SurvivalProbability">p_l used in training.</param>
/// <param name="BranchScale">Factor already folded into the branch's last BatchNorm in the exported graph (p_l).</param>
public sealed record StochasticDepthBlockInfo(int Index, int Stage, string Input, string Output, bool Downsample,
    double SurvivalProbability, double BranchScale)
{
    /// <summary>The block map of an exported graph with its Stochastic Depth fields, or empty when absent.</summary>
    /// <remarks>Maps written by <see cref="CifarResNet.Build"/> (without the extra fields) read as p_l = 1, scale 1.</remarks>
    public static IReadOnlyList<StochasticDepthBlockInfo> Read(ComputeGraph graph)
    {
        if (!graph.Metadata.TryGetValue(CifarResNet.BlockMapKey, out var json)) return [];
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new StochasticDepthBlockInfo(
            e.GetProperty(nameof(Index)).GetInt32(), e.GetProperty(nameof(Stage)).GetInt32(),
            e.GetProperty(nameof(Input)).GetString()!, e.GetProperty(nameof(Output)).GetString()!, e.GetProperty(nameof(Downsample)).GetBoolean(),
            e.TryGetProperty(nameof(SurvivalProbability), out var p) ? p.GetDouble() : 1.0,
            e.TryGetProperty(nameof(BranchScale), out var s) ? s.GetDouble() : 1.0)).ToList();
    }
}
