using System.Text.Json;
using Elide.Data;
using Elide.Graph;
using Elide.Kernels;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Training;

/// <summary>
/// Makes an exported classifier self-contained: it takes raw pixels in [0, 1] (NCHW float32) and standardizes them
/// inside the graph, so any ONNX runtime reproduces its accuracy without knowing the training set's statistics.
/// </summary>
/// <remarks>
/// The first two nodes compute x' = (x − mean_c) · (1 / std_c) with per-channel constants of shape [1, C, 1, 1]
/// (ONNX Sub and Mul with multidirectional broadcasting): exactly the arithmetic of
/// <see cref="ChannelStandardization.Apply"/>, so the exported graph sees bit-identical inputs to training's.
/// Folding the standardization into the stem convolution instead would be wrong at the borders: the convolution
/// zero-pads the <em>standardized</em> image, i.e. pads raw pixels with the mean, not with 0.
/// Because the graph normalizes, it must NOT carry <see cref="StandardizationMetadataKey"/> (readers such as the
/// adaptive evaluator would standardize twice); the statistics are recorded for information under
/// <see cref="InGraphNormalizationKey"/> instead.
/// </remarks>
public static class InputNormalization
{
    /// <summary>The metadata key through which a model asks its caller to standardize inputs (must be absent here).</summary>
    public const string StandardizationMetadataKey = "elide.input_standardization";

    /// <summary>Metadata key recording the standardization the graph applies itself (JSON: mean, std, applied_in_graph).</summary>
    public const string InGraphNormalizationKey = "elide.input_normalization";

    /// <summary>Name of the value holding the standardized input.</summary>
    public const string NormalizedInputName = "input.normalized";

    /// <summary>
    /// A copy of <paramref name="graph"/> whose single input feeds Sub(mean) → Mul(1/std) first; every node that read
    /// the input reads the normalized value instead. Node and value names, the residual block map (which names block
    /// inputs and outputs, none of them the graph input) and all other metadata are kept.
    /// </summary>
    /// <exception cref="ArgumentException">The graph has not exactly one rank-4 input, or its channel count differs from the standardization's.</exception>
    public static ComputeGraph Prepend(ComputeGraph graph, ChannelStandardization standardization)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(standardization);
        if (graph.Inputs.Count != 1 || graph.Inputs[0].Shape is not { Rank: 4 } inputShape)
            throw new ArgumentException("input normalization needs a graph with exactly one NCHW input", nameof(graph));
        int channels = standardization.Channels;
        if (inputShape[1] != channels)
            throw new ArgumentException($"the graph's input has {inputShape[1]} channels, the standardization {channels}", nameof(standardization));

        var copy = new ComputeGraph();
        foreach (var (key, value) in graph.Metadata)
            if (key != StandardizationMetadataKey) copy.Metadata[key] = value;
        var map = new Dictionary<Value, Value>();
        foreach (var v in graph.Values.Values.Where(v => v.IsConstant)) map[v] = copy.AddConstant(v.Name, v.Constant!);
        var raw = graph.Inputs[0];
        var input = copy.AddInput(raw.Name, inputShape);

        var mean = new Tensor(new Shape(1, channels, 1, 1));
        var inverse = new Tensor(new Shape(1, channels, 1, 1));
        for (int c = 0; c < channels; c++)
        {
            mean.Data[c] = standardization.Mean[c];
            inverse.Data[c] = 1f / standardization.StandardDeviation[c];
        }
        var centered = copy.AddNode(new BinaryOp(BinaryOperation.Subtract), [input, copy.AddConstant("input.mean", mean)], 1,
            "input.subtract_mean", ["input.centered"]).Outputs[0];
        map[raw] = copy.AddNode(new BinaryOp(BinaryOperation.Multiply), [centered, copy.AddConstant("input.inverse_std", inverse)], 1,
            "input.divide_std", [NormalizedInputName]).Outputs[0];

        foreach (var n in graph.TopologicalOrder())
        {
            var inputs = n.Inputs.Select(v => v is null ? null : map[v]).ToArray();
            var clone = copy.AddNode(n.Op, inputs, n.Outputs.Length, n.Name, n.Outputs.Select(o => o.Name).ToArray());
            for (int i = 0; i < n.Outputs.Length; i++) map[n.Outputs[i]] = clone.Outputs[i];
        }
        foreach (var v in graph.Outputs) copy.MarkOutput(map[v]);
        copy.Metadata[InGraphNormalizationKey] = Describe(standardization);
        return copy;
    }

    /// <summary>JSON {"mean":[…],"std":[…],"applied_in_graph":true}.</summary>
    public static string Describe(ChannelStandardization standardization) => JsonSerializer.Serialize(new
    {
        mean = standardization.Mean.ToArray(),
        std = standardization.StandardDeviation.ToArray(),
        applied_in_graph = true,
    });
}
