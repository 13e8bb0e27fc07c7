using Elide.Graph;
using Elide.Kernels;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Planning;

/// <summary>
/// Rewrites applied once before planning, each one a small pattern match on a single-consumer chain:
/// constant folding; BatchNorm folded into the preceding convolution (W′ = W·a, b′ = b·a + c per output channel);
/// Conv + Add fused into a residual convolution; Conv/Gemm/Add + activation fused. None changes results beyond
/// float rounding (tested to 1e-5 relative).
/// </summary>
public static class GraphOptimizer
{
    /// <summary>Which rewrites to apply (all by default).</summary>
    public sealed record Options(bool FoldConstants = true, bool FoldBatchNorm = true, bool FuseResidual = true, bool FuseActivation = true);

    /// <summary>Returns an optimized copy of <paramref name="graph"/> (the original is not modified).</summary>
    public static ComputeGraph Optimize(ComputeGraph graph, Options? options = null)
    {
        options ??= new Options();
        var g = graph.Clone();
        if (options.FoldConstants) FoldConstants(g);
        if (options.FoldBatchNorm) FoldBatchNorms(g);
        if (options.FuseResidual) FuseResidualAdds(g);
        if (options.FuseActivation) FuseActivations(g);
        g.RemoveUnused();
        return g;
    }

    /// <summary>Evaluates every node whose inputs are all constants and replaces its outputs with constants.</summary>
    public static void FoldConstants(ComputeGraph g)
    {
        foreach (var n in g.TopologicalOrder())
        {
            if (n.Inputs.Length == 0 || n.Inputs.Any(v => v is { IsConstant: false })) continue;
            var ins = n.Inputs.Select(v => v?.Constant).ToArray();
            var outShapes = n.Op.InferShapes(n, ins.Select(t => t?.Shape).ToArray());
            var outs = outShapes.Select(s => new Tensor(s)).ToArray();
            n.Op.Evaluate(n, ins, outs);
            for (int i = 0; i < outs.Length; i++)
            {
                var folded = g.AddConstant(g.UniqueName(n.Outputs[i].Name + "_folded"), outs[i]);
                Replace(g, n.Outputs[i], folded);
            }
        }
        g.RemoveUnused();
    }

    private static void Replace(ComputeGraph g, Value old, Value replacement)
    {
        foreach (var consumer in g.Consumers(old).ToList())
            consumer.Inputs = consumer.Inputs.Select(v => v == old ? replacement : v).ToArray();
        g.ReplaceOutput(old, replacement);
    }

    private static Dictionary<Value, int> ConsumerCounts(ComputeGraph g)
    {
        var counts = new Dictionary<Value, int>();
        foreach (var n in g.Nodes)
            foreach (var v in n.Inputs)
                if (v is not null) counts[v] = counts.GetValueOrDefault(v) + 1;
        foreach (var v in g.Outputs) counts[v] = counts.GetValueOrDefault(v) + 1000; // graph outputs are never fused away
        return counts;
    }

    /// <summary>True when <paramref name="v"/> is produced by an op of type T and read only once.</summary>
    private static bool SoleUse<T>(Value v, Dictionary<Value, int> counts, out Node producer, out T op) where T : Op
    {
        producer = v.Producer!;
        op = null!;
        if (v.Producer is not { Op: T t } p || counts.GetValueOrDefault(v) != 1) return false;
        producer = p;
        op = t;
        return true;
    }

    /// <summary>Conv → BatchNormalization becomes one Conv with rescaled weights and a bias.</summary>
    public static void FoldBatchNorms(ComputeGraph g)
    {
        var counts = ConsumerCounts(g);
        foreach (var bn in g.TopologicalOrder().Where(n => n.Op is BatchNormOp).ToList())
        {
            var bnOp = (BatchNormOp)bn.Op;
            if (bn.Inputs.Skip(1).Any(v => v is not { IsConstant: true })) continue;
            if (!SoleUse<ConvOp>(bn.Input(0), counts, out var conv, out var convOp)) continue;
            if (convOp.HasResidual || convOp.Activation.Kind != ActivationKind.None || !conv.Input(1).IsConstant) continue;
            if (conv.OptionalInput(2) is { IsConstant: false }) continue;

            var (mul, add) = bnOp.ToAffine(bn.Input(1).Constant!, bn.Input(2).Constant!, bn.Input(3).Constant!, bn.Input(4).Constant!);
            var w = conv.Input(1).Constant!;
            int m = w.Shape[0];
            int per = w.Length / m;
            var folded = new float[w.Length];
            for (int oc = 0; oc < m; oc++)
                for (int i = 0; i < per; i++) folded[oc * per + i] = w.Data[oc * per + i] * mul[oc];
            var oldBias = conv.OptionalInput(2)?.Constant;
            var bias = new float[m];
            for (int oc = 0; oc < m; oc++) bias[oc] = (oldBias?.Data[oc] ?? 0f) * mul[oc] + add[oc];

            var wv = g.AddConstant(g.UniqueName(conv.Name + "_W_bn"), new Tensor(w.Shape, folded));
            var bv = g.AddConstant(g.UniqueName(conv.Name + "_B_bn"), new Tensor(new Shape(m), bias));
            conv.Inputs = [conv.Input(0), wv, bv];
            var bnOut = bn.Outputs[0];
            g.RemoveNode(bn);
            g.TakeOverOutput(conv, 0, bnOut);
        }
        g.RemoveUnused();
    }

