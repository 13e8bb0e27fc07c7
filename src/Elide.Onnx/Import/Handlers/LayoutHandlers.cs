using Elide.Ops;
using Elide.Tensors;

namespace Elide.Onnx.Import.Handlers;

/// <summary>
/// Shape and layout operators. On static data they are evaluated at import time (the int64 shape arithmetic
/// PyTorch exports); on run-time data they become Elide views or copies (Reshape, Transpose, Concat, Split).
/// </summary>
internal static class LayoutHandlers
{
    public static void Flatten(NodeContext n)
    {
        int rank = Rank(n, 0);
        long raw = n.Proto.GetInt("axis", 1);
        int axis = raw < 0 ? (int)(raw + rank) : (int)raw;
        if (axis < 0 || axis > rank) throw n.Invalid($"axis {raw} is out of range for rank {rank}");
        if (n.Input(0) is StaticBinding)
        {
            var s = n.Static(0, "input");
            n.SetStatic(0, s.WithDims([(int)StaticMath.Product(s.Dims.Take(axis)), (int)StaticMath.Product(s.Dims.Skip(axis))]));
            return;
        }
        n.Emit(new FlattenOp(axis), n.Runtime(0).Value);
    }

    /// <summary>
    /// Reshape with a static target (which may hold the batch: <c>x.view(x.size(0), -1)</c> exports Shape → Gather →
    /// Concat). The output shape is computed per batch probe with ONNX's rules (0 copies, −1 infers, allowzero).
    /// </summary>
    public static void Reshape(NodeContext n)
    {
        var target = n.Static(1, "shape");
        if (!target.IsInteger || target.Dims.Length != 1) throw n.Invalid($"shape must be a 1-D int64 tensor, got {target}");
        bool allowZero = n.Opset >= 14 && n.Proto.GetInt("allowzero", 0) != 0;
        var input = n.Input(0);
        var outShapes = new Shape[n.Context.Probes];
        for (int p = 0; p < outShapes.Length; p++)
            outShapes[p] = ReshapeOutput(n, DimsAt(n, input, p), target.Ints![p], allowZero);
        if (input is StaticBinding)
        {
            var s = n.Static(0, "data");
            n.SetStatic(0, s.WithDims(StaticShape(n, outShapes)));
            return;
        }
        n.EmitReshape(n.Runtime(0), outShapes, final: true);
    }

    /// <summary>ONNX Reshape's output shape: 0 copies the input dimension (unless allowzero), one −1 is inferred.</summary>
    private static Shape ReshapeOutput(NodeContext n, int[] input, long[] target, bool allowZero)
    {
        var dims = new int[target.Length];
        int infer = -1;
        long known = 1, total = StaticMath.Product(input);
        for (int i = 0; i < target.Length; i++)
        {
            long t = target[i];
            if (t == -1)
            {
                if (infer >= 0) throw n.Invalid($"shape [{string.Join(",", target)}] has more than one −1");
                infer = i;
                continue;
            }
            if (t == 0 && !allowZero)
            {
                if (i >= input.Length) throw n.Invalid($"shape [{string.Join(",", target)}] copies dimension {i} of a rank-{input.Length} input");
                t = input[i];
            }
            if (t < 0 || t > int.MaxValue) throw n.Invalid($"shape [{string.Join(",", target)}] has invalid dimension {t}");
            dims[i] = (int)t;
            known *= t;
        }
        if (infer >= 0)
        {
            if (known == 0 || total % known != 0) throw n.Invalid($"cannot reshape [{string.Join(",", input)}] to [{string.Join(",", target)}]");
            dims[infer] = (int)(total / known);
        }
        else if (known != total) throw n.Invalid($"cannot reshape [{string.Join(",", input)}] ({total} elements) to [{string.Join(",", target)}]");
        return new Shape(dims);
    }

