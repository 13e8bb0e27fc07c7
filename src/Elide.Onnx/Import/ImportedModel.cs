using Elide.Graph;

namespace Elide.Onnx.Import;

/// <summary>An ONNX model converted to an Elide <see cref="ComputeGraph"/>.</summary>
public sealed class ImportedModel
{
    internal ImportedModel(ComputeGraph graph, int opset, long irVersion, string producerName, string producerVersion, string graphName)
    {
        Graph = graph;
        Opset = opset;
        IrVersion = irVersion;
        ProducerName = producerName;
        ProducerVersion = producerVersion;
        GraphName = graphName;
    }

    /// <summary>The graph: inputs with −1 for a free batch, float32 constants, outputs named as in the model; metadata_props in <see cref="ComputeGraph.Metadata"/>.</summary>
    public ComputeGraph Graph { get; }

    /// <summary>The model's opset for the default ("" / "ai.onnx") domain.</summary>
    public int Opset { get; }

    /// <summary>The model's ir_version.</summary>
    public long IrVersion { get; }

    /// <summary>producer_name (e.g. "pytorch").</summary>
    public string ProducerName { get; }

    /// <summary>producer_version.</summary>
    public string ProducerVersion { get; }

    /// <summary>The graph's name.</summary>
    public string GraphName { get; }
}
