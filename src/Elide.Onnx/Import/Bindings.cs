using Elide.Graph;
using Elide.Onnx.Protos;
using Elide.Tensors;

namespace Elide.Onnx.Import;

/// <summary>What an ONNX value name stands for while importing.</summary>
internal abstract class Binding;

/// <summary>A float32 tensor computed at run time, with its shape in each batch probe.</summary>
internal sealed class RuntimeBinding(Value value, Shape[] probeShapes) : Binding
{
    public Value Value { get; } = value;

    /// <summary>The shape when the free batch is <see cref="ImportContext.ProbeBatches"/>[p].</summary>
    public Shape[] ProbeShapes { get; } = probeShapes;

    public int Rank => ProbeShapes[0].Rank;

    /// <summary>The shape with −1 wherever the dimension depends on the batch size.</summary>
    public int[] Dims => ImportContext.Combine(ProbeShapes);
}

/// <summary>
/// A value known at import time: an initializer (decoded lazily, since weights are large), a frozen input, a
/// Constant output or the result of folded shape arithmetic. It becomes a graph constant when a run-time op reads it.
/// </summary>
internal sealed class StaticBinding : Binding
{
    private readonly TensorProto? proto;
    private readonly string? baseDirectory;
    private readonly int probes;
    private OnnxTensor? onnx;
    private StaticTensor? tensor;

    public StaticBinding(StaticTensor tensor) => this.tensor = tensor;

    public StaticBinding(TensorProto proto, string? baseDirectory, int probes)
    {
        this.proto = proto;
        this.baseDirectory = baseDirectory;
        this.probes = probes;
    }

    public StaticBinding(OnnxTensor tensor, int probes)
    {
        onnx = tensor;
        this.probes = probes;
    }

    /// <summary>The graph constant made from this value, once one was needed.</summary>
    public Value? Materialized { get; set; }

    /// <summary>The decoded ONNX tensor when this binding came from one (initializer or frozen input).</summary>
    public OnnxTensor? Source => onnx ??= proto is null ? null : OnnxTensor.FromProto(proto, baseDirectory);

    /// <summary>The element type.</summary>
    public OnnxElementType ElementType => tensor?.Type ?? Source!.ElementType;

    /// <summary>The shape.</summary>
    public int[] Dims => tensor?.Dims ?? Source!.Dims.Select(d => (int)d).ToArray();

    /// <summary>The values for import-time evaluation (decoded on first use).</summary>
    public StaticTensor Tensor => tensor ??= StaticTensor.FromOnnx(Source!, probes);

    /// <summary>The float32 data (exact for float32 sources; decoded straight from the bytes for weights).</summary>
    public float[] ToFloat32() => tensor is null && Source is { } s ? s.ToFloatArray() : Tensor.ToFloat32();

    /// <summary>True when the values depend on the batch size.</summary>
    public bool VariesWithBatch => tensor is not null && tensor.AnyVariesWithBatch;
}

/// <summary>
/// The output of a constant-zero Pad that has not been materialized: a Conv reading it folds the padding into its
/// own pads (PyTorch exports explicit padding this way). Any other reader makes the Pad unsupported.
/// </summary>
internal sealed class PendingPadBinding(RuntimeBinding source, int[] pads, string padNode) : Binding
{
    public RuntimeBinding Source { get; } = source;

    /// <summary>ONNX pads: begin for every axis, then end for every axis.</summary>
    public int[] Pads { get; } = pads;

    public string PadNode { get; } = padNode;
}

/// <summary>The output of a node that could not be imported; readers are skipped without further messages.</summary>
internal sealed class PoisonedBinding : Binding
{
    public static PoisonedBinding Instance { get; } = new();
}
