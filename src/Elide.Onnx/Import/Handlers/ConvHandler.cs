using Elide.Graph;
using Elide.Ops;

namespace Elide.Onnx.Import.Handlers;

/// <summary>ONNX Conv (opset 1–21) → <see cref="ConvOp"/>; a preceding constant-zero Pad is folded into the pads.</summary>
internal static class ConvHandler
{
    public static void Conv(NodeContext n)
    {
        RuntimeBinding x;
        int[]? padBefore = null;
        if (n.Input(0) is PendingPadBinding pending)
        {
            x = pending.Source;
            padBefore = pending.Pads;
        }
        else x = n.Runtime(0);
        Spatial.Require2d(x, "convolution");
        Value w = n.Constant(1, "Conv weights");
        var ws = w.Constant!.Shape;
        if (ws.Rank != 4) throw n.Invalid($"weights have shape {ws}; a 2-D convolution needs [M, C/group, kH, kW]");
        int[] kernel = [ws[2], ws[3]];
        if (n.Proto.HasAttribute("kernel_shape"))
        {
            var k = Spatial.Ints(n, "kernel_shape", 2, 0);
            if (k[0] != kernel[0] || k[1] != kernel[1]) throw n.Invalid($"kernel_shape [{k[0]},{k[1]}] does not match the weights {ws}");
        }
        var strides = Spatial.Ints(n, "strides", 2, 1);
        var dilations = Spatial.Ints(n, "dilations", 2, 1);
        int group = checked((int)n.Proto.GetInt("group", 1));

        var dims = x.Dims;
        int[] spatial = [dims[2], dims[3]];
        int[] extra = new int[4];
        if (padBefore is not null)
        {
            // Pad's layout is [begin per axis..., end per axis...] over N, C, H, W.
            if (padBefore[0] != 0 || padBefore[1] != 0 || padBefore[4] != 0 || padBefore[5] != 0)
                throw NodeContext.Unsupported("the Pad feeding this Conv pads the batch or channel axis");
            extra = [padBefore[2], padBefore[3], padBefore[6], padBefore[7]];
            for (int d = 0; d < 2; d++) if (spatial[d] >= 0) spatial[d] += extra[d] + extra[d + 2];
        }
        var pads = Spatial.Pads(n, spatial, kernel, strides, dilations);
        for (int i = 0; i < 4; i++) pads[i] += extra[i];
        var op = new ConvOp
        {
            Strides = (strides[0], strides[1]),
            Dilations = (dilations[0], dilations[1]),
            Pads = (pads[0], pads[1], pads[2], pads[3]),
            Group = group,
        };
        Value? bias = n.HasInput(2) ? n.Constant(2, "Conv bias") : null;
        n.Emit(op, bias is null ? [x.Value, w] : [x.Value, w, bias]);
    }
}
