using Elide.Onnx.Protos;

namespace Elide.Onnx;

/// <summary>
/// Element types that <see cref="OnnxTensor"/> can hold. The numeric values equal the ONNX
/// <c>TensorProto.DataType</c> codes, so a cast converts between the two.
/// </summary>
public enum OnnxElementType
{
    /// <summary>IEEE 754 binary32.</summary>
    Float = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>UTF-8 strings (stored in <c>string_data</c>, never in raw bytes).</summary>
    String = 8,
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool = 9,
    /// <summary>IEEE 754 binary16.</summary>
    Float16 = 10,
    /// <summary>IEEE 754 binary64.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>bfloat16: the upper 16 bits of a binary32 (1 sign, 8 exponent, 7 mantissa bits).</summary>
    BFloat16 = 16,
}

/// <summary>Facts about ONNX data types: element sizes, names, and which typed field stores them.</summary>
public static class OnnxDataTypes
{
    /// <summary>True when <paramref name="dataType"/> (a <c>TensorProto.DataType</c> code) maps to <see cref="OnnxElementType"/>.</summary>
    public static bool TryGetElementType(int dataType, out OnnxElementType elementType)
    {
        elementType = (OnnxElementType)dataType;
        return Enum.IsDefined(elementType);
    }

    /// <summary>Bytes per element in raw (little-endian) storage; 0 for <see cref="OnnxElementType.String"/>.</summary>
    public static int ByteSize(this OnnxElementType elementType) => elementType switch
    {
        OnnxElementType.Float or OnnxElementType.Int32 or OnnxElementType.UInt32 => 4,
        OnnxElementType.Double or OnnxElementType.Int64 or OnnxElementType.UInt64 => 8,
        OnnxElementType.Float16 or OnnxElementType.BFloat16 or OnnxElementType.Int16 or OnnxElementType.UInt16 => 2,
        OnnxElementType.Int8 or OnnxElementType.UInt8 or OnnxElementType.Bool => 1,
        OnnxElementType.String => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "not an OnnxElementType"),
    };

    /// <summary>
    /// Storage width in bits of any ONNX data type code: 4 for the packed 4-bit types, 0 for STRING,
    /// -1 for UNDEFINED or codes this library does not know.
    /// </summary>
    public static int BitsPerElement(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 32,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64
            or TensorProto.Types.DataType.Complex64 => 64,
        TensorProto.Types.DataType.Complex128 => 128,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16
            or TensorProto.Types.DataType.Uint16 => 16,
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool
            or TensorProto.Types.DataType.Float8E4M3Fn or TensorProto.Types.DataType.Float8E4M3Fnuz
            or TensorProto.Types.DataType.Float8E5M2 or TensorProto.Types.DataType.Float8E5M2Fnuz
            or TensorProto.Types.DataType.Float8E8M0 => 8,
        TensorProto.Types.DataType.Uint4 or TensorProto.Types.DataType.Int4 or TensorProto.Types.DataType.Float4E2M1 => 4,
        TensorProto.Types.DataType.String => 0,
        _ => -1,
    };

    /// <summary>The spec's upper-case name of a data type code (e.g. <c>FLOAT16</c>), or <c>data type 99</c> when unknown.</summary>
    public static string Name(int dataType) => dataType switch
    {
        (int)TensorProto.Types.DataType.Float => "FLOAT",
        (int)TensorProto.Types.DataType.Uint8 => "UINT8",
        (int)TensorProto.Types.DataType.Int8 => "INT8",
        (int)TensorProto.Types.DataType.Uint16 => "UINT16",
        (int)TensorProto.Types.DataType.Int16 => "INT16",
        (int)TensorProto.Types.DataType.Int32 => "INT32",
        (int)TensorProto.Types.DataType.Int64 => "INT64",
        (int)TensorProto.Types.DataType.String => "STRING",
        (int)TensorProto.Types.DataType.Bool => "BOOL",
        (int)TensorProto.Types.DataType.Float16 => "FLOAT16",
        (int)TensorProto.Types.DataType.Double => "DOUBLE",
        (int)TensorProto.Types.DataType.Uint32 => "UINT32",
        (int)TensorProto.Types.DataType.Uint64 => "UINT64",
        (int)TensorProto.Types.DataType.Complex64 => "COMPLEX64",
        (int)TensorProto.Types.DataType.Complex128 => "COMPLEX128",
        (int)TensorProto.Types.DataType.Bfloat16 => "BFLOAT16",
        (int)TensorProto.Types.DataType.Float8E4M3Fn => "FLOAT8E4M3FN",
        (int)TensorProto.Types.DataType.Float8E4M3Fnuz => "FLOAT8E4M3FNUZ",
        (int)TensorProto.Types.DataType.Float8E5M2 => "FLOAT8E5M2",
        (int)TensorProto.Types.DataType.Float8E5M2Fnuz => "FLOAT8E5M2FNUZ",
        (int)TensorProto.Types.DataType.Uint4 => "UINT4",
        (int)TensorProto.Types.DataType.Int4 => "INT4",
        (int)TensorProto.Types.DataType.Float4E2M1 => "FLOAT4E2M1",
        (int)TensorProto.Types.DataType.Float8E8M0 => "FLOAT8E8M0",
        0 => "UNDEFINED",
        _ => $"data type {dataType}",
    };
}
