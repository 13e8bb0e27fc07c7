using Elide.Ops;
using Elide.Tensors;

namespace Elide.Onnx.Import.Handlers;

/// <summary>Softmax and LogSoftmax → <see cref="SoftmaxOp"/> (opset-13 semantics: one axis).</summary>
internal static class SoftmaxHandlers
{
    public static void Softmax(NodeContext n)
    {
        var x = n.Runtime(0);
        int axis = StaticMath.Axis(n.Proto.GetInt("axis", -1), Math.Max(x.Rank, 1), n.Display);
        n.Emit(new SoftmaxOp(axis, n.Proto.OpType == "LogSoftmax"), x.Value);
    }

    /// <summary>
    /// Opsets 1–12 coerce the input to 2-D [d0·…·d(axis−1), d(axis)·…·dn] and normalize each row (axis defaults to 1).
    /// That equals the one-axis form when every dimension after <c>axis</c> is 1; otherwise it is emitted as
    /// Flatten(axis) → Softmax(axis 1) → Reshape back.
    /// </summary>
    public static void Legacy(NodeContext n)
    {
        var x = n.Runtime(0);
        bool log = n.Proto.OpType == "LogSoftmax";
        int rank = x.Rank;
        long rawAxis = n.Proto.GetInt("axis", 1);
        int axis = rawAxis < 0 ? (int)(rawAxis + rank) : (int)rawAxis;
        if (axis < 0 || axis > rank) throw n.Invalid($"axis {rawAxis} is out of range for rank {rank}");
        var dims = x.Dims;
        if (axis < rank && dims.Skip(axis + 1).All(d => d == 1))
        {
            n.Emit(new SoftmaxOp(axis, log), x.Value);
            return;
        }
        var flat = n.EmitHelper(new FlattenOp(axis), x.Value);
        var soft = n.EmitHelper(new SoftmaxOp(1, log), flat.Value);
        n.EmitReshape(soft, x.ProbeShapes, final: true);
    }
}
