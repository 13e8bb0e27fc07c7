using Elide.Graph;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Adaptive;

/// <summary>
/// A network cut at its residual block boundaries into a chain of independently planned segments: the part before
/// the first block, each block (input → output), anything between blocks, and the head. Running the chain with a
/// skipped block's segment replaced by the identity is the same computation as the masked plan, and it lets a caller
/// keep every boundary's activations, so configurations that share a prefix share its work
/// (<see cref="CachingEvaluator"/>).
/// </summary>
public sealed class SegmentedModel
{
    /// <summary>One link of the chain.</summary>
    /// <param name="Session">The segment compiled on its own (one input: the boundary before it; one output: the boundary after).</param>
    /// <param name="Block">The residual block this segment is, or −1 for a segment that always runs.</param>
    /// <param name="InputElements">Elements per image entering the segment.</param>
    /// <param name="OutputElements">Elements per image leaving it.</param>
    /// <param name="InputShape">Shape of one image's input (without the batch dimension).</param>
    public sealed record Segment(InferenceSession Session, int Block, long InputElements, long OutputElements, int[] InputShape);

    private SegmentedModel(IReadOnlyList<Segment> segments, int blockCount, bool[] skippable)
    {
        Segments = segments;
        BlockCount = blockCount;
        this.skippable = skippable;
    }

    private readonly bool[] skippable;

    /// <summary>The chain in execution order.</summary>
    public IReadOnlyList<Segment> Segments { get; }

    /// <summary>Mask length.</summary>
    public int BlockCount { get; }

    /// <summary>True when block <paramref name="block"/> may be skipped.</summary>
    public bool CanSkip(int block) => skippable[block];

    /// <summary>
    /// Cuts <paramref name="graph"/> at the boundaries of <paramref name="blocks"/>, or returns null when it cannot be
    /// cut into a chain: more than one input or output, or a segment that needs a value from before its boundary
    /// (a connection that jumps over a block).
    /// </summary>
    public static SegmentedModel? TryCreate(ComputeGraph graph, IReadOnlyList<ResidualBlock> blocks, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(blocks);
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1 || graph.Inputs[0].Shape is not { Rank: > 0 } declared) return null;
        var perImage = declared.ToArray();
        perImage[0] = 1;
        if (perImage.Any(d => d < 0)) return null;
        Dictionary<Value, Shape> shapes;
        try { shapes = graph.InferShapes([new Shape(perImage)]); }
        catch (GraphException) { return null; }

        // Boundaries: graph input, each block's input and output, graph output; consecutive duplicates collapse.
        var cuts = new List<(Value Value, int Block)> { (graph.Inputs[0], -1) };
        foreach (var b in blocks)
        {
            if (!graph.Values.TryGetValue(b.Input, out var input) || !graph.Values.TryGetValue(b.Output, out var output)) return null;
            if (cuts[^1].Value != input) cuts.Add((input, -1));
            cuts.Add((output, b.Index));
        }
        if (cuts[^1].Value != graph.Outputs[0]) cuts.Add((graph.Outputs[0], -1));

        options = (options ?? new SessionOptions()) with { SkippableBlocks = false };
        var segments = new List<Segment>();
        for (int i = 1; i < cuts.Count; i++)
        {
            var from = cuts[i - 1].Value;
            var to = cuts[i].Value;
            var sub = Extract(graph, from, to, shapes[from]);
            if (sub is null) return null;
            var inShape = shapes[from].ToArray()[1..];
            segments.Add(new Segment(new InferenceSession(sub, options), cuts[i].Block, shapes[from].ElementCount, shapes[to].ElementCount, inShape));
        }
        return new SegmentedModel(segments, blocks.Count, blocks.Select(b => b.Skippable).ToArray());
    }

    /// <summary>The subgraph computing <paramref name="to"/> from <paramref name="from"/> alone, or null if it needs anything else.</summary>
    private static ComputeGraph? Extract(ComputeGraph graph, Value from, Value to, Shape fromShape)
    {
        var needed = new HashSet<Node>();
        var stack = new Stack<Value>();
        stack.Push(to);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (v == from || v.IsConstant) continue;
            if (v.Producer is not { } p) return null; // another graph input
            if (!needed.Add(p)) continue;
            foreach (var i in p.Inputs) if (i is not null) stack.Push(i);
        }
        var sub = new ComputeGraph();
        var map = new Dictionary<Value, Value> { [from] = sub.AddInput(from.Name, fromShape.With(0, -1)) };
        foreach (var n in graph.TopologicalOrder())
        {
            if (!needed.Contains(n)) continue;
            var ins = new Value?[n.Inputs.Length];
            for (int k = 0; k < ins.Length; k++)
            {
                var v = n.Inputs[k];
                if (v is null) continue;
                if (!map.TryGetValue(v, out var mapped)) map[v] = mapped = sub.AddConstant(v.Name, v.Constant!);
                ins[k] = mapped;
            }
            var node = sub.AddNode(n.Op, ins, n.Outputs.Length, n.Name, n.Outputs.Select(o => o.Name).ToArray());
            for (int k = 0; k < n.Outputs.Length; k++) map[n.Outputs[k]] = node.Outputs[k];
        }
        if (!map.TryGetValue(to, out var output)) return null;
        sub.MarkOutput(output);
        return sub;
    }

    /// <summary>Runs segment <paramref name="index"/> on <paramref name="count"/> images (chunked into batches of <paramref name="batchSize"/>).</summary>
    public void RunSegment(int index, ReadOnlySpan<float> input, Span<float> output, int count, int batchSize)
    {
        var seg = Segments[index];
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            var plan = seg.Session.GetPlan(new Shape([n, .. seg.InputShape]));
            plan.Run(input.Slice((int)(start * seg.InputElements), (int)(n * seg.InputElements)),
                     output.Slice((int)(start * seg.OutputElements), (int)(n * seg.OutputElements)));
        }
    }
}
