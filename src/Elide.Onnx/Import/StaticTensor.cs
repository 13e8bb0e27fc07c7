namespace Elide.Onnx.Import;

/// <summary>
/// A tensor known at import time: initializers, Constant outputs and the int64 shape arithmetic PyTorch exports
/// (Shape → Gather → Concat → Reshape). Elide runs float32 only, so everything integer must be resolved here.
/// </summary>
/// <remarks>
/// A free batch dimension is handled by evaluating every static value once per batch probe
/// (<see cref="ImportContext.ProbeBatches"/>): <c>Shape(x)</c> of a value with a free batch yields, in each probe,
/// that probe's batch. An entry that differs between probes is the symbolic batch marker (or something computed
/// from it); consumers that need a true constant (Slice bounds, Split sizes, constant data) reject such entries,
/// and Reshape turns a batch-dependent target entry into 0 ("copy") or −1. Evaluating at two points is exact for
/// the linear expressions shape code computes (a product with the batch keeps varying; it never looks constant).
/// </remarks>
internal sealed class StaticTensor
{
    private StaticTensor(OnnxElementType type, int[] dims, long[][]? ints, double[][]? reals)
    {
        Type = type;
        Dims = dims;
        Ints = ints;
        Reals = reals;
    }

    /// <summary>The ONNX element type the values stand for.</summary>
    public OnnxElementType Type { get; }

    /// <summary>The shape (identical in every probe).</summary>
    public int[] Dims { get; }

    /// <summary>Values per probe for integer and Bool types, else null.</summary>
    public long[][]? Ints { get; }

    /// <summary>Values per probe for floating-point types (rounded to <see cref="Type"/>), else null.</summary>
    public double[][]? Reals { get; }

    /// <summary>Number of elements.</summary>
    public int Count => Ints?[0].Length ?? Reals![0].Length;

    /// <summary>True for integer and Bool element types.</summary>
    public bool IsInteger => Ints is not null;

    /// <summary>Number of probes the values are given for.</summary>
    public int Probes => Ints?.Length ?? Reals!.Length;

    /// <summary>True when element <paramref name="index"/> differs between probes (depends on the batch size).</summary>
    public bool VariesWithBatch(int index) =>
        Ints is { } ints ? ints.Any(p => p[index] != ints[0][index]) : Reals is { } reals && reals.Any(p => !p[index].Equals(reals[0][index]));

    /// <summary>True when any element depends on the batch size.</summary>
    public bool AnyVariesWithBatch => Enumerable.Range(0, Count).Any(VariesWithBatch);

    /// <summary>Integer tensor with the same values in every probe.</summary>
    public static StaticTensor FromInts(OnnxElementType type, int[] dims, long[] values, int probes) =>
        new(type, dims, Enumerable.Range(0, probes).Select(_ => values).ToArray(), null);

    /// <summary>Integer tensor with per-probe values.</summary>
    public static StaticTensor FromInts(OnnxElementType type, int[] dims, long[][] perProbe) => new(type, dims, perProbe, null);

    /// <summary>Floating tensor with the same values in every probe.</summary>
    public static StaticTensor FromReals(OnnxElementType type, int[] dims, double[] values, int probes) =>
        new(type, dims, null, Enumerable.Range(0, probes).Select(_ => values).ToArray());

    /// <summary>Floating tensor with per-probe values (rounded to the element type).</summary>
    public static StaticTensor FromReals(OnnxElementType type, int[] dims, double[][] perProbe)
    {
        foreach (var p in perProbe)
            for (int i = 0; i < p.Length; i++) p[i] = RoundTo(type, p[i]);
        return new(type, dims, null, perProbe);
    }

    /// <summary>Decodes an ONNX tensor.</summary>
    /// <exception cref="UnsupportedNodeException">Strings.</exception>
    /// <exception cref="OnnxImportException">Dimensions beyond 2^31.</exception>
    public static StaticTensor FromOnnx(OnnxTensor tensor, int probes)
    {
        if (tensor.ElementType == OnnxElementType.String)
            throw new UnsupportedNodeException($"tensor '{tensor.Name}' holds strings");
        var dims = tensor.Dims.Select(d => d <= int.MaxValue ? (int)d : throw new OnnxImportException($"tensor '{tensor.Name}' has a dimension of {d}")).ToArray();
        return IsFloating(tensor.ElementType)
            ? FromReals(tensor.ElementType, dims, tensor.ToDoubleArray(), probes)
            : FromInts(tensor.ElementType, dims, tensor.ToInt64Array(), probes);
    }

    /// <summary>True for Float, Double, Float16 and BFloat16.</summary>
    public static bool IsFloating(OnnxElementType type) =>
        type is OnnxElementType.Float or OnnxElementType.Double or OnnxElementType.Float16 or OnnxElementType.BFloat16;

    /// <summary>Rounds a value to what <paramref name="type"/> can hold (so folded arithmetic matches the runtime type).</summary>
    public static double RoundTo(OnnxElementType type, double value) => type switch
    {
        OnnxElementType.Float => (float)value,
        OnnxElementType.Float16 => (double)(Half)value,
        OnnxElementType.BFloat16 => BFloat16.ToSingle(BFloat16.FromSingle((float)value)),
        _ => value,
    };

    /// <summary>Wraps an integer to the range of <paramref name="type"/> (two's complement, as a C cast does).</summary>
    public static long WrapTo(OnnxElementType type, long value) => type switch
    {
        OnnxElementType.Int8 => (sbyte)value,
        OnnxElementType.UInt8 => (byte)value,
        OnnxElementType.Int16 => (short)value,
        OnnxElementType.UInt16 => (ushort)value,
        OnnxElementType.Int32 => (int)value,
        OnnxElementType.UInt32 => (uint)value,
        OnnxElementType.Bool => value != 0 ? 1 : 0,
        _ => value,
    };

    /// <summary>Values of probe <paramref name="probe"/> as doubles.</summary>
    public double[] RealsAt(int probe) => Reals?[probe] ?? Ints![probe].Select(v => (double)v).ToArray();

    /// <summary>The float32 data for a graph constant.</summary>
    /// <exception cref="InvalidOperationException">The values depend on the batch size.</exception>
    public float[] ToFloat32()
    {
        var r = RealsAt(0);
        var f = new float[r.Length];
        for (int i = 0; i < f.Length; i++) f[i] = (float)r[i];
        return f;
    }

    /// <summary>A copy with another shape of the same element count.</summary>
    public StaticTensor WithDims(int[] dims) => new(Type, dims, Ints, Reals);

    /// <summary>Elements picked by <paramref name="sourceIndex"/> (one source index per output element), in every probe.</summary>
    public StaticTensor Gather(int[] dims, int[] sourceIndex) =>
        Ints is not null
            ? new(Type, dims, Ints.Select(p => sourceIndex.Select(i => p[i]).ToArray()).ToArray(), null)
            : new(Type, dims, null, Reals!.Select(p => sourceIndex.Select(i => p[i]).ToArray()).ToArray());

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Type}[{string.Join(",", Dims)}] {{{string.Join(",", (Ints?[0].Select(v => v.ToString()) ?? Reals![0].Select(v => v.ToString("g4"))).Take(8))}{(Count > 8 ? ",…" : "")}}}";
}
