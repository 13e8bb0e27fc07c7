using Elide.Graph;
using Elide.Onnx.Protos;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Onnx.Import;

/// <summary>
/// What a handler sees of one ONNX node: its attributes (through <see cref="OnnxAttributes"/> on <see cref="Proto"/>),
/// its inputs as run-time or import-time values, and ways to emit Elide nodes or bind static results.
/// </summary>
internal sealed class NodeContext(ImportContext context, NodeProto proto, string graphName, string displayName)
{
    private int helperCount;

    public ImportContext Context { get; } = context;

    public NodeProto Proto { get; } = proto;

    /// <summary>The node's unique name in the Elide graph.</summary>
    public string GraphName { get; } = graphName;

    /// <summary>"node 'name' (OpType)" for messages.</summary>
    public string Display { get; } = displayName;

    public int Opset => Context.Opset;

    public int InputCount => Proto.Input.Count;

    public int OutputCount => Proto.Output.Count;

    /// <summary>True when optional input <paramref name="i"/> is given (ONNX marks omitted inputs with "").</summary>
    public bool HasInput(int i) => i < Proto.Input.Count && Proto.Input[i].Length > 0;

    /// <summary>True when output <paramref name="i"/> is requested.</summary>
    public bool HasOutput(int i) => i < Proto.Output.Count && Proto.Output[i].Length > 0;

    /// <summary>Reports that this node is an unsupported variant; the importer records it and continues.</summary>
    public static UnsupportedNodeException Unsupported(string reason) => new(reason);

    /// <summary>The node is invalid ONNX.</summary>
    public OnnxImportException Invalid(string reason) => new($"{Display}: {reason}");

    public Binding Input(int i)
    {
        if (!HasInput(i)) throw Invalid($"input {i} is required but missing");
        return Context.Lookup(Proto.Input[i]) ?? throw Invalid($"input '{Proto.Input[i]}' is not defined");
    }

    /// <summary>True when input <paramref name="i"/> is known at import time.</summary>
    public bool IsStatic(int i) => Input(i) is StaticBinding;

    /// <summary>Input <paramref name="i"/> as an import-time tensor.</summary>
    /// <exception cref="UnsupportedNodeException">It is computed at run time.</exception>
    public StaticTensor Static(int i, string role) => Input(i) switch
    {
        StaticBinding s => s.Tensor,
        _ => throw RequiresConstant(i, role),
    };

    /// <summary>Input <paramref name="i"/> as integers that must not depend on the batch size.</summary>
    public long[] StaticInts(int i, string role)
    {
        var t = Static(i, role);
        if (!t.IsInteger) throw Invalid($"{role} (input {i}) must be an integer tensor, got {t.Type}");
        if (t.AnyVariesWithBatch) throw Unsupported($"{role} depends on the batch size");
        return t.Ints![0];
    }

    /// <summary>Input <paramref name="i"/> as floats that must not depend on the batch size.</summary>
    public double[] StaticReals(int i, string role)
    {
        var t = Static(i, role);
        if (t.AnyVariesWithBatch) throw Unsupported($"{role} depends on the batch size");
        return t.RealsAt(0);
    }

    /// <summary>Input <paramref name="i"/> as a float32 graph constant (weights, BatchNorm statistics, Gemm C).</summary>
    public Value Constant(int i, string role) => Input(i) switch
    {
        StaticBinding s => Context.Materialize(Proto.Input[i], s),
        _ => throw RequiresConstant(i, role),
    };

    /// <summary>Input <paramref name="i"/> as a run-time float32 value (static float inputs become graph constants).</summary>
    public RuntimeBinding Runtime(int i) => Input(i) switch
    {
        RuntimeBinding r => r,
        StaticBinding s => ConstantBinding(Context.Materialize(Proto.Input[i], s)),
        PendingPadBinding p => throw Unsupported($"Pad node '{p.PadNode}' feeds a {Proto.OpType}; Elide folds constant zero padding only into a Conv"),
        _ => throw Invalid($"input '{Proto.Input[i]}' is not available"),
    };

    /// <summary>The graph value of <see cref="Runtime"/> input <paramref name="i"/>, or null when the optional input is omitted.</summary>
    public Value? OptionalValue(int i) => HasInput(i) ? Runtime(i).Value : null;

