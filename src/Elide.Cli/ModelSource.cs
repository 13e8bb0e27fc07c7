using Elide.Graph;
using Elide.Models;
using Elide.Tensors;

namespace Elide.Cli;

/// <summary>Resolves the `--model` argument: a built-in architecture name or a model file.</summary>
internal static class ModelSource
{
    /// <summary>Help text shared by every command that takes a model.</summary>
    public const string Help = "Model: resnet20, resnet56 or any resnet<6n+2> (built in, seeded weights, 1x28x28 input), or a path to an .onnx file.";

    /// <summary>Loads the graph named by <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentException">The spec is neither a known architecture nor an existing file.</exception>
    public static ComputeGraph Load(string spec)
    {
        if (File.Exists(spec)) return Onnx.Import.OnnxImporter.Load(spec).Graph;
        if (spec.StartsWith("resnet", StringComparison.OrdinalIgnoreCase) && !spec.Contains('.') && !spec.Contains('/'))
            return CifarResNet.Build(CifarResNet.FromName(spec));
        throw new ArgumentException($"model '{spec}' is neither a built-in architecture (resnet20, resnet56, resnet<6n+2>) nor an existing file");
    }

    /// <summary>The input shape for a batch: the model's declared input shape with its free batch dimension bound.</summary>
    public static Shape InputShape(ComputeGraph graph, int batch)
    {
        if (graph.Inputs.Count != 1) throw new ArgumentException($"the model has {graph.Inputs.Count} inputs; this command needs exactly one");
        var declared = graph.Inputs[0].Shape!;
        var dims = declared.ToArray();
        if (dims.Length == 0) throw new ArgumentException("the model's input is a scalar; it has no batch dimension");
        if (dims[0] >= 0 && dims[0] != batch)
            throw new ArgumentException($"the model's input {declared} has a fixed batch of {dims[0]}; --batch {batch} is not possible");
        dims[0] = batch;
        for (int i = 1; i < dims.Length; i++)
            if (dims[i] < 0) throw new ArgumentException($"the model's input {declared} has a free dimension {i} besides the batch; it cannot be benchmarked without a concrete shape");
        return new Shape(dims);
    }
}