    public static void Squeeze(NodeContext n)
    {
        long[]? axes = n.Opset >= 13 ? (n.HasInput(1) ? n.StaticInts(1, "axes") : null)
            : (n.Proto.HasAttribute("axes") ? n.Proto.GetRequiredInts("axes") : null);
        var input = n.Input(0);
        int rank = Rank(n, 0);
        var outShapes = new Shape[n.Context.Probes];
        var remove = new HashSet<int>();
        if (axes is not null)
            foreach (var a in axes) remove.Add(StaticMath.Axis(a, rank, n.Display));
        else
        {
            // No axes: every dimension of size 1 goes. A free batch counts as ≠ 1 (it differs between probes).
            var combined = Combined(n, input);
            for (int d = 0; d < rank; d++) if (combined[d] == 1) remove.Add(d);
        }
        for (int p = 0; p < outShapes.Length; p++)
        {
            var dims = DimsAt(n, input, p);
            foreach (var d in remove)
                if (dims[d] != 1) throw n.Invalid($"cannot squeeze axis {d} of size {dims[d]}");
            outShapes[p] = new Shape(dims.Where((_, d) => !remove.Contains(d)).ToArray());
        }
        Finish(n, input, outShapes);
    }

    public static void Unsqueeze(NodeContext n)
    {
        long[] axes = n.Opset >= 13 ? n.StaticInts(1, "axes") : n.Proto.GetRequiredInts("axes");
        var input = n.Input(0);
        int outRank = Rank(n, 0) + axes.Length;
        var insert = axes.Select(a => StaticMath.Axis(a, outRank, n.Display)).ToHashSet();
        if (insert.Count != axes.Length) throw n.Invalid($"axes [{string.Join(",", axes)}] repeat an axis");
        var outShapes = new Shape[n.Context.Probes];
        for (int p = 0; p < outShapes.Length; p++)
        {
            var dims = DimsAt(n, input, p);
            var result = new int[outRank];
            for (int d = 0, k = 0; d < outRank; d++) result[d] = insert.Contains(d) ? 1 : dims[k++];
            outShapes[p] = new Shape(result);
        }
        Finish(n, input, outShapes);
    }

    public static void Transpose(NodeContext n)
    {
        int rank = Rank(n, 0);
        var perm = n.Proto.HasAttribute("perm")
            ? n.Proto.GetRequiredInts("perm").Select(v => (int)v).ToArray()
            : Enumerable.Range(0, rank).Reverse().ToArray();
        if (perm.Length != rank || !perm.Order().SequenceEqual(Enumerable.Range(0, rank)))
            throw n.Invalid($"perm [{string.Join(",", perm)}] is not a permutation of {rank} axes");
        if (n.Input(0) is StaticBinding)
        {
            var s = n.Static(0, "data");
            var outDims = perm.Select(p => s.Dims[p]).ToArray();
            var inStrides = Strides(s.Dims);
            var source = new int[s.Count];
            var index = new int[rank];
            for (int flat = 0; flat < source.Length; flat++)
            {
                int src = 0;
                for (int d = 0; d < rank; d++) src += index[d] * inStrides[perm[d]];
                source[flat] = src;
                for (int d = rank - 1; d >= 0; d--) { if (++index[d] < outDims[d]) break; index[d] = 0; }
            }
            n.SetStatic(0, s.Gather(outDims, source));
            return;
        }
        n.Emit(new TransposeOp(perm), n.Runtime(0).Value);
    }

