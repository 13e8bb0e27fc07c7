using Elide.Ops;
using Elide.Tensors;

namespace Elide.Graph;

/// <summary>
/// A dataflow graph of <see cref="Node"/>s over <see cref="Value"/>s. Building a graph is separate from running it:
/// an <see cref="Planning.ExecutionPlan"/> is compiled from a graph for one concrete input shape.
/// </summary>
public sealed class ComputeGraph
{
    private readonly Dictionary<string, Value> values = new(StringComparer.Ordinal);
    private readonly List<Node> nodes = [];
    private readonly List<Value> inputs = [];
    private readonly List<Value> outputs = [];
    private int autoName;

    /// <summary>Nodes in insertion order (use <see cref="TopologicalOrder"/> for execution order).</summary>
    public IReadOnlyList<Node> Nodes => nodes;

    /// <summary>Graph inputs (fed at run time).</summary>
    public IReadOnlyList<Value> Inputs => inputs;

    /// <summary>Graph outputs.</summary>
    public IReadOnlyList<Value> Outputs => outputs;

    /// <summary>Every value by name.</summary>
    public IReadOnlyDictionary<string, Value> Values => values;

    /// <summary>Free-form model information (carried to and from ONNX metadata_props).</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a graph input. Use −1 for a free batch dimension.</summary>
    public Value AddInput(string name, Shape shape)
    {
        var v = NewValue(name, shape, null);
        inputs.Add(v);
        return v;
    }

    /// <summary>Adds a constant (weights, biases).</summary>
    public Value AddConstant(string name, Tensor data) => NewValue(name, data.Shape, data);

    /// <summary>Marks <paramref name="value"/> as a graph output.</summary>
    public void MarkOutput(Value value)
    {
        if (!outputs.Contains(value)) outputs.Add(value);
    }

    /// <summary>Replaces the output list (used by rewrites).</summary>
    internal void ReplaceOutput(Value old, Value replacement)
    {
        for (int i = 0; i < outputs.Count; i++)
            if (outputs[i] == old) outputs[i] = replacement;
    }

    /// <summary>Adds a node computing <paramref name="outputCount"/> new values from <paramref name="inputValues"/>.</summary>
    public Node AddNode(Op op, Value?[] inputValues, int outputCount = 1, string? name = null, string[]? outputNames = null)
    {
        name ??= $"{op.Name}_{autoName++}";
        var outs = new Value[outputCount];
        for (int i = 0; i < outputCount; i++)
            outs[i] = NewValue(outputNames?[i] ?? (outputCount == 1 ? name + ":out" : $"{name}:out{i}"), null, null);
        var node = new Node(name, op, inputValues, outs);
        foreach (var o in outs) o.Producer = node;
        nodes.Add(node);
        return node;
    }

    /// <summary>Adds a single-output node and returns its output.</summary>
    public Value Apply(Op op, params Value?[] inputValues) => AddNode(op, inputValues).Outputs[0];

    /// <summary>Adds a single-output node with a chosen node name and returns its output.</summary>
    public Value Apply(string name, Op op, params Value?[] inputValues) => AddNode(op, inputValues, 1, name).Outputs[0];

    /// <summary>Removes a node (rewrites only). Values it produced that nothing uses any more go with <see cref="RemoveUnused"/>.</summary>
    internal void RemoveNode(Node node) => nodes.Remove(node);

