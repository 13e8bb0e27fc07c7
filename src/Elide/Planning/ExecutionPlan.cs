using Elide.Adaptive;
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
/// A batch whose samples are independent runs one image at a time through a batch-1 plan, so the activations stay
/// in L2, with one such stream per thread (see <see cref="MicroBatching"/>); results are identical either way.
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
    private readonly int[] stepBlock;
    private readonly bool[] blockSkippable;
    private readonly (int In, int Out)[] blockRoots;
    private readonly int[] slotRoot;
    private readonly nint[] rootAddress, plannedRootAddress;
    private SkipMask? currentMask;
    private readonly ExecutionPlan? slicePlan;          // non-null: run the batch as slices (see MicroBatching)
    private readonly int sliceCount;
    private readonly ReadOnlyMemory<float>[] sliceInputs = [];
    private readonly Memory<float>[] sliceOutputs = [];
    private readonly SliceStreams? streams;             // non-null: one slice plan per thread, run concurrently

    /// <summary>A residual block mapped onto this plan's steps.</summary>
    private sealed record PlannedBlock(int Index, Value Input, Value Output, int[] StepIndices);

    /// <summary>
    /// Maps detected blocks onto the optimized graph by value names: the block's steps are the nodes between its
    /// input and output. A block whose values did not survive optimization, or whose inner values are read
    /// outside it, cannot be skipped and gets no steps.
    /// </summary>
    private static List<PlannedBlock> PlanBlocks(ComputeGraph graph, IReadOnlyList<ResidualBlock> blocks, Dictionary<Node, int> position)
    {
        var result = new List<PlannedBlock>();
        foreach (var b in blocks)
        {
            if (!b.Skippable || !graph.Values.TryGetValue(b.Input, out var input) || !graph.Values.TryGetValue(b.Output, out var output))
                continue;
            var nodes = new HashSet<Node>();
            var stack = new Stack<Value>();
            stack.Push(output);
            bool ok = true;
            while (stack.Count > 0 && ok)
            {
                var v = stack.Pop();
                if (v == input || v.IsConstant) continue;
                if (v.Producer is not { } p || graph.Inputs.Contains(v)) { ok = false; break; }
                if (!nodes.Add(p)) continue;
                foreach (var i in p.Inputs) if (i is not null) stack.Push(i);
            }
            // Values made inside the block may only be read inside it.
            if (ok)
                foreach (var n in graph.Nodes.Where(n => !nodes.Contains(n)))
                    if (n.Inputs.Any(v => v is not null && v != output && v.Producer is { } p && nodes.Contains(p))) { ok = false; break; }
            if (ok && graph.Outputs.Any(v => v != output && v.Producer is { } p && nodes.Contains(p))) ok = false;
            result.Add(new PlannedBlock(b.Index, input, output, ok ? nodes.Select(n => position[n]).Order().ToArray() : []));
        }
        return result;
    }

    internal ExecutionPlan(ComputeGraph graph, IReadOnlyList<Shape> inputShapes, WorkerPool pool, IReadOnlyList<ResidualBlock>? blocks = null)
    {
        if (inputShapes.Count != graph.Inputs.Count)
            throw new GraphException($"the model has {graph.Inputs.Count} inputs but {inputShapes.Count} shapes were given");
        var shapes = graph.InferShapes(inputShapes);
        var order = graph.TopologicalOrder();
        InputShapes = inputShapes.ToArray();
        OutputShapes = graph.Outputs.Select(v => shapes[v]).ToArray();
        int slice = MicroBatching.Choose(graph, inputShapes, pool.Threads);
        if (slice > 0)
        {
            var sliceShapes = inputShapes.Select(s => s.With(0, slice)).ToList();
            slicePlan = new ExecutionPlan(graph, sliceShapes, pool, blocks);
            sliceCount = inputShapes[0][0] / slice;
            sliceInputs = new ReadOnlyMemory<float>[inputShapes.Count];
            sliceOutputs = new Memory<float>[graph.Outputs.Count];
            int streamCount = Math.Min(pool.Threads, sliceCount);
            if (streamCount > 1)
            {
                // One slice plan per thread (each its own arena and prepacked weights); inside a pool task their
                // kernels run inline, so every thread walks its own slices depth-first through the network.
                var plans = new ExecutionPlan[streamCount];
                plans[0] = slicePlan;
                for (int t = 1; t < streamCount; t++) plans[t] = new ExecutionPlan(graph, sliceShapes, pool, blocks);
                streams = new SliceStreams(plans, sliceCount, pool);
            }
        }

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

        // Skippable residual blocks: a skipped block's output is its input's memory, so the input's buffer must
        // stay live as long as the output is read. Later blocks first, so chains of skips extend transitively.
        var position = order.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i);
        var skippable = PlanBlocks(graph, blocks ?? [], position);
        foreach (var blk in skippable.Where(b => b.StepIndices.Length > 0).Reverse())
        {
            var rIn = RootOf(blk.Input);
            var rOut = RootOf(blk.Output);
            first[rIn] = Math.Min(first[rIn], first[rOut]);
            last[rIn] = Math.Max(last[rIn], last[rOut]);
        }

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

        // A sliced plan never runs its own steps (they stay built for the step list and reports): no full arena.
        if (slicePlan is not null) arenaFloats = 0;
        long workspaceFloats = slicePlan is null ? builder.WorkspaceFloats : 0;
        arena = GC.AllocateArray<float>((int)Math.Max(arenaFloats, 1), pinned: true);
        workspace = GC.AllocateArray<float>((int)Math.Max(workspaceFloats, 1), pinned: true);
        ArenaBytes = slicePlan?.ArenaBytes ?? arenaFloats * sizeof(float);
        WorkspaceBytes = slicePlan?.WorkspaceBytes ?? workspaceFloats * sizeof(float);
        frame = new ExecutionFrame(slotOffsets.Count, pool);
        float* basePtr = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref arena[0]);
        if (slicePlan is null)
            for (int i = 0; i < slotOffsets.Count; i++) frame.Slots[i] = (nint)(basePtr + slotOffsets[i]);
        frame.Workspace = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref workspace[0]);

        // Per-step block membership and per-slot buffer roots, for rebinding when a mask skips blocks.
        stepBlock = Enumerable.Repeat(-1, order.Count).ToArray();
        BlockCount = blocks?.Count ?? 0;
        blockSkippable = new bool[BlockCount];
        var rootIds = roots.Select((r, i) => (r, i)).ToDictionary(t => t.r, t => t.i);
        blockRoots = new (int In, int Out)[BlockCount];
        foreach (var blk in skippable)
        {
            if (blk.StepIndices.Length == 0) continue;
            blockSkippable[blk.Index] = true;
            foreach (int s in blk.StepIndices) stepBlock[s] = blk.Index;
            blockRoots[blk.Index] = (rootIds[RootOf(blk.Input)], rootIds[RootOf(blk.Output)]);
        }
        slotRoot = new int[slotOffsets.Count];
        foreach (var (v, slot) in slots) slotRoot[slot] = rootIds[RootOf(v)];
        rootAddress = roots.Select(r => slicePlan is null ? (nint)(basePtr + offsetOf[r]) : 0).ToArray();
        plannedRootAddress = (nint[])rootAddress.Clone();
        currentMask = null;

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

    /// <summary>Bytes of the activation arena (all intermediate tensors after sharing); for a plan that runs its
    /// batch in slices, the arena of one slice (held once per <see cref="SliceStreamCount"/>).</summary>
    public long ArenaBytes { get; }

    /// <summary>Bytes of the shared kernel scratch buffer.</summary>
    public long WorkspaceBytes { get; }

    /// <summary>MACs of one run.</summary>
    public long TotalMultiplyAccumulates { get; }

    /// <summary>Runs the plan: copies inputs in, executes every step, copies outputs out.</summary>
    /// <exception cref="ArgumentException">A buffer's length does not match its tensor's element count.</exception>
    public void Run(IReadOnlyList<ReadOnlyMemory<float>> inputs, IReadOnlyList<Memory<float>> outputs) => Run(inputs, outputs, null);

    /// <summary>Runs with the residual blocks that <paramref name="mask"/> marks '0' skipped (null: run all).</summary>
    /// <exception cref="ArgumentException">The mask length differs from the block count, or it skips a block that cannot be skipped.</exception>
    public void Run(IReadOnlyList<ReadOnlyMemory<float>> inputs, IReadOnlyList<Memory<float>> outputs, SkipMask? mask)
    {
        ValidateMask(mask);
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
            if (streams is not null) // only single-input, single-output plans run streams (MicroBatching.Choose)
            {
                fixed (float* input = inputs[0].Span, output = outputs[0].Span)
                    streams.Run(input, inputLengths[0], output, outputLengths[0], mask);
                return;
            }
            if (slicePlan is not null)
            {
                for (int s = 0; s < sliceCount; s++)
                {
                    for (int i = 0; i < inputs.Count; i++)
                    {
                        int length = (int)(inputLengths[i] / sliceCount);
                        sliceInputs[i] = inputs[i].Slice(s * length, length);
                    }
                    for (int i = 0; i < outputs.Count; i++)
                    {
                        int length = (int)(outputLengths[i] / sliceCount);
                        sliceOutputs[i] = outputs[i].Slice(s * length, length);
                    }
                    slicePlan.Run(sliceInputs, sliceOutputs, mask);
                }
                return;
            }
            ApplyMask(mask);
            for (int i = 0; i < inputs.Count; i++)
                inputs[i].Span.CopyTo(new Span<float>(frame[inputSlots[i]], (int)inputLengths[i]));
            ExecuteSteps(mask);
            for (int i = 0; i < outputs.Count; i++)
                new ReadOnlySpan<float>(frame[outputSlots[i]], (int)outputLengths[i]).CopyTo(outputs[i].Span);
        }
    }

    /// <summary>
    /// Binds <paramref name="mask"/> (null: all blocks) without running, as <c>Run</c> does before executing: the
    /// whole cost of switching configurations (rebinding the skipped blocks' outputs to their inputs' memory; nothing
    /// is copied or rebuilt). A following run with the same mask starts at once.
    /// </summary>
    /// <exception cref="ArgumentException">The mask length differs from the block count, or it skips a block that cannot be skipped.</exception>
    public void SelectMask(SkipMask? mask)
    {
        ValidateMask(mask);
        lock (gate)
        {
            if (streams is not null) foreach (var plan in streams.Plans) plan.SelectMask(mask);
            else if (slicePlan is not null) slicePlan.SelectMask(mask);
            else ApplyMask(mask);
        }
    }

    /// <summary>Single-input, single-output convenience overload (no allocation).</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output) => Run(input, output, null);

    /// <summary>Single-input, single-output run with blocks skipped per <paramref name="mask"/> (null: run all).</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output, SkipMask? mask)
    {
        ValidateMask(mask);
        if (inputSlots.Length != 1 || outputSlots.Length != 1)
            throw new InvalidOperationException($"the model has {inputSlots.Length} inputs and {outputSlots.Length} outputs; use the list overload");
        if (input.Length != inputLengths[0]) throw new ArgumentException($"input has {input.Length} elements but shape {InputShapes[0]} needs {inputLengths[0]}", nameof(input));
        if (output.Length != outputLengths[0]) throw new ArgumentException($"output has {output.Length} elements but shape {OutputShapes[0]} needs {outputLengths[0]}", nameof(output));
        lock (gate)
        {
            if (streams is not null)
            {
                fixed (float* inputPointer = input, outputPointer = output)
                    streams.Run(inputPointer, input.Length, outputPointer, output.Length, mask);
                return;
            }
            if (slicePlan is not null)
            {
                int inLength = input.Length / sliceCount, outLength = output.Length / sliceCount;
                for (int s = 0; s < sliceCount; s++)
                    slicePlan.Run(input.Slice(s * inLength, inLength), output.Slice(s * outLength, outLength), mask);
                return;
            }
            ApplyMask(mask);
            input.CopyTo(new Span<float>(frame[inputSlots[0]], input.Length));
            ExecuteSteps(mask);
            new ReadOnlySpan<float>(frame[outputSlots[0]], output.Length).CopyTo(output);
        }
    }

    /// <summary>True when this plan runs its batch as a sequence of smaller slices (depth-first execution).</summary>
    public bool RunsInSlices => slicePlan is not null;

    /// <summary>Slice streams run concurrently, one per thread (1 when slices run one after another).</summary>
    public int SliceStreamCount => streams?.Plans.Length ?? 1;

    /// <summary>
    /// Runs a single-input, single-output batch as slices on every thread of the pool at once: stream t runs through
    /// its own slice plan, claiming the next unclaimed slice each time it finishes one, so a thread slowed by other
    /// work on its core leaves its share to the others instead of holding up the batch (slices are independent and
    /// every plan copy computes the same result). Allocation-free; the caller keeps the buffers pinned.
    /// </summary>
    private sealed unsafe class SliceStreams(ExecutionPlan[] plans, int sliceCount, WorkerPool pool) : IParallelTask
    {
        private float* input, output;
        private long inSlice, outSlice;
        private SkipMask? mask;
        private int lastClaimed;

        /// <summary>The slice plans, one per thread.</summary>
        public ExecutionPlan[] Plans => plans;

        public void Run(float* input, long inLength, float* output, long outLength, SkipMask? mask)
        {
            this.input = input;
            this.output = output;
            inSlice = inLength / sliceCount;
            outSlice = outLength / sliceCount;
            this.mask = mask;
            lastClaimed = -1;
            try { pool.Run(plans.Length, this); }
            finally { this.input = null; this.output = null; this.mask = null; }
        }

        public void Execute(int index)
        {
            var plan = plans[index];
            for (int s = Interlocked.Increment(ref lastClaimed); s < sliceCount; s = Interlocked.Increment(ref lastClaimed))
                plan.Run(new ReadOnlySpan<float>(input + s * inSlice, (int)inSlice),
                    new Span<float>(output + s * outSlice, (int)outSlice), mask);
        }
    }

    /// <summary>Number of residual blocks (mask length).</summary>
    public int BlockCount { get; }

    /// <summary>True when block <paramref name="block"/> can be skipped in this plan.</summary>
    public bool CanSkip(int block) => blockSkippable[block];

    /// <summary>Indices of the steps belonging to skippable block <paramref name="block"/> (empty if it cannot be skipped).</summary>
    public IReadOnlyList<int> StepsOfBlock(int block) =>
        Enumerable.Range(0, stepBlock.Length).Where(s => stepBlock[s] == block).ToArray();

    private void ValidateMask(SkipMask? mask)
    {
        if (mask is null) return;
        if (mask.Count != BlockCount)
            throw new ArgumentException($"skip configuration '{mask}' has {mask.Count} flags but the model has {BlockCount} residual blocks", nameof(mask));
        for (int b = 0; b < BlockCount; b++)
            if (!mask.Runs(b) && !blockSkippable[b])
                throw new ArgumentException($"skip configuration '{mask}' skips block {b}, which cannot be skipped (it changes shape: a downsampling block)", nameof(mask));
    }

    /// <summary>Rebinds slots so each skipped block's output is its input's memory. Only does work when the mask changes.</summary>
    private void ApplyMask(SkipMask? mask)
    {
        bool anySkip = mask is not null && mask.RunCount < mask.Count;
        if (ReferenceEquals(mask, currentMask) || (!anySkip && currentMask is null) || (mask is not null && mask.Equals(currentMask))) return;
        Array.Copy(plannedRootAddress, rootAddress, rootAddress.Length);
        if (anySkip)
            for (int b = 0; b < BlockCount; b++)
                if (!mask!.Runs(b)) rootAddress[blockRoots[b].Out] = rootAddress[blockRoots[b].In];
        for (int s = 0; s < slotRoot.Length; s++) frame.Slots[s] = rootAddress[slotRoot[s]];
        currentMask = anySkip ? mask : null;
    }

    private void ExecuteSteps(SkipMask? mask)
    {
        if (mask is null || currentMask is null)
        {
            foreach (var step in steps) step.Execute(frame);
            return;
        }
        for (int s = 0; s < steps.Length; s++)
        {
            int b = stepBlock[s];
            if (b >= 0 && !mask.Runs(b)) continue;
            steps[s].Execute(frame);
        }
    }
}