    /// <summary>Add(Conv(x), r) with equal shapes becomes Conv(x) with residual r (the ResNet shortcut).</summary>
    public static void FuseResidualAdds(ComputeGraph g)
    {
        var counts = ConsumerCounts(g);
        var order = g.TopologicalOrder();
        var position = order.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i);
        // Free dimensions (the batch) are bound to 1: elementwise equality of the other dimensions is what matters.
        var shapes = g.InferShapes(g.Inputs.Select(i => new Shape(i.Shape!.Select(d => d < 0 ? 1 : d).ToArray())).ToList());
        foreach (var add in order.Where(n => n.Op is BinaryOp { Operation: BinaryOperation.Add, Activation.Kind: ActivationKind.None }).ToList())
        {
            // Prefer the convolution that runs later, so the other operand is already computed when it runs.
            var candidates = new[] { 0, 1 }
                .Where(i => SoleUse<ConvOp>(add.Input(i), counts, out _, out var op) && !op.HasResidual && op.Activation.Kind == ActivationKind.None)
                .OrderByDescending(i => position[add.Input(i).Producer!])
                .ToList();
            foreach (int i in candidates)
            {
                var conv = add.Input(i).Producer!;
                var other = add.Input(1 - i);
                if (other.Producer == conv || other.IsConstant) continue;
                if (!SameShape(add.Input(i), other, shapes)) continue;
                var op = (ConvOp)conv.Op;
                var bias = conv.OptionalInput(2);
                conv.Op = new ConvOp
                {
                    Strides = op.Strides, Pads = op.Pads, Dilations = op.Dilations, Group = op.Group,
                    Activation = op.Activation, HasResidual = true,
                };
                conv.Inputs = [conv.Input(0), conv.Input(1), bias, other];
                var addOut = add.Outputs[0];
                g.RemoveNode(add);
                g.TakeOverOutput(conv, 0, addOut);
                break;
            }
        }
        g.RemoveUnused();
    }

    private static bool SameShape(Value a, Value b, Dictionary<Value, Shape> shapes) => shapes[a].Equals(shapes[b]);

    /// <summary>Conv / Gemm / elementwise followed by an activation becomes one node.</summary>
    public static void FuseActivations(ComputeGraph g)
    {
        var counts = ConsumerCounts(g);
        foreach (var act in g.TopologicalOrder().Where(n => n.Op is ActivationOp).ToList())
        {
            var a = ((ActivationOp)act.Op).Activation;
            if (a.Kind == ActivationKind.None) continue;
            var src = act.Input(0);
            if (counts.GetValueOrDefault(src) != 1 || src.Producer is not { } p) continue;
            Op? fused = p.Op switch
            {
                ConvOp c when c.Activation.Kind == ActivationKind.None => new ConvOp
                {
                    Strides = c.Strides, Pads = c.Pads, Dilations = c.Dilations, Group = c.Group,
                    HasResidual = c.HasResidual, Activation = a,
                },
                GemmOp m when m.Activation.Kind == ActivationKind.None => new GemmOp
                {
                    TransA = m.TransA, TransB = m.TransB, Alpha = m.Alpha, Beta = m.Beta, Activation = a,
                },
                BinaryOp b when b.Activation.Kind == ActivationKind.None => new BinaryOp(b.Operation) { Activation = a },
                _ => null,
            };
            if (fused is null) continue;
            p.Op = fused;
            var actOut = act.Outputs[0];
            g.RemoveNode(act);
            g.TakeOverOutput(p, 0, actOut);
        }
        g.RemoveUnused();
    }
}
