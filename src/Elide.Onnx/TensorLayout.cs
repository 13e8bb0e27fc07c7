using Elide.Onnx.Protos;

namespace Elide.Onnx;

/// <summary>Where a <see cref="TensorProto"/> keeps its elements (IR.md, "Tensor Definition").</summary>
internal enum TensorStorage
{
    /// <summary>No element field is set: valid only for empty tensors.</summary>
    None,
    Raw,
    External,
    FloatData,
    Int32Data,
    StringData,
    Int64Data,
    DoubleData,
    UInt64Data,
}

/// <summary>
/// Shape and storage checks shared by model validation and tensor decoding. Every failure is an
/// <see cref="OnnxFormatException"/> whose message starts with the caller's context (file and tensor).
/// </summary>
internal static class TensorLayout
{
    /// <summary>Largest element count accepted for one tensor (2^31 - 1): .NET arrays are int-indexed.</summary>
    public const long MaxElements = int.MaxValue;

    /// <summary>Product of the dims, rejecting negative dims, overflow and counts above <see cref="MaxElements"/>.</summary>
    public static long ElementCount(IReadOnlyList<long> dims, string context)
    {
        long count = 1;
        for (int i = 0; i < dims.Count; i++)
        {
            long dim = dims[i];
            if (dim < 0)
                throw new OnnxFormatException($"{context}: dimension {i} is negative ({dim}) in dims {FormatDims(dims)}");
            // Multiplying first could overflow; compare against the quotient instead.
            if (dim != 0 && count > MaxElements / dim)
                throw new OnnxFormatException(
                    $"{context}: dims {FormatDims(dims)} describe more than {MaxElements} elements; the tensor is too large or the dims are corrupt");
            count *= dim;
        }
        return count;
    }

    /// <summary>Byte length of <paramref name="count"/> elements of <paramref name="dataType"/> in raw storage (4-bit types round up).</summary>
    public static long RawByteLength(int dataType, long count)
    {
        int bits = OnnxDataTypes.BitsPerElement(dataType);
        return bits == 4 ? (count + 1) / 2 : count * (bits / 8);
    }

    /// <summary>
    /// Determines which field holds the data and checks that it is the only one, that it is legal for the
    /// data type, and (for inline storage) that its length matches the dims. External storage is only
    /// classified here; its length is checked against the file by <see cref="ExternalData"/>.
    /// </summary>
    public static TensorStorage Check(TensorProto tensor, long count, string context)
    {
        int dataType = tensor.DataType;
        int bits = OnnxDataTypes.BitsPerElement(dataType);
        if (bits < 0)
            throw new OnnxFormatException($"{context}: data_type {dataType} is {(dataType == 0 ? "UNDEFINED" : "not a known ONNX data type")}");

        var used = new List<TensorStorage>(2);
        bool segmented = tensor.Segment is not null;
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External) used.Add(TensorStorage.External);
        if (tensor.RawData.Length > 0) used.Add(TensorStorage.Raw);
        if (tensor.FloatData.Count > 0) used.Add(TensorStorage.FloatData);
        if (tensor.Int32Data.Count > 0) used.Add(TensorStorage.Int32Data);
        if (tensor.StringData.Count > 0) used.Add(TensorStorage.StringData);
        if (tensor.Int64Data.Count > 0) used.Add(TensorStorage.Int64Data);
        if (tensor.DoubleData.Count > 0) used.Add(TensorStorage.DoubleData);
        if (tensor.Uint64Data.Count > 0) used.Add(TensorStorage.UInt64Data);
        if (used.Count > 1)
            throw new OnnxFormatException($"{context}: element data is stored in more than one field ({string.Join(", ", used.Select(FieldName))}); exactly one is allowed");

        string typeName = OnnxDataTypes.Name(dataType);
        string what = $"{context} ({typeName}, dims {FormatDims(tensor.Dims)})";
        if (used.Count == 0 && !segmented)
        {
            if (count != 0)
                throw new OnnxFormatException($"{what}: has no element data but its dims describe {count} elements");
            return TensorStorage.None;
        }
        if (used.Count == 0) return TensorStorage.None;

        TensorStorage storage = used[0];
        // A segment holds only elements [begin, end) of the tensor, so the dims cannot be checked against it.
        if (segmented) return storage;
        if (storage == TensorStorage.External)
        {
            if (dataType == (int)TensorProto.Types.DataType.String)
                throw new OnnxFormatException($"{what}: STRING tensors cannot use external data");
            return storage;
        }

        TensorStorage expectedField = TypedField(dataType);
        if (storage == TensorStorage.Raw)
        {
            if (dataType == (int)TensorProto.Types.DataType.String)
                throw new OnnxFormatException($"{what}: STRING tensors must use string_data, not raw_data");
            long expectedBytes = RawByteLength(dataType, count);
            if (tensor.RawData.Length != expectedBytes)
                throw new OnnxFormatException($"{what}: raw_data has {tensor.RawData.Length} bytes but the dims need {expectedBytes}");
            return storage;
        }

        if (storage != expectedField)
            throw new OnnxFormatException($"{what}: data is in {FieldName(storage)}, which is not valid for {typeName} (expected {FieldName(expectedField)} or raw_data)");
        long expectedValues = TypedValueCount(dataType, count);
        int actual = TypedFieldCount(tensor, storage);
        if (actual != expectedValues)
            throw new OnnxFormatException($"{what}: {FieldName(storage)} has {actual} values but the dims need {expectedValues}");
        return storage;
    }

    /// <summary>The typed field the spec assigns to a data type (TensorProto field comments in IR.md).</summary>
    public static TensorStorage TypedField(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Complex64 => TensorStorage.FloatData,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Complex128 => TensorStorage.DoubleData,
        TensorProto.Types.DataType.Int64 => TensorStorage.Int64Data,
        TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Uint64 => TensorStorage.UInt64Data,
        TensorProto.Types.DataType.String => TensorStorage.StringData,
        _ => TensorStorage.Int32Data, // every narrower type, 16-bit floats as bit patterns, 4-bit types packed in pairs
    };

    /// <summary>Number of typed-field values for <paramref name="count"/> elements: complex uses two, 4-bit types half.</summary>
    public static long TypedValueCount(int dataType, long count) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Complex64 or TensorProto.Types.DataType.Complex128 => count * 2,
        _ when OnnxDataTypes.BitsPerElement(dataType) == 4 => (count + 1) / 2,
        _ => count,
    };

    private static int TypedFieldCount(TensorProto tensor, TensorStorage storage) => storage switch
    {
        TensorStorage.FloatData => tensor.FloatData.Count,
        TensorStorage.Int32Data => tensor.Int32Data.Count,
        TensorStorage.StringData => tensor.StringData.Count,
        TensorStorage.Int64Data => tensor.Int64Data.Count,
        TensorStorage.DoubleData => tensor.DoubleData.Count,
        TensorStorage.UInt64Data => tensor.Uint64Data.Count,
        _ => throw new ArgumentOutOfRangeException(nameof(storage)),
    };

    public static string FieldName(TensorStorage storage) => storage switch
    {
        TensorStorage.Raw => "raw_data",
        TensorStorage.External => "external data",
        TensorStorage.FloatData => "float_data",
        TensorStorage.Int32Data => "int32_data",
        TensorStorage.StringData => "string_data",
        TensorStorage.Int64Data => "int64_data",
        TensorStorage.DoubleData => "double_data",
        TensorStorage.UInt64Data => "uint64_data",
        _ => "no field",
    };

    public static string FormatDims(IReadOnlyList<long> dims) => "[" + string.Join(",", dims) + "]";
}
