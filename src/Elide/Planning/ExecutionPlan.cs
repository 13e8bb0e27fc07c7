using Elide.Graph;
using Elide.Kernels.Threading;
using Elide.Tensors;

namespace Elide.Planning;

/// <summary>What one planned step does, for reports (`elide info`, profiles).</summary>
/// <param name="NodeName">The graph node.</param>
/// <param name="Operation">The op with its attributes (fusions shown).</param>
/// <param name="OutputShape">Shape of the first output.</param>
/// <param name="MultiplyAccumulates">Work in MACs.</param>
/// <param name="Method">The kernel chosen (e.g. the convolution algorithm), or empty.</param>
public sealed record PlannedStep(string NodeName, string Operation, Shape OutputShape, long MultiplyAccumulates, string Method);

/// <summary>
/// A graph compiled for one concrete set of input shapes: steps in execution order, weights prepacked, and every
/// intermediate tensor at a fixed offset of one pinned arena chosen by <see cref="MemoryPlanner"/>.
/// Running a plan allocates nothing. A plan runs one inference at a time (concurrent calls are serialized).
/// </summary>
public sealed unsafe class ExecutionPlan
{
    private readonly IExecutionStep[] steps;
    private readonly ExecutionFrame frame;
    private readonly float[] arena;
    private readonly int[] inputSlots, outputSlots;
    private readonly long[] inputLengths, outputLengths;
    private readonly float[] workspace;
    private readonly object gate = new();

