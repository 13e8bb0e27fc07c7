using Elide.Graph;
using Elide.Onnx.Protos;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Onnx.Import;

/// <summary>
/// Converts ONNX models into Elide <see cref="ComputeGraph"/>s. Each ONNX operator is converted by one small
/// handler chosen from a table keyed by (operator, opset range) — see <see cref="SupportedOperators"/>.
/// Shape arithmetic (Shape, Gather, Concat, ... on int64) is evaluated at import time, with the free batch
/// dimension carried symbolically, so the graph holds float32 tensor operations only.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Every (operator, opset range) the importer converts, for documentation and `elide info`.</summary>
    public static IReadOnlyList<SupportedOperator> SupportedOperators => OpTable.Entries.Select(e => new SupportedOperator(e.OpType, e.FromOpset, e.ToOpset, e.Notes)).ToArray();

    /// <summary>Loads the model file at <paramref name="path"/> and converts it.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxFormatException">The file is not a valid ONNX model (see <see cref="OnnxModelFile.Load(string, OnnxLoadOptions?)"/>).</exception>
    /// <exception cref="OnnxImportException">The model is structurally invalid, or uses unsupported operators (all of them listed at once).</exception>
    public static ImportedModel Load(string path, ImportOptions? options = null)
    {
        var model = OnnxModelFile.Load(path);
        options ??= new ImportOptions();
        return ImportValidated(model, options with { SourceName = options.SourceName ?? path }, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>Converts a model already in memory; external data is read relative to <paramref name="baseDirectory"/>.</summary>
    /// <exception cref="OnnxFormatException">The model is malformed.</exception>
    /// <exception cref="OnnxImportException">As for <see cref="Load(string, ImportOptions?)"/>.</exception>
    public static ImportedModel Load(ModelProto model, ImportOptions? options = null, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ImportOptions();
        OnnxModelFile.Validate(model, baseDirectory, options.SourceName ?? "<model>");
        return ImportValidated(model, options, baseDirectory);
    }

    private static ImportedModel ImportValidated(ModelProto model, ImportOptions options, string? baseDirectory)
    {
        string source = options.SourceName ?? "<model>";
        var g = model.Graph ?? throw new OnnxImportException($"{source}: the model has no graph");
        int opset = DefaultOpset(model, source);
        var opsets = model.OpsetImport.Where(o => o.Domain is not ("" or "ai.onnx")).ToDictionary(o => o.Domain, o => (int)o.Version, StringComparer.Ordinal);
        var problems = new List<UnsupportedFeature>();

        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
            if (!initializers.TryAdd(t.Name, t)) throw new OnnxImportException($"{source}: initializer '{t.Name}' is defined twice");
        foreach (var s in g.SparseInitializer)
            problems.Add(new UnsupportedFeature("initializer", opset, s.Values?.Name ?? "", "sparse initializers are not supported"));
        var frozen = options.ConstantInputs ?? new Dictionary<string, OnnxTensor>();
        var fedInputs = g.Input.Where(i => !initializers.ContainsKey(i.Name) && !frozen.ContainsKey(i.Name)).ToList();
        var inputNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in g.Input)
            if (!inputNames.Add(i.Name)) throw new OnnxImportException($"{source}: graph input '{i.Name}' is declared twice");
        foreach (var name in frozen.Keys)
            if (!inputNames.Contains(name)) throw new OnnxImportException($"{source}: ImportOptions.ConstantInputs names '{name}', which is not a graph input");

        var predefined = new HashSet<string>(initializers.Keys, StringComparer.Ordinal);
        predefined.UnionWith(inputNames);
        var order = NodeOrder.Sort(g, predefined);

        var allNames = predefined.Concat(g.Node.SelectMany(n => n.Output)).Where(n => n.Length > 0);
        var inputs = fedInputs.Select(i => InputShape(i, options, opset, problems)).ToList();
        bool freeBatch = inputs.Any(s => s is { Rank: > 0 } && s[0] < 0);
        var graph = new ComputeGraph();
        var ctx = new ImportContext(graph, opset, freeBatch, allNames);

        foreach (var (name, tensor) in initializers) ctx.Bind(name, new StaticBinding(tensor, baseDirectory, ctx.Probes));
        foreach (var (name, tensor) in frozen) ctx.Bind(name, new StaticBinding(tensor, ctx.Probes));
        for (int i = 0; i < fedInputs.Count; i++)
        {
            if (inputs[i] is not { } shape) { ctx.Bind(fedInputs[i].Name, PoisonedBinding.Instance); continue; }
            var probeShapes = ctx.ProbeBatches.Select(b => shape.Rank > 0 && shape[0] < 0 ? shape.With(0, b) : shape).ToArray();
            ctx.Bind(fedInputs[i].Name, ctx.AddInput(graph.AddInput(fedInputs[i].Name, shape), probeShapes));
        }

        foreach (int index in order) ImportNode(ctx, g.Node[index], index, opset, opsets, problems, source);
        BindOutputs(ctx, g, opset, problems);

        if (problems.Count > 0) throw new OnnxImportException(source, problems);
        foreach (var p in model.MetadataProps) graph.Metadata[p.Key] = p.Value;
        graph.RemoveUnused();
        try { graph.InferShapes(graph.Inputs.Select((v, i) => ctx.ProbeShapeOfInput(i)).ToList()); }
        catch (GraphException e) when (e is not OnnxImportException) { throw new OnnxImportException($"{source}: the imported graph is inconsistent: {e.Message}"); }
        return new ImportedModel(graph, opset, model.IrVersion, model.ProducerName, model.ProducerVersion, g.Name);
    }

    private static int DefaultOpset(ModelProto model, string source)
    {
        var ids = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        // A model of other domains only (e.g. ai.onnx.preview.training): every node is reported as unsupported.
        if (ids.Count == 0) return 0;
        long v = ids.Max(o => o.Version);
        if (v < 1 || v > int.MaxValue) throw new OnnxImportException($"{source}: invalid default-domain opset {v}");
        return (int)v;
    }

    /// <summary>The Elide shape of a fed graph input: dim_param or missing dims become −1; only dimension 0 (the batch) may stay free.</summary>
    private static Shape? InputShape(ValueInfoProto input, ImportOptions options, int opset, List<UnsupportedFeature> problems)
    {
        if (input.Type?.ValueCase != TypeProto.ValueOneofCase.TensorType)
        {
            problems.Add(new UnsupportedFeature("input", opset, input.Name, $"graph input is a {input.Type?.ValueCase.ToString() ?? "value of unknown type"}, not a tensor"));
            return null;
        }
        var tt = input.Type.TensorType;
        if (tt.ElemType != (int)TensorProto.Types.DataType.Float)
        {
            problems.Add(new UnsupportedFeature("input", opset, input.Name,
                $"element type {OnnxDataTypes.Name(tt.ElemType)} (Elide models take float32; a constant such as a shape can be passed in ImportOptions.ConstantInputs)", input.Name));
            return null;
        }
        int[] dims;
        if (options.InputShapes is { } overrides && overrides.TryGetValue(input.Name, out var given)) dims = (int[])given.Clone();
        else if (tt.Shape is null)
        {
            problems.Add(new UnsupportedFeature("input", opset, input.Name, "graph input has no declared shape (pass it in ImportOptions.InputShapes)"));
            return null;
        }
        else dims = tt.Shape.Dim.Select(d => d.HasDimValue && d.DimValue >= 0 && d.DimValue <= int.MaxValue ? (int)d.DimValue : -1).ToArray();
        for (int d = 1; d < dims.Length; d++)
        {
            if (dims[d] >= 0) continue;
            string param = tt.Shape is { } s && d < s.Dim.Count && s.Dim[d].HasDimParam ? $" ('{s.Dim[d].DimParam}')" : "";
            problems.Add(new UnsupportedFeature("input", opset, input.Name, $"dimension {d}{param} is free; only the batch (dimension 0) may be (pass ImportOptions.InputShapes)"));
            return null;
        }
        if (dims.Any(d => d < -1)) throw new OnnxImportException($"graph input '{input.Name}': invalid shape [{string.Join(",", dims)}]");
        return new Shape(dims);
    }

    private static void ImportNode(ImportContext ctx, NodeProto node, int index, int opset, Dictionary<string, int> opsets,
        List<UnsupportedFeature> problems, string source)
    {
        string display = NodeOrder.Describe(node, index);
        string problemName = node.Name.Length > 0 ? node.Name : $"#{index}";
        void Poison()
        {
            foreach (var o in node.Output) if (o.Length > 0) ctx.Bind(o, PoisonedBinding.Instance);
        }
        string domain = node.Domain is "" or "ai.onnx" ? "" : node.Domain;
        if (domain.Length > 0)
        {
            problems.Add(new UnsupportedFeature($"{domain}.{node.OpType}", opsets.GetValueOrDefault(domain), problemName, "operator domain not supported"));
            Poison();
            return;
        }
        var entry = OpTable.Find(node.OpType, opset);
        if (entry is null)
        {
            problems.Add(new UnsupportedFeature(node.OpType, opset, problemName, ""));
            Poison();
            return;
        }
        // Unsupported operators are reported even downstream of other problems; a supported node whose inputs could
        // not be imported is skipped silently (its own variant problems cannot be judged without them).
        if (node.Input.Any(i => i.Length > 0 && ctx.Lookup(i) is PoisonedBinding)) { Poison(); return; }
        string graphName = node.Name.Length > 0 ? node.Name : $"{node.OpType}_{index}";
        var nc = new NodeContext(ctx, node, graphName, display);
        try
        {
            entry.Handler(nc);
            for (int i = 0; i < node.Output.Count; i++)
                if (node.Output[i].Length > 0 && ctx.Lookup(node.Output[i]) is null)
                    throw new UnsupportedNodeException($"output {i} ('{node.Output[i]}') is not supported");
        }
        catch (UnsupportedNodeException e)
        {
            problems.Add(new UnsupportedFeature(node.OpType, opset, problemName, e.Message, e.ConstantInput));
            Poison();
        }
        catch (OnnxFormatException e) { throw new OnnxImportException($"{source}: {display}: {e.Message}"); }
        catch (OnnxImportException e) { throw new OnnxImportException($"{source}: {e.Message}"); }
        catch (Exception e) when (e is GraphException or ArgumentException or InvalidOperationException or OverflowException
                                      or IndexOutOfRangeException or KeyNotFoundException or FormatException)
        {
            throw new OnnxImportException($"{source}: {display}: {e.Message}");
        }
    }

    private static void BindOutputs(ImportContext ctx, GraphProto g, int opset, List<UnsupportedFeature> problems)
    {
        foreach (var output in g.Output)
        {
            if (output.Type?.ValueCase is { } kind && kind != TypeProto.ValueOneofCase.TensorType)
            {
                problems.Add(new UnsupportedFeature("output", opset, output.Name, $"graph output is a {kind}, not a tensor"));
                continue;
            }
            if (output.Type?.TensorType is { ElemType: var et } && et != (int)TensorProto.Types.DataType.Float && et != 0)
            {
                problems.Add(new UnsupportedFeature("output", opset, output.Name, $"element type {OnnxDataTypes.Name(et)} (Elide models produce float32)"));
                continue;
            }
            switch (ctx.Lookup(output.Name))
            {
                case null:
                    throw new OnnxImportException($"graph output '{output.Name}' is not produced by any node, input or initializer");
                case PoisonedBinding:
                    break;
                case RuntimeBinding r when r.Value.Name == output.Name && !r.Value.IsConstant && !ctx.Graph.Inputs.Contains(r.Value):
                    ctx.Graph.MarkOutput(r.Value);
                    break;
                case RuntimeBinding r:
                    ctx.Graph.MarkOutput(Alias(ctx, r.Value, output.Name));
                    break;
                case StaticBinding:
                    // Elide's execution plans compute outputs from inputs; a constant output has nothing to compute.
                    problems.Add(new UnsupportedFeature("output", opset, output.Name, "graph output is a constant (it does not depend on any graph input)"));
                    break;
                case PendingPadBinding p:
                    problems.Add(new UnsupportedFeature("Pad", opset, p.PadNode, "Elide folds constant zero padding only into a Conv; this one is a graph output"));
                    break;
            }
        }
    }

    /// <summary>An Identity node so that a graph output carries its ONNX name even when it aliases another value.</summary>
    private static Value Alias(ImportContext ctx, Value v, string name)
    {
        string outputName = ctx.Graph.Values.ContainsKey(name) ? ctx.UniqueName(name, mayUseReserved: false) : name;
        return ctx.Graph.AddNode(new IdentityOp(), [v], 1, ctx.UniqueNodeName(name + "/identity"), [outputName]).Outputs[0];
    }
}

/// <summary>An entry of the importer's table: <paramref name="OpType"/> is converted for model opsets <paramref name="FromOpset"/>..<paramref name="ToOpset"/>.</summary>
/// <param name="OpType">ONNX operator (default domain).</param>
/// <param name="FromOpset">First opset covered.</param>
/// <param name="ToOpset">Last opset covered.</param>
/// <param name="Notes">Limits of the conversion (empty when the operator is converted fully).</param>
public sealed record SupportedOperator(string OpType, int FromOpset, int ToOpset, string Notes);
