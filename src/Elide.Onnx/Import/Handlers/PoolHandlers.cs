using Elide.Ops;

namespace Elide.Onnx.Import.Handlers;

/// <summary>ONNX MaxPool, AveragePool (→ <see cref="PoolOp"/>) and the global pools (→ <see cref="GlobalPoolOp"/>).</summary>
internal static class PoolHandlers
{
    public static void MaxPool(NodeContext n)
    {
        if (n.HasOutput(1)) throw NodeContext.Unsupported("the Indices output");
        // dilations and ceil_mode exist from opset 10 on; storage_order only concerns Indices.
        Pool(n, PoolKind.Max, dilationsAllowed: n.Opset >= 10);
    }

    public static void AveragePool(NodeContext n) => Pool(n, PoolKind.Average, dilationsAllowed: false);

    private static void Pool(NodeContext n, PoolKind kind, bool dilationsAllowed)
    {
        var x = n.Runtime(0);
        Spatial.Require2d(x, kind == PoolKind.Max ? "max pooling" : "average pooling");
        var kernel = n.Proto.HasAttribute("kernel_shape") ? Spatial.Ints(n, "kernel_shape", 2, 0) : throw n.Invalid("attribute 'kernel_shape' is required");
        var strides = Spatial.Ints(n, "strides", 2, 1);
        var dilations = Spatial.Ints(n, "dilations", 2, 1);
        if (!dilationsAllowed && n.Proto.HasAttribute("dilations") && dilations.Any(d => d != 1))
            throw NodeContext.Unsupported($"dilations [{dilations[0]},{dilations[1]}]");
        if (kernel.Any(k => k < 1) || strides.Any(s => s < 1) || dilations.Any(d => d < 1))
            throw n.Invalid("kernel_shape, strides and dilations must be ≥ 1");
        var dims = x.Dims;
        var pads = Spatial.Pads(n, [dims[2], dims[3]], kernel, strides, dilations);
        bool ceil = n.Opset >= 10 && n.Proto.GetInt("ceil_mode", 0) != 0;
        bool includePad = kind == PoolKind.Average && n.Opset >= 7 && n.Proto.GetInt("count_include_pad", 0) != 0;
        if (pads[0] >= kernel[0] || pads[2] >= kernel[0] || pads[1] >= kernel[1] || pads[3] >= kernel[1])
            throw NodeContext.Unsupported($"pads [{string.Join(",", pads)}] not smaller than the kernel [{kernel[0]},{kernel[1]}]");
        n.Emit(new PoolOp
        {
            Kind = kind,
            Kernel = (kernel[0], kernel[1]),
            Strides = (strides[0], strides[1]),
            Dilations = (dilations[0], dilations[1]),
            Pads = (pads[0], pads[1], pads[2], pads[3]),
            CeilMode = ceil,
            CountIncludePad = includePad,
        }, x.Value);
    }

    public static void GlobalAveragePool(NodeContext n) => Global(n, PoolKind.Average);

    public static void GlobalMaxPool(NodeContext n) => Global(n, PoolKind.Max);

    private static void Global(NodeContext n, PoolKind kind)
    {
        var x = n.Runtime(0);
        if (x.Rank < 3) throw n.Invalid($"expects [N, C, spatial...], got rank {x.Rank}");
        n.Emit(new GlobalPoolOp(kind), x.Value);
    }
}
