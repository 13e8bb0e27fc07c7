namespace Elide.IO;

/// <summary>Element types supported in .npy files (all little-endian; single-byte types have no byte order).</summary>
public enum NpyDType
{
    /// <summary><c>&lt;f4</c>: IEEE 754 binary32.</summary>
    Float32,
    /// <summary><c>&lt;f8</c>: IEEE 754 binary64.</summary>
    Float64,
    /// <summary><c>&lt;f2</c>: IEEE 754 binary16.</summary>
    Float16,
    /// <summary><c>|i1</c>: signed 8-bit integer.</summary>
    Int8,
    /// <summary><c>|u1</c>: unsigned 8-bit integer.</summary>
    UInt8,
    /// <summary><c>&lt;i2</c>: signed 16-bit integer.</summary>
    Int16,
    /// <summary><c>&lt;i4</c>: signed 32-bit integer.</summary>
    Int32,
    /// <summary><c>&lt;i8</c>: signed 64-bit integer.</summary>
    Int64,
    /// <summary><c>|b1</c>: boolean, one byte 0 or 1.</summary>
    Bool,
}

/// <summary>Sizes and NumPy type strings of <see cref="NpyDType"/>.</summary>
public static class NpyDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ByteSize(this NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 or NpyDType.Int32 => 4,
        NpyDType.Float64 or NpyDType.Int64 => 8,
        NpyDType.Float16 or NpyDType.Int16 => 2,
        NpyDType.Int8 or NpyDType.UInt8 or NpyDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not an NpyDType"),
    };

    /// <summary>The type string NumPy writes for the dtype (its <c>dtype.str</c>), e.g. <c>&lt;f4</c> or <c>|u1</c>.</summary>
    public static string Descr(this NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "<f4",
        NpyDType.Float64 => "<f8",
        NpyDType.Float16 => "<f2",
        NpyDType.Int8 => "|i1",
        NpyDType.UInt8 => "|u1",
        NpyDType.Int16 => "<i2",
        NpyDType.Int32 => "<i4",
        NpyDType.Int64 => "<i8",
        NpyDType.Bool => "|b1",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not an NpyDType"),
    };

    /// <summary>True for the integer and Bool dtypes.</summary>
    public static bool IsInteger(this NpyDType dtype) => dtype is not (NpyDType.Float32 or NpyDType.Float64 or NpyDType.Float16);

    /// <summary>
    /// Parses a NumPy type string. Accepts '&lt;' (little), '|' (not applicable) and '=' (native, which is
    /// little-endian on every host Elide runs on) byte-order marks, or none.
    /// </summary>
    /// <returns>Null with <paramref name="problem"/> set when unsupported.</returns>
    internal static NpyDType? TryParseDescr(string descr, out string problem)
    {
        problem = "";
        string body = descr;
        if (body.Length > 0 && body[0] is '<' or '|' or '=' or '>')
        {
            if (body[0] == '>' && body[1..] is not ("i1" or "u1" or "b1"))
            {
                problem = $"dtype '{descr}' is big-endian; only little-endian data is supported (convert with array.astype('<{body[1..]}'))";
                return null;
            }
            body = body[1..];
        }
        NpyDType? dtype = body switch
        {
            "f4" => NpyDType.Float32,
            "f8" => NpyDType.Float64,
            "f2" or "e" => NpyDType.Float16,
            "i1" or "b" => NpyDType.Int8,
            "u1" or "B" => NpyDType.UInt8,
            "i2" => NpyDType.Int16,
            "i4" => NpyDType.Int32,
            "i8" => NpyDType.Int64,
            "b1" or "?" => NpyDType.Bool,
            _ => null,
        };
        if (dtype is null)
            problem = $"dtype '{descr}' is not supported (supported: <f4 <f8 <f2 |i1 |u1 <i2 <i4 <i8 |b1)";
        return dtype;
    }
}