    public static void Concat(NodeContext n)
    {
        if (n.InputCount == 0) throw n.Invalid("needs at least one input");
        long rawAxis = n.Proto.GetRequiredInt("axis");
        int rank = Rank(n, 0);
        int axis = StaticMath.Axis(rawAxis, Math.Max(rank, 1), n.Display);
        if (Enumerable.Range(0, n.InputCount).All(i => n.HasInput(i) && n.IsStatic(i)))
        {
            var parts = Enumerable.Range(0, n.InputCount).Select(i => n.Static(i, $"input {i}")).ToArray();
            var first = parts[0];
            foreach (var part in parts)
                if (part.Dims.Length != first.Dims.Length || part.Dims.Where((d, i) => i != axis && d != first.Dims[i]).Any() || part.IsInteger != first.IsInteger)
                    throw n.Invalid($"cannot concatenate {string.Join(" and ", parts.Select(x => x.ToString()))} along axis {axis}");
            var outDims = (int[])first.Dims.Clone();
            outDims[axis] = parts.Sum(x => x.Dims[axis]);
            long outer = StaticMath.Product(outDims.Take(axis)), inner = StaticMath.Product(outDims.Skip(axis + 1));
            int probes = n.Context.Probes;
            if (first.IsInteger)
            {
                var values = new long[probes][];
                for (int p = 0; p < probes; p++)
                {
                    var list = new List<long>();
                    for (long o = 0; o < outer; o++)
                        foreach (var part in parts)
                            list.AddRange(part.Ints![p].Skip((int)(o * part.Dims[axis] * inner)).Take((int)(part.Dims[axis] * inner)));
                    values[p] = list.ToArray();
                }
                n.SetStatic(0, StaticTensor.FromInts(first.Type, outDims, values));
            }
            else
            {
                var values = new double[probes][];
                for (int p = 0; p < probes; p++)
                {
                    var list = new List<double>();
                    for (long o = 0; o < outer; o++)
                        foreach (var part in parts)
                            list.AddRange(part.RealsAt(p).Skip((int)(o * part.Dims[axis] * inner)).Take((int)(part.Dims[axis] * inner)));
                    values[p] = list.ToArray();
                }
                n.SetStatic(0, StaticTensor.FromReals(first.Type, outDims, values));
            }
            return;
        }
        var inputs = Enumerable.Range(0, n.InputCount).Select(i => (Elide.Graph.Value?)n.Runtime(i).Value).ToArray();
        n.Emit(new ConcatOp(axis), inputs);
    }

    /// <summary>Split sizes: the 'split' attribute (opsets 2–12), input (13+), num_outputs (18+), else equal parts.</summary>
    public static void Split(NodeContext n)
    {
        var x = n.Runtime(0);
        int axis = StaticMath.Axis(n.Proto.GetInt("axis", 0), Math.Max(x.Rank, 1), n.Display);
        int length = x.Dims[axis];
        int outputs = n.OutputCount;
        long[]? sizes = n.Opset >= 13 ? (n.HasInput(1) ? n.StaticInts(1, "split") : null)
            : (n.Proto.HasAttribute("split") ? n.Proto.GetRequiredInts("split") : null);
        if (sizes is null)
        {
            if (length < 0) throw NodeContext.Unsupported("splitting the batch axis");
            if (n.Opset >= 18 && n.Proto.HasAttribute("num_outputs"))
            {
                long parts = n.Proto.GetRequiredInt("num_outputs");
                if (parts != outputs || parts < 1) throw n.Invalid($"num_outputs {parts} differs from the {outputs} outputs");
                long chunk = (length + parts - 1) / parts;
                sizes = Enumerable.Range(0, outputs).Select(i => Math.Max(0, Math.Min(chunk, length - i * chunk))).ToArray();
            }
            else
            {
                if (length % outputs != 0) throw n.Invalid($"axis {axis} of size {length} does not split into {outputs} equal parts");
                sizes = Enumerable.Repeat((long)(length / outputs), outputs).ToArray();
            }
        }
        if (sizes.Length != outputs) throw n.Invalid($"split has {sizes.Length} sizes for {outputs} outputs");
        if (sizes.Any(s => s < 0 || s > int.MaxValue)) throw n.Invalid($"invalid split sizes [{string.Join(",", sizes)}]");
        if (length < 0) throw NodeContext.Unsupported("splitting the batch axis");
        if (sizes.Sum() != length) throw n.Invalid($"split sizes [{string.Join(",", sizes)}] do not add up to {length}");
        n.EmitFinal(new SplitOp(axis, sizes.Select(s => (int)s).ToArray()), [x.Value], outputs);
    }

