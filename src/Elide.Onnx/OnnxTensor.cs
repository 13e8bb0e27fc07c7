using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;
using System.Text;
using Elide.Onnx.Protos;
using Google.Protobuf;

namespace Elide.Onnx;

/// <summary>
/// A dense tensor decoded from (or destined for) an ONNX <see cref="TensorProto"/>. Numeric elements are
/// kept as little-endian bytes in the tensor's own <see cref="OnnxElementType"/>, whichever field of the
/// proto they came from (raw_data, a typed *_data field or an external file); accessors convert on request.
/// Instances are immutable.
/// </summary>
public sealed class OnnxTensor
{
    private readonly long[] _dims;
    private readonly byte[] _bytes;
    private readonly byte[][]? _strings;

    private OnnxTensor(string name, OnnxElementType elementType, long[] dims, byte[] bytes, byte[][]? strings)
    {
        Name = name;
        ElementType = elementType;
        _dims = dims;
        _bytes = bytes;
        _strings = strings;
        Dims = Array.AsReadOnly(dims);
        ElementCount = TensorLayout.ElementCount(dims, $"tensor '{name}'");
    }

    /// <summary>Tensor name (may be empty, e.g. for conformance data read from a .pb file).</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public OnnxElementType ElementType { get; }

    /// <summary>Shape, outermost dimension first; empty for a scalar.</summary>
    public ReadOnlyCollection<long> Dims { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Product of <see cref="Dims"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Element bytes, little-endian, row-major; empty for <see cref="OnnxElementType.String"/> tensors.</summary>
    public ReadOnlySpan<byte> RawData => _bytes;

    /// <summary>Copy of the shape as an array.</summary>
    public long[] CopyDims() => (long[])_dims.Clone();

    // ------------------------------------------------------------------------------------------------
    // Decoding
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Decodes <paramref name="proto"/>, reading external data relative to <paramref name="baseDirectory"/>
    /// when the tensor has <c>data_location = EXTERNAL</c>.
    /// </summary>
    /// <exception cref="OnnxFormatException">
    /// Unsupported element type (complex, float8, 4-bit), data size not matching the dims, data in a field the
    /// spec does not allow for the type, segmented tensors, or any external-data problem (missing file,
    /// range beyond the file, path escaping <paramref name="baseDirectory"/>).
    /// </exception>
    public static OnnxTensor FromProto(TensorProto proto, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(proto);
        string context = $"tensor '{proto.Name}'";
        if (!OnnxDataTypes.TryGetElementType(proto.DataType, out var type))
            throw new OnnxFormatException($"{context}: element type {OnnxDataTypes.Name(proto.DataType)} is not supported (supported: {string.Join(", ", Enum.GetNames<OnnxElementType>())})");
        if (proto.Segment is not null)
            throw new OnnxFormatException($"{context}: segmented tensors (TensorProto.segment) are not supported");
        long[] dims = proto.Dims.ToArray();
        long count = TensorLayout.ElementCount(dims, context);
        TensorStorage storage = TensorLayout.Check(proto, count, context);

        if (type == OnnxElementType.String)
        {
            var strings = storage == TensorStorage.None ? [] : proto.StringData.Select(s => s.ToByteArray()).ToArray();
            return new OnnxTensor(proto.Name, type, dims, [], strings);
        }

        long byteLength = count * type.ByteSize();
        if (byteLength > Array.MaxLength)
            throw new OnnxFormatException($"{context}: {byteLength} bytes of data are too large to load into one array");
        byte[] bytes = storage switch
        {
            TensorStorage.None => [],
            TensorStorage.Raw => proto.RawData.ToByteArray(),
            TensorStorage.External => ExternalData.Read(proto, baseDirectory, byteLength, context),
            _ => DecodeTypedField(proto, storage, type, (int)count),
        };
        return new OnnxTensor(proto.Name, type, dims, bytes, null);
    }

    /// <summary>Parses a serialized TensorProto (e.g. a conformance <c>input_0.pb</c>) and decodes it.</summary>
    /// <exception cref="OnnxFormatException">The bytes are not a TensorProto, or any <see cref="FromProto"/> failure.</exception>
    public static OnnxTensor Parse(ReadOnlySpan<byte> serialized, string sourceName, string? baseDirectory = null)
    {
        TensorProto proto;
        try
        {
            proto = TensorProto.Parser.ParseFrom(serialized);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or ArgumentException)
        {
            throw new OnnxFormatException($"{sourceName}: not a valid serialized TensorProto: {e.Message}", e);
        }
        try
        {
            return FromProto(proto, baseDirectory);
        }
        catch (OnnxFormatException e)
        {
            throw new OnnxFormatException($"{sourceName}: {e.Message}", e);
        }
    }

    // Typed fields hold one value per element (narrow types widened to int32 / uint64); re-narrow to raw bytes.
    private static byte[] DecodeTypedField(TensorProto proto, TensorStorage storage, OnnxElementType type, int count)
    {
        var bytes = new byte[count * type.ByteSize()];
        var span = bytes.AsSpan();
        switch (storage)
        {
            case TensorStorage.FloatData:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], proto.FloatData[i]);
                break;
            case TensorStorage.DoubleData:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteDoubleLittleEndian(span[(i * 8)..], proto.DoubleData[i]);
                break;
            case TensorStorage.Int64Data:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteInt64LittleEndian(span[(i * 8)..], proto.Int64Data[i]);
                break;
            case TensorStorage.UInt64Data when type == OnnxElementType.UInt32:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt32LittleEndian(span[(i * 4)..], (uint)proto.Uint64Data[i]);
                break;
            case TensorStorage.UInt64Data:
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt64LittleEndian(span[(i * 8)..], proto.Uint64Data[i]);
                break;
            case TensorStorage.Int32Data:
                int width = type.ByteSize();
                for (int i = 0; i < count; i++)
                {
                    int value = proto.Int32Data[i];
                    switch (width)
                    {
                        case 1: span[i] = (byte)value; break;
                        case 2: BinaryPrimitives.WriteUInt16LittleEndian(span[(i * 2)..], (ushort)value); break;
                        default: BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], value); break;
                    }
                }
                break;
            default:
                throw new InvalidOperationException($"storage {storage} has no typed decoding");
        }
        return bytes;
    }

    // ------------------------------------------------------------------------------------------------
    // Accessors
    // ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Elements converted to float: exact for Float/Float16/BFloat16 and small integers, rounded to nearest
    /// for Double and large integers; Bool gives 0 or 1.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor holds strings.</exception>
    public float[] ToFloatArray()
    {
        ThrowIfString("ToFloatArray");
        var result = new float[ElementCount];
        ReadOnlySpan<byte> b = _bytes;
        switch (ElementType)
        {
            case OnnxElementType.Float:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(b).CopyTo(result);
                else for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(b[(i * 4)..]);
                break;
            case OnnxElementType.Float16:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(b[(i * 2)..]);
                break;
            case OnnxElementType.BFloat16:
                for (int i = 0; i < result.Length; i++) result[i] = BFloat16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 2)..]));
                break;
            case OnnxElementType.Double:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(b[(i * 8)..]);
                break;
            case OnnxElementType.UInt64:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadUInt64LittleEndian(b[(i * 8)..]);
                break;
            default:
                for (int i = 0; i < result.Length; i++) result[i] = ReadInteger(b, i);
                break;
        }
        return result;
    }

    /// <summary>Elements converted to double (exact for every type except Int64/UInt64 beyond 2^53).</summary>
    /// <exception cref="InvalidOperationException">The tensor holds strings.</exception>
    public double[] ToDoubleArray()
    {
        ThrowIfString("ToDoubleArray");
        var result = new double[ElementCount];
        ReadOnlySpan<byte> b = _bytes;
        switch (ElementType)
        {
            case OnnxElementType.Double:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadDoubleLittleEndian(b[(i * 8)..]);
                break;
            case OnnxElementType.Float or OnnxElementType.Float16 or OnnxElementType.BFloat16:
                float[] floats = ToFloatArray();
                for (int i = 0; i < result.Length; i++) result[i] = floats[i];
                break;
            case OnnxElementType.UInt64:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadUInt64LittleEndian(b[(i * 8)..]);
                break;
            default:
                for (int i = 0; i < result.Length; i++) result[i] = ReadInteger(b, i);
                break;
        }
        return result;
    }

    /// <summary>
    /// Elements of an integer or Bool tensor as Int64 (UInt64 values above <see cref="long.MaxValue"/> wrap,
    /// as a C cast would). Floating-point tensors are refused rather than silently truncated.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor holds floating-point values or strings.</exception>
    public long[] ToInt64Array()
    {
        if (ElementType is OnnxElementType.Float or OnnxElementType.Double or OnnxElementType.Float16 or OnnxElementType.BFloat16 or OnnxElementType.String)
            throw new InvalidOperationException($"tensor '{Name}' has element type {ElementType}; ToInt64Array needs an integer or Bool tensor");
        var result = new long[ElementCount];
        ReadOnlySpan<byte> b = _bytes;
        for (int i = 0; i < result.Length; i++) result[i] = ReadInteger(b, i);
        return result;
    }

    /// <summary>Elements of a String tensor, decoded as UTF-8.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not a String tensor.</exception>
    public string[] ToStringArray()
    {
        if (_strings is null)
            throw new InvalidOperationException($"tensor '{Name}' has element type {ElementType}; ToStringArray needs a String tensor");
        return _strings.Select(s => Encoding.UTF8.GetString(s)).ToArray();
    }

    private long ReadInteger(ReadOnlySpan<byte> b, int i) => ElementType switch
    {
        OnnxElementType.Int8 => (sbyte)b[i],
        OnnxElementType.UInt8 => b[i],
        OnnxElementType.Bool => b[i] != 0 ? 1 : 0,
        OnnxElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b[(i * 2)..]),
        OnnxElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 2)..]),
        OnnxElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b[(i * 4)..]),
        OnnxElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(b[(i * 4)..]),
        OnnxElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b[(i * 8)..]),
        OnnxElementType.UInt64 => (long)BinaryPrimitives.ReadUInt64LittleEndian(b[(i * 8)..]),
        _ => throw new InvalidOperationException($"element type {ElementType} is not an integer type"),
    };

    private void ThrowIfString(string operation)
    {
        if (ElementType == OnnxElementType.String)
            throw new InvalidOperationException($"tensor '{Name}' holds strings; {operation} needs a numeric tensor");
    }

    // ------------------------------------------------------------------------------------------------
    // Construction and encoding
    // ------------------------------------------------------------------------------------------------

    /// <summary>Creates a Float tensor. <paramref name="values"/> must hold exactly the product of <paramref name="dims"/> elements.</summary>
    /// <exception cref="ArgumentException">Negative dims or a value count not matching the dims.</exception>
    public static OnnxTensor FromFloats(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values) =>
        FromRawBytes(name, OnnxElementType.Float, dims, AsLittleEndianBytes(values));

    /// <summary>Creates a Double tensor.</summary>
    /// <exception cref="ArgumentException">Negative dims or a value count not matching the dims.</exception>
    public static OnnxTensor FromDoubles(string name, ReadOnlySpan<long> dims, ReadOnlySpan<double> values) =>
        FromRawBytes(name, OnnxElementType.Double, dims, AsLittleEndianBytes(values));

    /// <summary>Creates an Int64 tensor (the ONNX type of shapes, axes and indices).</summary>
    /// <exception cref="ArgumentException">Negative dims or a value count not matching the dims.</exception>
    public static OnnxTensor FromInt64s(string name, ReadOnlySpan<long> dims, ReadOnlySpan<long> values) =>
        FromRawBytes(name, OnnxElementType.Int64, dims, AsLittleEndianBytes(values));

    /// <summary>Creates an Int32 tensor.</summary>
    /// <exception cref="ArgumentException">Negative dims or a value count not matching the dims.</exception>
    public static OnnxTensor FromInt32s(string name, ReadOnlySpan<long> dims, ReadOnlySpan<int> values) =>
        FromRawBytes(name, OnnxElementType.Int32, dims, AsLittleEndianBytes(values));

    /// <summary>
    /// Creates a tensor of any numeric type from its little-endian element bytes (Float16/BFloat16 as bit
    /// patterns, Bool as one byte 0/1). The bytes are copied.
    /// </summary>
    /// <exception cref="ArgumentException">String type, negative dims, or a byte count not equal to count × element size.</exception>
    public static OnnxTensor FromRawBytes(string name, OnnxElementType elementType, ReadOnlySpan<long> dims, ReadOnlySpan<byte> littleEndianBytes)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (elementType == OnnxElementType.String)
            throw new ArgumentException("String tensors have no raw bytes; use FromStrings", nameof(elementType));
        if (!Enum.IsDefined(elementType))
            throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "not an OnnxElementType");
        long count = CheckedCount(name, dims);
        long expected = count * elementType.ByteSize();
        if (littleEndianBytes.Length != expected)
            throw new ArgumentException($"tensor '{name}': {littleEndianBytes.Length} bytes given but dims {TensorLayout.FormatDims(dims.ToArray())} of {elementType} need {expected}", nameof(littleEndianBytes));
        return new OnnxTensor(name, elementType, dims.ToArray(), littleEndianBytes.ToArray(), null);
    }

    /// <summary>Creates a String tensor; strings are stored as UTF-8.</summary>
    /// <exception cref="ArgumentException">Negative dims or a value count not matching the dims.</exception>
    public static OnnxTensor FromStrings(string name, ReadOnlySpan<long> dims, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(values);
        long count = CheckedCount(name, dims);
        if (values.Count != count)
            throw new ArgumentException($"tensor '{name}': {values.Count} strings given but dims {TensorLayout.FormatDims(dims.ToArray())} need {count}", nameof(values));
        return new OnnxTensor(name, OnnxElementType.String, dims.ToArray(), [], values.Select(Encoding.UTF8.GetBytes).ToArray());
    }

    /// <summary>
    /// Encodes this tensor as a <see cref="TensorProto"/>: numeric data in <c>raw_data</c> (little-endian, as
    /// the spec requires), strings in <c>string_data</c>.
    /// </summary>
    /// <param name="name">Name to give the proto; defaults to <see cref="Name"/>.</param>
    public TensorProto ToProto(string? name = null)
    {
        var proto = new TensorProto { Name = name ?? Name, DataType = (int)ElementType };
        proto.Dims.AddRange(_dims);
        if (_strings is not null)
            foreach (var s in _strings) proto.StringData.Add(ByteString.CopyFrom(s));
        else
            proto.RawData = ByteString.CopyFrom(_bytes);
        return proto;
    }

    /// <summary>Shorthand for <c>FromFloats(name, dims, values).ToProto()</c>.</summary>
    public static TensorProto ToProto(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values) => FromFloats(name, dims, values).ToProto();

    /// <summary>Shorthand for <c>FromInt64s(name, dims, values).ToProto()</c>.</summary>
    public static TensorProto ToProto(string name, ReadOnlySpan<long> dims, ReadOnlySpan<long> values) => FromInt64s(name, dims, values).ToProto();

    /// <summary>
    /// The same bytes viewed as another element type of the same width, e.g. UInt16 → BFloat16. (The ONNX
    /// conformance corpus stores BFLOAT16 test values as UINT16 tensors because NumPy has no bfloat16.)
    /// </summary>
    /// <exception cref="ArgumentException">The widths differ or either type is String.</exception>
    public OnnxTensor Reinterpret(OnnxElementType elementType)
    {
        if (elementType == OnnxElementType.String || ElementType == OnnxElementType.String || elementType.ByteSize() != ElementType.ByteSize())
            throw new ArgumentException($"tensor '{Name}': cannot reinterpret {ElementType} as {elementType} (element widths differ)", nameof(elementType));
        return new OnnxTensor(Name, elementType, _dims, _bytes, null);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {ElementType}{TensorLayout.FormatDims(_dims)}";

    private static long CheckedCount(string name, ReadOnlySpan<long> dims)
    {
        try
        {
            return TensorLayout.ElementCount(dims.ToArray(), $"tensor '{name}'");
        }
        catch (OnnxFormatException e)
        {
            throw new ArgumentException(e.Message, nameof(dims), e);
        }
    }

    private static byte[] AsLittleEndianBytes<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        byte[] bytes = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Elide.Onnx supports little-endian hosts only");
        return bytes;
    }
}

/// <summary>bfloat16 ↔ binary32 conversion (bfloat16 is the upper half of a binary32).</summary>
public static class BFloat16
{
    /// <summary>Widens exactly: the 16 bits become the high half of a binary32.</summary>
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Rounds a binary32 to bfloat16 with round-to-nearest-even; NaN stays a (quiet) NaN.</summary>
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        // Add 0x7FFF plus the lowest kept bit: ties go to the even result.
        uint rounded = bits + 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)(rounded >> 16);
    }
}
