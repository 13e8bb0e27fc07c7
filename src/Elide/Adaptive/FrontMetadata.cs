using Elide.Graph;

namespace Elide.Adaptive;

/// <summary>The Pareto front stored with the model, in the graph metadata (ONNX metadata_props).</summary>
public static class FrontMetadata
{
    /// <summary>Metadata key holding the front as its report JSON.</summary>
    public const string Key = "elide.pareto_front";

    /// <summary>Stores <paramref name="front"/> in <paramref name="graph"/>'s metadata (replacing any previous front).</summary>
    /// <exception cref="ArgumentException">The front's block count differs from the graph's residual blocks.</exception>
    public static void Attach(ComputeGraph graph, ParetoFront front)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(front);
        int blocks = ResidualBlockDetector.Detect(graph).Count;
        if (front.Blocks != blocks)
            throw new ArgumentException($"the front is for {front.Blocks} residual blocks but the model has {blocks}", nameof(front));
        graph.Metadata[Key] = front.ToJson();
    }

    /// <summary>The front stored in <paramref name="graph"/>, or null when it has none.</summary>
    /// <exception cref="FormatException">The stored front is malformed.</exception>
    public static ParetoFront? Read(ComputeGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Metadata.TryGetValue(Key, out var json) ? ParetoFront.FromJson(json) : null;
    }
}