    /// <summary>Removes constants and nodes no graph output depends on.</summary>
    public void RemoveUnused()
    {
        var live = new HashSet<Value>(outputs);
        var order = TopologicalOrder();
        var keep = new HashSet<Node>();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var n = order[i];
            if (!n.Outputs.Any(live.Contains)) continue;
            keep.Add(n);
            foreach (var v in n.Outputs) live.Add(v);
            foreach (var v in n.Inputs) if (v is not null) live.Add(v);
        }
        nodes.RemoveAll(n => !keep.Contains(n));
        foreach (var name in values.Where(kv => !live.Contains(kv.Value) && !inputs.Contains(kv.Value)).Select(kv => kv.Key).ToList())
            values.Remove(name);
    }

    /// <summary>Every node that reads <paramref name="value"/>.</summary>
    public IEnumerable<Node> Consumers(Value value) => nodes.Where(n => n.Inputs.Contains(value));

    /// <summary>
    /// Nodes ordered so every node follows the producers of its inputs (stable with respect to insertion order).
    /// </summary>
    /// <exception cref="GraphException">The graph has a cycle, or a node reads a value nothing produces.</exception>
    public IReadOnlyList<Node> TopologicalOrder()
    {
        var state = new Dictionary<Node, int>(); // 1 = visiting, 2 = done
        var order = new List<Node>(nodes.Count);
        var nodeSet = new HashSet<Node>(nodes);
        foreach (var root in nodes)
        {
            if (state.ContainsKey(root)) continue;
            // Iterative DFS so deep networks (ResNet-1202) cannot overflow the stack.
            var stack = new Stack<(Node Node, int Next)>();
            stack.Push((root, 0));
            state[root] = 1;
            while (stack.Count > 0)
            {
                var (n, next) = stack.Pop();
                if (next < n.Inputs.Length)
                {
                    stack.Push((n, next + 1));
                    var v = n.Inputs[next];
                    if (v is null || v.IsConstant || inputs.Contains(v)) continue;
                    var p = v.Producer ?? throw new GraphException(n, $"input '{v.Name}' is neither a graph input, a constant nor produced by any node");
                    if (!nodeSet.Contains(p)) throw new GraphException(n, $"input '{v.Name}' is produced by a node outside this graph");
                    if (state.TryGetValue(p, out var s))
                    {
                        if (s == 1) throw new GraphException(n, $"the graph has a cycle through '{v.Name}'");
                        continue;
                    }
                    state[p] = 1;
                    stack.Push((p, 0));
                }
                else
                {
                    state[n] = 2;
                    order.Add(n);
                }
            }
        }
        return order;
    }

    /// <summary>
    /// Infers every value's shape from input shapes bound by <paramref name="inputShapes"/> (or the declared ones).
    /// Returns the shapes without modifying the graph.
    /// </summary>
    /// <exception cref="GraphException">An op rejects its input shapes; the message names node, op and shapes.</exception>
    public Dictionary<Value, Shape> InferShapes(IReadOnlyList<Shape>? inputShapes = null)
    {
        var shapes = new Dictionary<Value, Shape>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var declared = inputs[i].Shape ?? throw new GraphException($"graph input '{inputs[i].Name}' has no shape");
            var bound = inputShapes is null ? declared : inputShapes[i];
            if (!bound.IsConcrete) throw new GraphException($"graph input '{inputs[i].Name}' needs a concrete shape, got {bound}");
            if (bound.Rank != declared.Rank)
                throw new GraphException($"graph input '{inputs[i].Name}' expects rank {declared.Rank} {declared}, got {bound}");
            for (int d = 0; d < bound.Rank; d++)
                if (declared[d] >= 0 && declared[d] != bound[d])
                    throw new GraphException($"graph input '{inputs[i].Name}' expects shape {declared}, got {bound} (dimension {d})");
            shapes[inputs[i]] = bound;
        }
        foreach (var v in values.Values)
            if (v.Constant is not null) shapes[v] = v.Constant.Shape;
        foreach (var n in TopologicalOrder())
        {
            var ins = new Shape?[n.Inputs.Length];
            for (int i = 0; i < ins.Length; i++) ins[i] = n.Inputs[i] is { } v ? shapes[v] : null;
            Shape[] outs;
            try { outs = n.Op.InferShapes(n, ins); }
            catch (GraphException) { throw; }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException)
            {
                throw new GraphException(n, $"{e.Message} (input shapes {string.Join(", ", ins.Select(s => s?.ToString() ?? "none"))})");
            }
            if (outs.Length != n.Outputs.Length) throw new GraphException(n, $"produces {outs.Length} outputs but the node declares {n.Outputs.Length}");
            for (int i = 0; i < outs.Length; i++) shapes[n.Outputs[i]] = outs[i];
        }
        return shapes;
    }

    /// <summary>Infers shapes for the declared input shapes and stores them on the values (free dims stay free only where the ops allow).</summary>
    public void ResolveShapes(IReadOnlyList<Shape> inputShapes)
    {
        foreach (var (v, s) in InferShapes(inputShapes)) if (!v.IsConstant && !inputs.Contains(v)) v.Shape = s;
    }

    /// <summary>
    /// A structural copy: new nodes and values with the same names, ops and metadata. Constant tensors are shared
    /// (rewrites never modify a constant in place; they add new ones).
    /// </summary>
    public ComputeGraph Clone()
    {
        var copy = new ComputeGraph { autoName = autoName };
        foreach (var (k, v) in Metadata) copy.Metadata[k] = v;
        var map = new Dictionary<Value, Value>();
        foreach (var v in values.Values.Where(v => v.IsConstant)) map[v] = copy.AddConstant(v.Name, v.Constant!);
        foreach (var v in inputs) map[v] = copy.AddInput(v.Name, v.Shape!);
        foreach (var n in TopologicalOrder())
        {
            var ins = n.Inputs.Select(v => v is null ? null : map[v]).ToArray();
            var clone = copy.AddNode(n.Op, ins, n.Outputs.Length, n.Name, n.Outputs.Select(o => o.Name).ToArray());
            for (int i = 0; i < n.Outputs.Length; i++)
            {
                clone.Outputs[i].Shape = n.Outputs[i].Shape;
                map[n.Outputs[i]] = clone.Outputs[i];
            }
        }
        foreach (var v in outputs) copy.MarkOutput(map[v]);
        return copy;
    }

    /// <summary>A fresh value name with the given prefix.</summary>
    internal string UniqueName(string prefix)
    {
        string name;
        do name = $"{prefix}_{autoName++}"; while (values.ContainsKey(name));
        return name;
    }

    /// <summary>
    /// Makes <paramref name="node"/> produce <paramref name="replacement"/> in place of its output
    /// <paramref name="index"/> (used when a fused node takes over another node's output). The old output
    /// value is removed; it must have no other readers.
    /// </summary>
    internal void TakeOverOutput(Node node, int index, Value replacement)
    {
        var old = node.Outputs[index];
        values.Remove(old.Name);
        var outs = node.Outputs.ToArray();
        outs[index] = replacement;
        node.Outputs = outs;
        replacement.Producer = node;
    }

    private Value NewValue(string name, Shape? shape, Tensor? constant)
    {
        if (values.ContainsKey(name)) throw new GraphException($"duplicate value name '{name}'");
        var v = new Value(name, shape, constant);
        values[name] = v;
        return v;
    }
}
