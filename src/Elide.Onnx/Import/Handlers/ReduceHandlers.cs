using Elide.Ops;
using Elide.Tensors;

namespace Elide.Onnx.Import.Handlers;

/// <summary>ONNX ReduceMean over every spatial axis → <see cref="GlobalPoolOp"/> (+ Reshape when keepdims = 0).</summary>
internal static class ReduceHandlers
{
    public static void ReduceMean(NodeContext n)
    {
        var x = n.Runtime(0);
        long[]? axes = n.Opset >= 18
            ? (n.HasInput(1) ? n.StaticInts(1, "axes") : null)
            : (n.Proto.HasAttribute("axes") ? n.Proto.GetRequiredInts("axes") : null);
        if (axes is { Length: 0 }) axes = null;
        bool keep = n.Proto.GetInt("keepdims", 1) != 0;
        if (axes is null && n.Opset >= 18 && n.Proto.GetInt("noop_with_empty_axes", 0) != 0)
        {
            n.SetRuntime(0, x);
            return;
        }
        int rank = x.Rank;
        var set = axes?.Select(a => StaticMath.Axis(a, rank, n.Display)).Distinct().Order().ToArray() ?? Enumerable.Range(0, rank).ToArray();
        if (rank < 3 || !set.SequenceEqual(Enumerable.Range(2, rank - 2)))
            throw NodeContext.Unsupported($"ReduceMean over axes [{string.Join(",", set)}] of a rank-{rank} tensor (only all spatial axes 2..{rank - 1} are supported)");
        if (keep)
        {
            n.Emit(new GlobalPoolOp(PoolKind.Average), x.Value);
            return;
        }
        var pooled = n.EmitHelper(new GlobalPoolOp(PoolKind.Average), x.Value);
        n.EmitReshape(pooled, pooled.ProbeShapes.Select(s => new Shape(s[0], s[1])).ToArray(), final: true);
    }
}
