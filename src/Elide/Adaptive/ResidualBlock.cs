using Elide.Graph;
using Elide.Kernels;
using Elide.Ops;

namespace Elide.Adaptive;

/// <summary>One residual block of a network: y = post(x + f(x)) or, for a downsampling block, y = post(g(x) + f(x)).</summary>
/// <param name="Index">Position in execution order (the mask character index).</param>
/// <param name="Input">Name of the value entering the block (x).</param>
/// <param name="Output">Name of the value leaving it (after the activation that follows the Add, if any).</param>
/// <param name="Skippable">True for identity-shortcut blocks: skipping makes the output equal the input.</param>
/// <param name="SurvivalProbability">Stochastic-depth survival probability p_l recorded at training time (1 if unknown).</param>
public sealed record ResidualBlock(int Index, string Input, string Output, bool Skippable, double SurvivalProbability = 1.0);

/// <summary>
/// Finds residual blocks in any graph: an Add one of whose operands is the block's input x while the other is
/// computed from x alone (identity shortcut, skippable), or whose operands are two chains from a common x
/// (projection shortcut, kept). A ReLU that is the Add's only reader belongs to the block.
/// </summary>
public static class ResidualBlockDetector
{
    /// <summary>The blocks of <paramref name="graph"/> in execution order.</summary>
    public static IReadOnlyList<ResidualBlock> Detect(ComputeGraph graph)
    {
        var order = graph.TopologicalOrder();
        var consumers = new Dictionary<Value, List<Node>>();
        foreach (var n in order)
            foreach (var v in n.Inputs)
                if (v is not null) (consumers.TryGetValue(v, out var l) ? l : consumers[v] = []).Add(n);
        var probabilities = SurvivalProbabilities(graph);

        var blocks = new List<ResidualBlock>();
        foreach (var add in order)
        {
            if (add.Op is not BinaryOp { Operation: BinaryOperation.Add } || add.Inputs.Length != 2) continue;
            var a = add.Input(0);
            var b = add.Input(1);
            if (a.IsConstant || b.IsConstant) continue;
            Value? input = null;
            bool identity = false;
            if (DependsOnlyOn(b, a, graph)) { input = a; identity = true; }
            else if (DependsOnlyOn(a, b, graph)) { input = b; identity = true; }
            else input = CommonSource(a, b, graph);
            if (input is null) continue;
            var output = add.Outputs[0];
            if (consumers.TryGetValue(output, out var readers) && readers.Count == 1 && readers[0].Op is ActivationOp && !graph.Outputs.Contains(output))
                output = readers[0].Outputs[0];
            // Skipping is only shape-preserving for identity blocks.
            blocks.Add(new ResidualBlock(blocks.Count, input.Name, output.Name, identity,
                probabilities.TryGetValue(output.Name, out var p) ? p : 1.0));
        }
        return blocks;
    }

    /// <summary>Survival probabilities recorded in the graph metadata by the trainer, keyed by block output name.</summary>
    private static Dictionary<string, double> SurvivalProbabilities(ComputeGraph graph)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!graph.Metadata.TryGetValue(Models.CifarResNet.BlockMapKey, out var json)) return result;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            foreach (var e in doc.RootElement.EnumerateArray())
                if (e.TryGetProperty("Output", out var o) && e.TryGetProperty("SurvivalProbability", out var p) && p.TryGetDouble(out var pv))
                    result[o.GetString()!] = pv;
        }
        catch (System.Text.Json.JsonException) { }
        return result;
    }

    /// <summary>True when every graph input or node path that reaches <paramref name="value"/> passes through <paramref name="source"/>.</summary>
    private static bool DependsOnlyOn(Value value, Value source, ComputeGraph graph)
    {
        if (value == source) return false;
        var stack = new Stack<Value>();
        var seen = new HashSet<Value>();
        stack.Push(value);
        bool reached = false;
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (!seen.Add(v) || v.IsConstant) continue;
            if (v == source) { reached = true; continue; }
            if (v.Producer is null) return false; // a graph input other than the source
            foreach (var i in v.Producer.Inputs) if (i is not null) stack.Push(i);
        }
        return reached;
    }

    /// <summary>For two branch chains, the nearest value both are computed from alone.</summary>
    private static Value? CommonSource(Value a, Value b, ComputeGraph graph)
    {
        var chainA = new List<Value>();
        var v = a;
        while (v.Producer is { } p && p.Inputs.FirstOrDefault(i => i is { IsConstant: false }) is { } next)
        {
            chainA.Add(next);
            v = next;
        }
        foreach (var candidate in chainA)
            if (DependsOnlyOn(a, candidate, graph) && DependsOnlyOn(b, candidate, graph)) return candidate;
        return null;
    }
}
