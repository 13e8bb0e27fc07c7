using Elide.Onnx.Import.Handlers;

namespace Elide.Onnx.Import;

/// <summary>Converts one ONNX node (see <see cref="NodeContext"/>).</summary>
internal delegate void OpHandler(NodeContext node);

/// <summary>
/// The importer's table: for each ONNX operator (default domain), which handler converts it at which opsets.
/// Ranges follow the operator's version history in the ONNX spec (docs/Changelog.md): a new entry starts where
/// the operator's signature or semantics changed. Opsets above <see cref="MaxOpset"/> are not claimed.
/// </summary>
internal static class OpTable
{
    /// <summary>The newest opset the table was checked against.</summary>
    public const int MaxOpset = 21;

    public sealed record Entry(string OpType, int FromOpset, int ToOpset, OpHandler Handler, string Notes = "");

    public static readonly Entry[] Entries =
    [
        // Convolution and normalization
        new("Conv", 1, MaxOpset, ConvHandler.Conv, "2-D only; weights and bias must be constant"),
        new("BatchNormalization", 6, 6, NormalizationHandlers.BatchNormalization6, "inference; spatial = 1"),
        new("BatchNormalization", 7, 8, NormalizationHandlers.BatchNormalization6, "inference; spatial = 1"),
        new("BatchNormalization", 9, MaxOpset, NormalizationHandlers.BatchNormalization, "inference (training_mode = 0)"),
        // Activations
        new("Relu", 6, MaxOpset, ActivationHandlers.Relu),
        new("LeakyRelu", 6, MaxOpset, ActivationHandlers.LeakyRelu),
        new("Clip", 6, 10, ActivationHandlers.ClipAttributes),
        new("Clip", 11, MaxOpset, ActivationHandlers.ClipInputs, "min and max must be constant"),
        new("Sigmoid", 6, MaxOpset, ActivationHandlers.Sigmoid),
        new("Tanh", 6, MaxOpset, ActivationHandlers.Tanh),
        new("HardSigmoid", 6, MaxOpset, ActivationHandlers.HardSigmoid),
        new("HardSwish", 14, MaxOpset, ActivationHandlers.HardSwish),
        // Pointwise math (folded at import time on static data)
        new("Abs", 6, MaxOpset, ActivationHandlers.Unary),
        new("Neg", 6, MaxOpset, ActivationHandlers.Unary),
        new("Sqrt", 6, MaxOpset, ActivationHandlers.Unary),
        new("Reciprocal", 6, MaxOpset, ActivationHandlers.Unary),
        new("Exp", 6, MaxOpset, ActivationHandlers.Unary),
        new("Log", 6, MaxOpset, ActivationHandlers.Unary),
        // Elementwise arithmetic (folded at import time when every input is static)
        new("Add", 6, 6, ElementwiseHandlers.LegacyBroadcast, "legacy broadcast/axis attributes"),
        new("Sub", 6, 6, ElementwiseHandlers.LegacyBroadcast, "legacy broadcast/axis attributes"),
        new("Mul", 6, 6, ElementwiseHandlers.LegacyBroadcast, "legacy broadcast/axis attributes"),
        new("Div", 6, 6, ElementwiseHandlers.LegacyBroadcast, "legacy broadcast/axis attributes"),
        new("Add", 7, MaxOpset, ElementwiseHandlers.Binary),
        new("Sub", 7, MaxOpset, ElementwiseHandlers.Binary),
        new("Mul", 7, MaxOpset, ElementwiseHandlers.Binary),
        new("Div", 7, MaxOpset, ElementwiseHandlers.Binary),
        new("Max", 6, MaxOpset, ElementwiseHandlers.Variadic),
        new("Min", 6, MaxOpset, ElementwiseHandlers.Variadic),
        new("PRelu", 6, 6, ElementwiseHandlers.PRelu6, "a 1-D slope is per channel"),
        new("PRelu", 7, MaxOpset, ElementwiseHandlers.Binary, "slope must broadcast to the input's shape"),
        // Pooling
        new("MaxPool", 1, MaxOpset, PoolHandlers.MaxPool, "2-D; single output (no Indices)"),
        new("AveragePool", 1, MaxOpset, PoolHandlers.AveragePool, "2-D; dilations 1"),
        new("GlobalAveragePool", 1, MaxOpset, PoolHandlers.GlobalAveragePool),
        new("GlobalMaxPool", 1, MaxOpset, PoolHandlers.GlobalMaxPool),
        new("ReduceMean", 1, 17, ReduceHandlers.ReduceMean, "over all spatial axes (→ GlobalAveragePool)"),
        new("ReduceMean", 18, MaxOpset, ReduceHandlers.ReduceMean, "over all spatial axes (→ GlobalAveragePool)"),
        // Linear algebra
        new("Gemm", 6, MaxOpset, LinearHandlers.Gemm, "C must be constant"),
        new("MatMul", 1, MaxOpset, LinearHandlers.MatMul),
        new("Softmax", 1, 12, SoftmaxHandlers.Legacy, "2-D coercion expressed with Flatten/Reshape"),
        new("LogSoftmax", 1, 12, SoftmaxHandlers.Legacy, "2-D coercion expressed with Flatten/Reshape"),
        new("Softmax", 13, MaxOpset, SoftmaxHandlers.Softmax),
        new("LogSoftmax", 13, MaxOpset, SoftmaxHandlers.Softmax),
        // Layout
        new("Flatten", 1, MaxOpset, LayoutHandlers.Flatten),
        new("Reshape", 5, MaxOpset, LayoutHandlers.Reshape, "shape must be static (a batch marker maps to 0 or −1)"),
        new("Squeeze", 1, 12, LayoutHandlers.Squeeze),
        new("Squeeze", 13, MaxOpset, LayoutHandlers.Squeeze),
        new("Unsqueeze", 1, 12, LayoutHandlers.Unsqueeze),
        new("Unsqueeze", 13, MaxOpset, LayoutHandlers.Unsqueeze),
        new("Transpose", 1, MaxOpset, LayoutHandlers.Transpose),
        new("Concat", 4, MaxOpset, LayoutHandlers.Concat),
        new("Split", 2, MaxOpset, LayoutHandlers.Split, "sizes static"),
        new("Slice", 1, 9, LayoutHandlers.Slice, "run-time data: step 1, static bounds"),
        new("Slice", 10, MaxOpset, LayoutHandlers.Slice, "run-time data: step 1, static bounds"),
        new("Gather", 1, MaxOpset, LayoutHandlers.Gather, "run-time data: one static scalar index"),
        new("Pad", 2, 10, PadHandler.Pad, "constant zero padding feeding a Conv"),
        new("Pad", 11, MaxOpset, PadHandler.Pad, "constant zero padding feeding a Conv"),
        new("Identity", 1, MaxOpset, IdentityHandlers.Identity),
        new("Dropout", 6, MaxOpset, IdentityHandlers.Dropout, "inference (identity); no mask output"),
        // Import-time evaluation (shape arithmetic on static data)
        new("Constant", 1, MaxOpset, StaticHandlers.Constant),
        new("Shape", 1, MaxOpset, StaticHandlers.Shape),
        new("Cast", 6, MaxOpset, StaticHandlers.Cast, "run-time data: float32 → float32 only"),
        new("ConstantOfShape", 9, MaxOpset, StaticHandlers.ConstantOfShape),
        new("Range", 11, MaxOpset, StaticHandlers.Range),
        new("Equal", 7, MaxOpset, StaticHandlers.Equal, "static inputs only"),
        new("Where", 9, MaxOpset, StaticHandlers.Where, "static inputs only"),
    ];

    private static readonly Dictionary<string, Entry[]> ByOp =
        Entries.GroupBy(e => e.OpType, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

    /// <summary>The entry converting <paramref name="opType"/> at <paramref name="opset"/>, or null.</summary>
    public static Entry? Find(string opType, int opset) =>
        ByOp.TryGetValue(opType, out var entries) ? entries.FirstOrDefault(e => opset >= e.FromOpset && opset <= e.ToOpset) : null;
}
