using Elide.Graph;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Planning;

/// <summary>
/// Decides whether a batched plan should run as a sequence of smaller batches (depth-first over the network).
/// </summary>
/// <remarks>
/// Layer by layer over a whole batch, every activation tensor of a CIFAR ResNet at batch 64 is 3 MiB: each layer
/// streams its input, residual and output through L3, and the phase-image copy and the fused residual store wait
/// on memory. Running the same steps on one image at a time keeps the whole arena (≈ 250 KiB for ResNet-20) in L2;
/// on one thread that is faster per image than the full batch (0.38 ms vs 0.42 ms per ResNet-20 image on Zen 5).
/// It is only done when every sample is provably computed on its own: each op is one known to be per-sample and
/// every runtime value keeps the batch as its leading dimension at both batch sizes.
/// </remarks>
internal static class MicroBatching
{
    /// <summary>
    /// The batch size to run <paramref name="inputShapes"/> in, or 0 to run the whole batch at once. On one thread
    /// the slices run one after another; with more threads (and at least as many images), each thread runs its own
    /// share of slices through its own copy of the slice plan (<see cref="ExecutionPlan.SliceStreamCount"/>), rather
    /// than every layer fanning the whole batch out (two independent ResNet-20 streams on a Zen 5 ran 2,869 images/s
    /// each, against 4,254 for the whole batch split layer by layer over both threads). Multi-input or multi-output
    /// models slice on one thread only.
    /// </summary>
    public static int Choose(ComputeGraph graph, IReadOnlyList<Shape> inputShapes, int threads)
    {
        const int slice = 1;
        if (inputShapes.Count == 0 || graph.Outputs.Count == 0) return 0;
        if (threads != 1 && (inputShapes.Count != 1 || graph.Outputs.Count != 1)) return 0;
        int batch = inputShapes[0].Rank == 0 ? -1 : inputShapes[0][0];
        if (batch <= slice) return 0;
        foreach (var s in inputShapes)
            if (s.Rank == 0 || s[0] != batch) return 0;
        Dictionary<Value, Shape> full, sliced;
        try
        {
            full = graph.InferShapes(inputShapes);
            sliced = graph.InferShapes(inputShapes.Select(s => s.With(0, slice)).ToList());
        }
        catch (GraphException)
        {
            return 0;
        }
        foreach (var (value, shape) in full)
        {
            if (value.IsConstant) continue;
            if (!sliced.TryGetValue(value, out var small) || shape.Rank == 0 || shape[0] != batch
                || small.Rank != shape.Rank || small[0] != slice)
                return 0;
            for (int axis = 1; axis < shape.Rank; axis++)
                if (small[axis] != shape[axis]) return 0;
        }
        return graph.Nodes.All(n => IsPerSample(n, full)) ? slice : 0;
    }

    /// <summary>True when the node computes sample n of its outputs from sample n of its runtime inputs only.</summary>
    private static bool IsPerSample(Node node, Dictionary<Value, Shape> shapes)
    {
        int rank = shapes[node.Outputs[0]].Rank;
        // A constant operand broadcasts over the batch when it does not reach the leading axis (or it is 1 there).
        bool constantsBroadcast = node.Inputs.All(v => v is null || !v.IsConstant
            || v.Constant!.Shape.Rank < rank || v.Constant.Shape[0] == 1);
        return node.Op switch
        {
            ConvOp or ActivationOp or UnaryOp or BatchNormOp or GlobalPoolOp or PoolOp or IdentityOp => true,
            FlattenOp f => f.Axis >= 1,
            // Keeping the leading dimension (checked by shape) keeps each sample's contiguous block in place.
            ReshapeOp => true,
            BinaryOp => constantsBroadcast,
            // Y = A·B (+ C): rows of A are samples when B and C are weights.
            GemmOp g => !g.TransA && node.Inputs.Skip(1).All(v => v is null || v.IsConstant),
            SoftmaxOp s => node.Inputs[0] is { } x && shapes[x].NormalizeAxis(s.Axis) != 0,
            _ => false,
        };
    }
}