    /// <summary>
    /// Slice. Static data is sliced at import time (any steps). Run-time data: step 1 on each sliced axis, bounds
    /// known at import time; each sliced axis becomes a <see cref="SplitOp"/> with a start.
    /// </summary>
    public static void Slice(NodeContext n)
    {
        long[] starts, ends;
        long[]? axes, steps = null;
        if (n.Opset < 10)
        {
            starts = n.Proto.GetRequiredInts("starts");
            ends = n.Proto.GetRequiredInts("ends");
            axes = n.Proto.HasAttribute("axes") ? n.Proto.GetRequiredInts("axes") : null;
        }
        else
        {
            starts = n.StaticInts(1, "starts");
            ends = n.StaticInts(2, "ends");
            axes = n.HasInput(3) ? n.StaticInts(3, "axes") : null;
            steps = n.HasInput(4) ? n.StaticInts(4, "steps") : null;
        }
        var input = n.Input(0);
        int rank = Rank(n, 0);
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw n.Invalid("starts, ends, axes and steps must have the same length");
        var dims = Combined(n, input);
        var plan = new List<(int Axis, int Start, int Length, int Step)>();
        var seen = new HashSet<int>();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = StaticMath.Axis(axes[i], rank, n.Display);
            if (!seen.Add(axis)) throw n.Invalid($"axis {axis} is sliced twice");
            if (steps[i] == 0) throw n.Invalid("steps must not be 0");
            int dim = dims[axis];
            if (dim < 0)
            {
                // The batch: only a slice that keeps everything is possible without knowing its size.
                if (steps[i] == 1 && (starts[i] == 0 || starts[i] <= -(long)int.MaxValue) && ends[i] >= int.MaxValue) continue;
                throw NodeContext.Unsupported("slicing the batch axis");
            }
            var (start, count) = Bounds(starts[i], ends[i], steps[i], dim);
            if (steps[i] == 1 && start == 0 && count == dim) continue;
            plan.Add((axis, (int)start, (int)count, (int)steps[i]));
        }
        if (input is StaticBinding)
        {
            var s = n.Static(0, "data");
            var outDims = (int[])s.Dims.Clone();
            foreach (var a in plan) outDims[a.Axis] = a.Length;
            var strides = Strides(s.Dims);
            var source = new int[StaticMath.Product(outDims)];
            var index = new int[rank];
            for (int flat = 0; flat < source.Length; flat++)
            {
                int src = 0;
                for (int d = 0; d < rank; d++)
                {
                    int i = index[d];
                    foreach (var a in plan) if (a.Axis == d) i = a.Start + i * a.Step;
                    src += i * strides[d];
                }
                source[flat] = src;
                for (int d = rank - 1; d >= 0; d--) { if (++index[d] < outDims[d]) break; index[d] = 0; }
            }
            n.SetStatic(0, s.Gather(outDims, source));
            return;
        }
        var x = n.Runtime(0);
        if (plan.Any(a => a.Step != 1)) throw NodeContext.Unsupported($"steps [{string.Join(",", steps)}] on run-time data (only step 1)");
        if (plan.Count == 0)
        {
            n.SetRuntime(0, x);
            return;
        }
        for (int i = 0; i < plan.Count; i++)
        {
            var op = new SplitOp(plan[i].Axis, [plan[i].Length]) { Start = plan[i].Start };
            x = i == plan.Count - 1 ? n.Emit(op, x.Value) : n.EmitHelper(op, x.Value);
        }
    }

    /// <summary>ONNX Slice bounds on one axis: negative values count from the end, then clamp (to [0, dim] for positive steps, [−1, dim−1] for negative).</summary>
    private static (long Start, long Count) Bounds(long start, long end, long step, int dim)
    {
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
            return (start, Math.Max(0, (end - start + step - 1) / step));
        }
        start = Math.Clamp(start, -1, dim - 1);
        end = Math.Clamp(end, -1, dim - 1);
        return (start, Math.Max(0, (start - end + (-step) - 1) / (-step)));
    }

    /// <summary>Gather on static data; on run-time data with one static index (a scalar drops the axis).</summary>
    public static void Gather(NodeContext n)
    {
        int rank = Rank(n, 0);
        int axis = StaticMath.Axis(n.Proto.GetInt("axis", 0), Math.Max(rank, 1), n.Display);
        var indices = n.Static(1, "indices");
        if (!indices.IsInteger) throw n.Invalid($"indices must be integers, got {indices.Type}");
        if (indices.AnyVariesWithBatch) throw NodeContext.Unsupported("indices depend on the batch size");
        var input = n.Input(0);
        var dims = Combined(n, input);
        int dim = dims[axis];
        var idx = indices.Ints![0].Select(i =>
        {
            if (dim < 0) throw NodeContext.Unsupported("gathering along the batch axis");
            long v = i < 0 ? i + dim : i;
            if (v < 0 || v >= dim) throw n.Invalid($"index {i} is out of range for axis {axis} of size {dim}");
            return (int)v;
        }).ToArray();
        if (input is StaticBinding)
        {
            var s = n.Static(0, "data");
            var outDims = s.Dims.Take(axis).Concat(indices.Dims).Concat(s.Dims.Skip(axis + 1)).ToArray();
            long outer = StaticMath.Product(s.Dims.Take(axis)), inner = StaticMath.Product(s.Dims.Skip(axis + 1));
            var source = new List<int>();
            for (long o = 0; o < outer; o++)
                foreach (var k in idx)
                    for (long r = 0; r < inner; r++) source.Add((int)((o * dim + k) * inner + r));
            n.SetStatic(0, s.Gather(outDims, source.ToArray()));
            return;
        }
        var x = n.Runtime(0);
        if (indices.Count != 1 || indices.Dims.Length > 1) throw NodeContext.Unsupported($"indices of shape [{string.Join(",", indices.Dims)}] on run-time data (one index only)");
        var op = new SplitOp(axis, [1]) { Start = idx[0] };
        if (indices.Dims.Length == 1)
        {
            n.Emit(op, x.Value);
            return;
        }
        var picked = n.EmitHelper(op, x.Value);
        n.EmitReshape(picked, picked.ProbeShapes.Select(s => new Shape(s.Where((_, d) => d != axis).ToArray())).ToArray(), final: true);
    }

    private static int Rank(NodeContext n, int i) => n.Input(i) switch
    {
        RuntimeBinding r => r.Rank,
        StaticBinding s => s.Dims.Length,
        PendingPadBinding p => p.Source.Rank,
        _ => throw n.Invalid($"input {i} is not available"),
    };

    private static int[] DimsAt(NodeContext n, Binding b, int probe) => b switch
    {
        RuntimeBinding r => r.ProbeShapes[probe].ToArray(),
        StaticBinding s => s.Dims,
        _ => throw n.Invalid("input is not available"),
    };

    private static int[] Combined(NodeContext n, Binding b) => b switch
    {
        RuntimeBinding r => r.Dims,
        StaticBinding s => s.Dims,
        _ => throw n.Invalid("input is not available"),
    };

    /// <summary>Static results must have the same shape in every probe.</summary>
    private static int[] StaticShape(NodeContext n, Shape[] probes)
    {
        var dims = ImportContext.Combine(probes);
        if (dims.Any(d => d < 0)) throw NodeContext.Unsupported("a constant whose shape depends on the batch size");
        return dims;
    }

    /// <summary>Binds a reshaped static value, or emits a Reshape of a run-time one.</summary>
    private static void Finish(NodeContext n, Binding input, Shape[] outShapes)
    {
        if (input is StaticBinding)
        {
            n.SetStatic(0, n.Static(0, "data").WithDims(StaticShape(n, outShapes)));
            return;
        }
        n.EmitReshape(n.Runtime(0), outShapes, final: true);
    }

    private static int[] Strides(int[] dims)
    {
        var strides = new int[dims.Length];
        for (int d = dims.Length - 1, s = 1; d >= 0; d--) { strides[d] = s; s *= dims[d]; }
        return strides;
    }
}
