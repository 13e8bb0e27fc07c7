using Elide.Ops;

namespace Elide.Onnx.Import.Handlers;

/// <summary>ONNX BatchNormalization in inference mode → <see cref="BatchNormOp"/>.</summary>
internal static class NormalizationHandlers
{
    /// <summary>Opsets 6–8: is_test is irrelevant for inference; spatial = 0 (per-element statistics) is not supported.</summary>
    public static void BatchNormalization6(NodeContext n)
    {
        if (n.Proto.GetInt("spatial", 1) != 1) throw NodeContext.Unsupported("spatial = 0 (per-activation statistics)");
        Convert(n);
    }

    /// <summary>Opset 9+: training_mode (opset 14+) must be 0; the running-statistics outputs are training only.</summary>
    public static void BatchNormalization(NodeContext n)
    {
        if (n.Opset >= 14 && n.Proto.GetInt("training_mode", 0) != 0) throw NodeContext.Unsupported("training_mode = 1");
        Convert(n);
    }

    private static void Convert(NodeContext n)
    {
        for (int i = 1; i < n.OutputCount; i++)
            if (n.HasOutput(i)) throw NodeContext.Unsupported("training outputs (mean, var, saved statistics)");
        var x = n.Runtime(0);
        if (x.Rank < 2) throw n.Invalid($"expects [N, C, ...], got rank {x.Rank}");
        var op = new BatchNormOp { Epsilon = n.Proto.GetFloat("epsilon", 1e-5f) };
        n.Emit(op, x.Value, n.Constant(1, "scale"), n.Constant(2, "B"), n.Constant(3, "mean"), n.Constant(4, "var"));
    }
}