    internal ExecutionPlan(ComputeGraph graph, IReadOnlyList<Shape> inputShapes, WorkerPool pool)
    {
        if (inputShapes.Count != graph.Inputs.Count)
            throw new GraphException($"the model has {graph.Inputs.Count} inputs but {inputShapes.Count} shapes were given");
        var shapes = graph.InferShapes(inputShapes);
        var order = graph.TopologicalOrder();
        InputShapes = inputShapes.ToArray();
        OutputShapes = graph.Outputs.Select(v => shapes[v]).ToArray();

        // Buffers: every runtime value belongs to the buffer of its alias root (views share their source's memory).
        var root = new Dictionary<Value, Value>();
        Value RootOf(Value v) => root.TryGetValue(v, out var r) ? r : v;
        foreach (var n in order)
            if (n.Op.ViewOfInput >= 0 && !n.Input(n.Op.ViewOfInput).IsConstant)
                root[n.Outputs[0]] = RootOf(n.Input(n.Op.ViewOfInput));

        var first = new Dictionary<Value, int>();
        var last = new Dictionary<Value, int>();
        void Touch(Value v, int step)
        {
            var r = RootOf(v);
            first[r] = first.TryGetValue(r, out var f) ? Math.Min(f, step) : step;
            last[r] = last.TryGetValue(r, out var l) ? Math.Max(l, step) : step;
        }
        foreach (var v in graph.Inputs) Touch(v, -1);
        for (int s = 0; s < order.Count; s++)
        {
            foreach (var v in order[s].Inputs) if (v is { IsConstant: false }) Touch(v, s);
            foreach (var v in order[s].Outputs) Touch(v, s);
        }
        foreach (var v in graph.Outputs) if (!v.IsConstant) Touch(v, int.MaxValue);

        var roots = first.Keys.ToList();
        var requests = roots.Select(r => new BufferRequest(shapes[r].ElementCount, first[r], last[r])).ToList();
        var (offsets, arenaFloats) = MemoryPlanner.Plan(requests);
        var offsetOf = new Dictionary<Value, long>();
        for (int i = 0; i < roots.Count; i++) offsetOf[roots[i]] = offsets[i];

        // Slots: one per runtime value.
        var slots = new Dictionary<Value, int>();
        var slotOffsets = new List<long>();
        foreach (var v in shapes.Keys.Where(v => !v.IsConstant && first.ContainsKey(RootOf(v))))
        {
            slots[v] = slotOffsets.Count;
            slotOffsets.Add(offsetOf[RootOf(v)]);
        }

        var builder = new StepBuilder(shapes, slots, pool);
        steps = new IExecutionStep[order.Count];
        var infos = new PlannedStep[order.Count];
        for (int s = 0; s < order.Count; s++)
        {
            var n = order[s];
            try { steps[s] = n.Op.CreateStep(n, builder); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                throw new GraphException(n, $"cannot be planned: {e.Message}");
            }
            var ins = n.Inputs.Select(v => v is null ? null : shapes[v]).ToArray();
            var outs = n.Outputs.Select(v => shapes[v]).ToArray();
            infos[s] = new PlannedStep(n.Name, n.Op.Describe(), outs[0], n.Op.MultiplyAccumulates(ins, outs),
                steps[s] is ConvStep c ? c.Method : steps[s] is ReferenceStep ? "reference" : "");
        }
        Steps = infos;
        NodeOrder = order;

        arena = GC.AllocateArray<float>((int)Math.Max(arenaFloats, 1), pinned: true);
        workspace = GC.AllocateArray<float>((int)Math.Max(builder.WorkspaceFloats, 1), pinned: true);
        ArenaBytes = arenaFloats * sizeof(float);
        WorkspaceBytes = builder.WorkspaceFloats * sizeof(float);
        frame = new ExecutionFrame(slotOffsets.Count, pool);
        float* basePtr = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref arena[0]);
        for (int i = 0; i < slotOffsets.Count; i++) frame.Slots[i] = (nint)(basePtr + slotOffsets[i]);
        frame.Workspace = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref workspace[0]);

        inputSlots = graph.Inputs.Select(v => slots[v]).ToArray();
        inputLengths = graph.Inputs.Select(v => shapes[v].ElementCount).ToArray();
        outputSlots = graph.Outputs.Select(v => slots[v]).ToArray();
        outputLengths = graph.Outputs.Select(v => shapes[v].ElementCount).ToArray();
        TotalMultiplyAccumulates = infos.Sum(i => i.MultiplyAccumulates);
    }

    /// <summary>The input shapes this plan was built for.</summary>
    public IReadOnlyList<Shape> InputShapes { get; }

    /// <summary>The output shapes.</summary>
    public IReadOnlyList<Shape> OutputShapes { get; }

    /// <summary>The steps in execution order.</summary>
    public IReadOnlyList<PlannedStep> Steps { get; }

    /// <summary>Graph nodes in step order.</summary>
    internal IReadOnlyList<Node> NodeOrder { get; }

    /// <summary>Bytes of the activation arena (all intermediate tensors after sharing).</summary>
    public long ArenaBytes { get; }

    /// <summary>Bytes of the shared kernel scratch buffer.</summary>
    public long WorkspaceBytes { get; }

    /// <summary>MACs of one run.</summary>
    public long TotalMultiplyAccumulates { get; }

    /// <summary>Runs the plan: copies inputs in, executes every step, copies outputs out.</summary>
    /// <exception cref="ArgumentException">A buffer's length does not match its tensor's element count.</exception>
    public void Run(IReadOnlyList<ReadOnlyMemory<float>> inputs, IReadOnlyList<Memory<float>> outputs)
    {
        if (inputs.Count != inputSlots.Length) throw new ArgumentException($"expected {inputSlots.Length} inputs, got {inputs.Count}", nameof(inputs));
        if (outputs.Count != outputSlots.Length) throw new ArgumentException($"expected {outputSlots.Length} outputs, got {outputs.Count}", nameof(outputs));
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i].Length != inputLengths[i])
                throw new ArgumentException($"input {i} has {inputs[i].Length} elements but shape {InputShapes[i]} needs {inputLengths[i]}", nameof(inputs));
        for (int i = 0; i < outputs.Count; i++)
            if (outputs[i].Length != outputLengths[i])
                throw new ArgumentException($"output {i} has {outputs[i].Length} elements but shape {OutputShapes[i]} needs {outputLengths[i]}", nameof(outputs));
        lock (gate)
        {
            for (int i = 0; i < inputs.Count; i++)
                inputs[i].Span.CopyTo(new Span<float>(frame[inputSlots[i]], (int)inputLengths[i]));
            foreach (var step in steps) step.Execute(frame);
            for (int i = 0; i < outputs.Count; i++)
                new ReadOnlySpan<float>(frame[outputSlots[i]], (int)outputLengths[i]).CopyTo(outputs[i].Span);
        }
    }

    /// <summary>Single-input, single-output convenience overload (no allocation).</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        if (inputSlots.Length != 1 || outputSlots.Length != 1)
            throw new InvalidOperationException($"the model has {inputSlots.Length} inputs and {outputSlots.Length} outputs; use the list overload");
        if (input.Length != inputLengths[0]) throw new ArgumentException($"input has {input.Length} elements but shape {InputShapes[0]} needs {inputLengths[0]}", nameof(input));
        if (output.Length != outputLengths[0]) throw new ArgumentException($"output has {output.Length} elements but shape {OutputShapes[0]} needs {outputLengths[0]}", nameof(output));
        lock (gate)
        {
            input.CopyTo(new Span<float>(frame[inputSlots[0]], input.Length));
            foreach (var step in steps) step.Execute(frame);
            new ReadOnlySpan<float>(frame[outputSlots[0]], output.Length).CopyTo(output);
        }
    }
}
