using Elide.Graph;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Onnx.Import;

/// <summary>The state of one import: the graph being built, what every ONNX name is bound to, and the batch probes.</summary>
internal sealed class ImportContext
{
    private readonly Dictionary<string, Binding> bindings = new(StringComparer.Ordinal);
    private readonly HashSet<string> reservedNames;

    public ImportContext(ComputeGraph graph, int opset, bool freeBatch, IEnumerable<string> onnxNames)
    {
        Graph = graph;
        Opset = opset;
        // Two distinct probe batches (neither 1, which would broadcast) tell batch-dependent dimensions apart.
        ProbeBatches = freeBatch ? [3, 5] : [1, 1];
        reservedNames = new HashSet<string>(onnxNames, StringComparer.Ordinal);
    }

    public ComputeGraph Graph { get; }

    /// <summary>The model's default-domain opset.</summary>
    public int Opset { get; }

    /// <summary>The batch size each probe binds the free batch dimension to.</summary>
    public int[] ProbeBatches { get; }

    public int Probes => ProbeBatches.Length;

    private readonly HashSet<string> nodeNames = new(StringComparer.Ordinal);

    /// <summary>A node name not used yet.</summary>
    public string UniqueNodeName(string preferred)
    {
        string name = preferred;
        for (int i = 1; !nodeNames.Add(name); i++) name = $"{preferred}_{i}";
        return name;
    }

    public void Bind(string name, Binding binding) => bindings[name] = binding;

    public Binding? Lookup(string name) => bindings.GetValueOrDefault(name);

    /// <summary>The combined view of per-probe shapes: dimensions equal in every probe, −1 where they differ.</summary>
    public static int[] Combine(Shape[] probes)
    {
        var dims = probes[0].ToArray();
        for (int p = 1; p < probes.Length; p++)
            for (int d = 0; d < dims.Length; d++)
                if (probes[p][d] != dims[d]) dims[d] = -1;
        return dims;
    }

    /// <summary>A graph value name: <paramref name="preferred"/> when free, otherwise a fresh variant of it.</summary>
    public string UniqueName(string preferred, bool mayUseReserved)
    {
        if (!Graph.Values.ContainsKey(preferred) && (mayUseReserved || !reservedNames.Contains(preferred))) return preferred;
        for (int i = 1; ; i++)
        {
            string candidate = $"{preferred}_{i}";
            if (!Graph.Values.ContainsKey(candidate) && !reservedNames.Contains(candidate)) return candidate;
        }
    }

    /// <summary>The graph constant for a static value (created once).</summary>
    /// <exception cref="UnsupportedNodeException">The value is not float32 or depends on the batch size.</exception>
    public Value Materialize(string onnxName, StaticBinding s)
    {
        if (s.Materialized is { } done) return done;
        if (s.ElementType != OnnxElementType.Float)
            throw new UnsupportedNodeException($"'{onnxName}' is a {s.ElementType} tensor used as run-time data (Elide computes in float32 only)");
        if (s.VariesWithBatch)
            throw new UnsupportedNodeException($"'{onnxName}' is computed from the batch size and used as data");
        var tensor = new Tensor(new Shape(s.Dims), s.ToFloat32());
        s.Materialized = Graph.AddConstant(UniqueName(onnxName, mayUseReserved: true), tensor);
        return s.Materialized;
    }

    /// <summary>Adds a node and infers its output shapes in every probe.</summary>
    /// <exception cref="OnnxImportException">The op rejects the input shapes.</exception>
    public RuntimeBinding[] Emit(string nodeName, string onnxNode, Op op, Value?[] inputs, string[] outputNames)
    {
        var node = Graph.AddNode(op, inputs, outputNames.Length, nodeName, outputNames);
        var perProbe = new Shape[Probes][];
        for (int p = 0; p < Probes; p++)
        {
            var shapes = inputs.Select(v => v is null ? null : ProbeShape(v, p)).ToArray();
            try { perProbe[p] = op.InferShapes(node, shapes); }
            catch (Exception e) when (e is GraphException or ArgumentException or InvalidOperationException or OverflowException)
            {
                string batch = ProbeBatches[0] != ProbeBatches[1] ? $" (with the free batch set to {ProbeBatches[p]})" : "";
                throw new OnnxImportException($"{onnxNode}: {e.Message}{batch}");
            }
        }
        var result = new RuntimeBinding[outputNames.Length];
        for (int i = 0; i < result.Length; i++)
        {
            var shapes = perProbe.Select(s => s[i]).ToArray();
            probeShapes[node.Outputs[i]] = shapes;
            result[i] = new RuntimeBinding(node.Outputs[i], shapes);
        }
        return result;
    }

    private readonly Dictionary<Value, Shape[]> probeShapes = [];

    /// <summary>Records the probe shapes of a graph input.</summary>
    public RuntimeBinding AddInput(Value v, Shape[] shapes)
    {
        probeShapes[v] = shapes;
        return new RuntimeBinding(v, shapes);
    }

    /// <summary>Graph input <paramref name="index"/>'s shape in the first probe (a concrete shape to check the graph with).</summary>
    public Shape ProbeShapeOfInput(int index) => probeShapes[Graph.Inputs[index]][0];

    private Shape ProbeShape(Value v, int probe) =>
        v.Constant?.Shape ?? (probeShapes.TryGetValue(v, out var s) ? s[probe] : throw new OnnxImportException($"internal: no shape for '{v.Name}'"));
}
