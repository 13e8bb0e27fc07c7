using Elide.Graph;
using Elide.Tensors;

namespace Elide.Runtime;

/// <summary>
/// Runs a graph node by node with each op's plain reference <see cref="Ops.Op.Evaluate"/>. This is the
/// specification the planned, fused, multithreaded engine is tested against. Slow on purpose.
/// </summary>
public static class ReferenceInterpreter
{
    /// <summary>Evaluates the graph on <paramref name="inputs"/> (one tensor per graph input) and returns its outputs.</summary>
    public static Tensor[] Run(ComputeGraph graph, IReadOnlyList<Tensor> inputs)
    {
        var shapes = graph.InferShapes(inputs.Select(t => t.Shape).ToList());
        var values = new Dictionary<Value, Tensor>();
        for (int i = 0; i < inputs.Count; i++) values[graph.Inputs[i]] = inputs[i];
        foreach (var n in graph.TopologicalOrder())
        {
            var ins = n.Inputs.Select(v => v is null ? null : v.Constant ?? values[v]).ToArray();
            var outs = n.Outputs.Select(v => new Tensor(shapes[v])).ToArray();
            n.Op.Evaluate(n, ins, outs);
            for (int i = 0; i < outs.Length; i++) values[n.Outputs[i]] = outs[i];
        }
        return graph.Outputs.Select(v => v.Constant ?? values[v]).ToArray();
    }
}