    private RuntimeBinding ConstantBinding(Value v) =>
        new(v, Enumerable.Repeat(v.Constant!.Shape, Context.Probes).ToArray());

    private UnsupportedNodeException RequiresConstant(int i, string role)
    {
        string name = Proto.Input[i];
        bool isGraphInput = Context.Graph.Inputs.Any(v => v.Name == name);
        return new UnsupportedNodeException($"{role} must be a constant known at import time" + (isGraphInput ? " (pass it in ImportOptions.ConstantInputs)" : ""),
            isGraphInput ? name : null);
    }

    /// <summary>Binds output <paramref name="i"/> to an import-time tensor.</summary>
    public void SetStatic(int i, StaticTensor t)
    {
        if (HasOutput(i)) Context.Bind(Proto.Output[i], new StaticBinding(t));
    }

    /// <summary>Binds output <paramref name="i"/> to a run-time value (or an alias of an input).</summary>
    public void SetRuntime(int i, Binding b)
    {
        if (HasOutput(i)) Context.Bind(Proto.Output[i], b);
    }

    /// <summary>
    /// Emits the node that produces this ONNX node's outputs: the node takes <see cref="GraphName"/> and its
    /// outputs the ONNX output names. Binds and returns them.
    /// </summary>
    public RuntimeBinding[] EmitFinal(Op op, Value?[] inputs, int outputCount = 1)
    {
        var names = new string[outputCount];
        for (int i = 0; i < outputCount; i++)
            names[i] = Context.UniqueName(HasOutput(i) ? Proto.Output[i] : $"{GraphName}:out{i}", mayUseReserved: HasOutput(i));
        var outs = Context.Emit(Context.UniqueNodeName(GraphName), Display, op, inputs, names);
        for (int i = 0; i < outputCount; i++) SetRuntime(i, outs[i]);
        return outs;
    }

    /// <summary>Emits the single-output final node.</summary>
    public RuntimeBinding Emit(Op op, params Value?[] inputs) => EmitFinal(op, inputs)[0];

    /// <summary>Emits a helper node (one of several an ONNX node expands to) with a generated output name.</summary>
    public RuntimeBinding EmitHelper(Op op, params Value?[] inputs)
    {
        string name = Context.UniqueNodeName($"{GraphName}/{op.Name}{helperCount++}");
        return Context.Emit(name, Display, op, inputs, [Context.UniqueName(name, mayUseReserved: false)])[0];
    }

    /// <summary>Emits a Reshape of <paramref name="x"/> to the given per-probe shapes (final or helper).</summary>
    /// <remarks>
    /// The target keeps every batch-independent dimension; a batch-dependent one becomes 0 ("copy") when the input
    /// has the same dimension at that position, otherwise −1 (inferred). At most one −1 is possible, so two
    /// batch-dependent output dimensions cannot be expressed and are rejected.
    /// </remarks>
    public RuntimeBinding EmitReshape(RuntimeBinding x, Shape[] outputProbeShapes, bool final)
    {
        var dims = ImportContext.Combine(outputProbeShapes);
        bool hasZero = dims.Contains(0);
        int inferred = 0;
        var target = new int[dims.Length];
        for (int d = 0; d < dims.Length; d++)
        {
            if (dims[d] >= 0) { target[d] = dims[d]; continue; }
            bool sameAsInput = !hasZero && d < x.Rank && Enumerable.Range(0, Context.Probes).All(p => x.ProbeShapes[p][d] == outputProbeShapes[p][d]);
            if (sameAsInput) target[d] = 0;
            else
            {
                if (++inferred > 1) throw Unsupported($"the result shape [{string.Join(",", dims.Select(v => v < 0 ? "?" : v.ToString()))}] has more than one dimension that depends on the batch size");
                target[d] = -1;
            }
        }
        var op = new ReshapeOp(target) { AllowZero = hasZero };
        var result = final ? Emit(op, x.Value) : EmitHelper(op, x.Value);
        for (int p = 0; p < Context.Probes; p++)
            if (!result.ProbeShapes[p].Equals(outputProbeShapes[p]))
                throw Invalid($"internal: reshape produced {result.ProbeShapes[p]}, expected {outputProbeShapes[p]}");
        return result;
    }
}
