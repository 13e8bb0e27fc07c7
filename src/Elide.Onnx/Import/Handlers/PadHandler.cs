namespace Elide.Onnx.Import.Handlers;

/// <summary>
/// ONNX Pad. Elide has no Pad op: constant-mode zero padding is left pending and folded into the pads of the Conv
/// that reads it (how PyTorch exports explicit padding such as ZeroPad2d in front of a convolution).
/// </summary>
internal static class PadHandler
{
    public static void Pad(NodeContext n)
    {
        string mode = n.Proto.GetString("mode", "constant");
        if (mode != "constant") throw NodeContext.Unsupported($"mode '{mode}' (only constant zero padding folded into a Conv)");
        long[] pads;
        double value;
        int rank = n.Input(0) switch { RuntimeBinding r => r.Rank, StaticBinding s => s.Dims.Length, _ => throw n.Invalid("input is not available") };
        if (n.Opset < 11)
        {
            pads = n.Proto.GetRequiredInts("pads");
            value = n.Proto.GetFloat("value", 0f);
        }
        else
        {
            pads = n.StaticInts(1, "pads");
            value = n.HasInput(2) ? n.StaticReals(2, "constant_value").Single() : 0;
            if (n.Opset >= 18 && n.HasInput(3))
            {
                // axes: pads holds begin/end for these axes only.
                var axes = n.StaticInts(3, "axes").Select(a => StaticMath.Axis(a, rank, n.Display)).ToArray();
                if (pads.Length != 2 * axes.Length) throw n.Invalid($"pads has {pads.Length} values for {axes.Length} axes");
                var full = new long[2 * rank];
                for (int i = 0; i < axes.Length; i++) { full[axes[i]] = pads[i]; full[rank + axes[i]] = pads[axes.Length + i]; }
                pads = full;
            }
        }
        if (pads.Length != 2 * rank) throw n.Invalid($"pads has {pads.Length} values for a rank-{rank} input");
        if (value != 0) throw NodeContext.Unsupported($"constant value {value} (only zero padding folded into a Conv)");
        if (pads.Any(p => p < 0)) throw NodeContext.Unsupported("negative pads (cropping)");
        if (pads.Any(p => p > 1 << 20)) throw n.Invalid($"pads [{string.Join(",", pads)}] are implausibly large");
        var x = n.Runtime(0);
        if (pads.All(p => p == 0))
        {
            n.SetRuntime(0, x);
            return;
        }
        if (rank != 4) throw NodeContext.Unsupported($"padding a rank-{rank} tensor (only NCHW padding folded into a Conv)");
        n.SetRuntime(0, new PendingPadBinding(x, pads.Select(p => (int)p).ToArray(), n.Proto.Name.Length > 0 ? n.Proto.Name : n.GraphName));
    }
}
