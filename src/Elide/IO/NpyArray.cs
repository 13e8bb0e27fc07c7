using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;

namespace Elide.IO;

/// <summary>
/// An n-dimensional array as stored in a .npy file: a dtype, a C-order shape, and the element bytes
/// (little-endian). Values can be read as float, double or Int64 whatever the dtype, and an array of the
/// original dtype can be rebuilt from modified values for writing back. Immutable.
/// </summary>
public sealed class NpyArray
{
    private readonly long[] _shape;
    private readonly byte[] _bytes;

    private NpyArray(NpyDType dtype, long[] shape, byte[] bytes)
    {
        DType = dtype;
        _shape = shape;
        _bytes = bytes;
        Shape = Array.AsReadOnly(shape);
        ElementCount = CheckedCount(shape);
    }

    /// <summary>Element type.</summary>
    public NpyDType DType { get; }

    /// <summary>Shape in C (row-major) order; empty for a 0-d array.</summary>
    public ReadOnlyCollection<long> Shape { get; }

    /// <summary>Product of <see cref="Shape"/> (1 for a 0-d array).</summary>
    public long ElementCount { get; }

    /// <summary>Element bytes, little-endian, row-major.</summary>
    public ReadOnlySpan<byte> RawData => _bytes;

    /// <summary>Copy of the shape as an array.</summary>
    public long[] CopyShape() => (long[])_shape.Clone();

    /// <summary>Creates an array from little-endian element bytes (copied).</summary>
    /// <exception cref="ArgumentException">Negative or overflowing shape, or a byte count not equal to count × element size.</exception>
    public static NpyArray FromRawBytes(NpyDType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> littleEndianBytes)
    {
        if (!Enum.IsDefined(dtype)) throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not an NpyDType");
        long[] dims = shape.ToArray();
        long expected = CheckedCount(dims) * dtype.ByteSize();
        if (littleEndianBytes.Length != expected)
            throw new ArgumentException($"{littleEndianBytes.Length} bytes given but shape ({string.Join(", ", dims)}) of {dtype} needs {expected}", nameof(littleEndianBytes));
        return new NpyArray(dtype, dims, littleEndianBytes.ToArray());
    }

    /// <summary>
    /// Creates an array of <paramref name="dtype"/> from float values: exact for Float32/Float64, rounded to
    /// nearest for Float16; integer and Bool dtypes require integral values in range (Bool: 0 or 1), so no
    /// value is silently changed.
    /// </summary>
    /// <exception cref="ArgumentException">Shape/count mismatch, or a value not representable in an integer dtype.</exception>
    public static NpyArray FromFloats(ReadOnlySpan<long> shape, ReadOnlySpan<float> values, NpyDType dtype = NpyDType.Float32)
    {
        var bytes = new byte[CheckCount(shape, values.Length) * dtype.ByteSize()];
        Span<byte> b = bytes;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            switch (dtype)
            {
                case NpyDType.Float32: BinaryPrimitives.WriteSingleLittleEndian(b[(i * 4)..], v); break;
                case NpyDType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(b[(i * 8)..], v); break;
                case NpyDType.Float16: BinaryPrimitives.WriteHalfLittleEndian(b[(i * 2)..], (Half)v); break;
                default:
                    if (v != MathF.Truncate(v) || v < -9.2233720e18f || v >= 9.2233720e18f)
                        throw new ArgumentException($"value {v} at index {i} is not representable as {dtype}", nameof(values));
                    WriteInteger(b, i, (long)v, dtype, nameof(values));
                    break;
            }
        }
        return new NpyArray(dtype, shape.ToArray(), bytes);
    }

    /// <summary>Creates a Float64 array (or another float dtype, rounding to nearest).</summary>
    /// <exception cref="ArgumentException">Shape/count mismatch or an integer dtype.</exception>
    public static NpyArray FromDoubles(ReadOnlySpan<long> shape, ReadOnlySpan<double> values, NpyDType dtype = NpyDType.Float64)
    {
        if (dtype.IsInteger()) throw new ArgumentException($"FromDoubles needs a floating-point dtype, not {dtype}; use FromInt64s", nameof(dtype));
        var bytes = new byte[CheckCount(shape, values.Length) * dtype.ByteSize()];
        Span<byte> b = bytes;
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case NpyDType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(b[(i * 8)..], values[i]); break;
                case NpyDType.Float32: BinaryPrimitives.WriteSingleLittleEndian(b[(i * 4)..], (float)values[i]); break;
                default: BinaryPrimitives.WriteHalfLittleEndian(b[(i * 2)..], (Half)values[i]); break;
            }
        }
        return new NpyArray(dtype, shape.ToArray(), bytes);
    }

    /// <summary>Creates an array of an integer or Bool dtype from Int64 values, which must be in the dtype's range (Bool: 0 or 1).</summary>
    /// <exception cref="ArgumentException">Shape/count mismatch, a floating-point dtype, or a value out of range.</exception>
    public static NpyArray FromInt64s(ReadOnlySpan<long> shape, ReadOnlySpan<long> values, NpyDType dtype = NpyDType.Int64)
    {
        if (!dtype.IsInteger()) throw new ArgumentException($"FromInt64s needs an integer or Bool dtype, not {dtype}; use FromFloats", nameof(dtype));
        var bytes = new byte[CheckCount(shape, values.Length) * dtype.ByteSize()];
        for (int i = 0; i < values.Length; i++) WriteInteger(bytes, i, values[i], dtype, nameof(values));
        return new NpyArray(dtype, shape.ToArray(), bytes);
    }

    /// <summary>Values as float: exact for Float32/Float16/small integers, rounded to nearest otherwise; Bool gives 0/1.</summary>
    public float[] ToFloatArray()
    {
        var result = new float[ElementCount];
        ReadOnlySpan<byte> b = _bytes;
        switch (DType)
        {
            case NpyDType.Float32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(b).CopyTo(result);
                else for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(b[(i * 4)..]);
                break;
            case NpyDType.Float64:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(b[(i * 8)..]);
                break;
            case NpyDType.Float16:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(b[(i * 2)..]);
                break;
            default:
                for (int i = 0; i < result.Length; i++) result[i] = ReadInteger(b, i);
                break;
        }
        return result;
    }

    /// <summary>Values as double (exact for every dtype except Int64 beyond 2^53).</summary>
    public double[] ToDoubleArray()
    {
        var result = new double[ElementCount];
        ReadOnlySpan<byte> b = _bytes;
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = DType switch
            {
                NpyDType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(b[(i * 8)..]),
                NpyDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(b[(i * 4)..]),
                NpyDType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(b[(i * 2)..]),
                _ => ReadInteger(b, i),
            };
        }
        return result;
    }

    /// <summary>Values of an integer or Bool array as Int64.</summary>
    /// <exception cref="InvalidOperationException">The array holds floating-point values (refused rather than truncated).</exception>
    public long[] ToInt64Array()
    {
        if (!DType.IsInteger())
            throw new InvalidOperationException($"the array has dtype {DType}; ToInt64Array needs an integer or Bool array");
        var result = new long[ElementCount];
        for (int i = 0; i < result.Length; i++) result[i] = ReadInteger(_bytes, i);
        return result;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{DType}({string.Join(", ", _shape)})";

    private long ReadInteger(ReadOnlySpan<byte> b, int i) => DType switch
    {
        NpyDType.Int8 => (sbyte)b[i],
        NpyDType.UInt8 => b[i],
        NpyDType.Bool => b[i] != 0 ? 1 : 0,
        NpyDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b[(i * 2)..]),
        NpyDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b[(i * 4)..]),
        NpyDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b[(i * 8)..]),
        _ => throw new InvalidOperationException($"{DType} is not an integer dtype"),
    };

    private static void WriteInteger(Span<byte> b, int i, long v, NpyDType dtype, string parameter)
    {
        (long min, long max) = dtype switch
        {
            NpyDType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
            NpyDType.UInt8 => (byte.MinValue, byte.MaxValue),
            NpyDType.Bool => (0L, 1L),
            NpyDType.Int16 => (short.MinValue, short.MaxValue),
            NpyDType.Int32 => (int.MinValue, int.MaxValue),
            _ => (long.MinValue, long.MaxValue),
        };
        if (v < min || v > max)
            throw new ArgumentException($"value {v} at index {i} is out of range for {dtype} [{min}, {max}]", parameter);
        switch (dtype)
        {
            case NpyDType.Int8 or NpyDType.UInt8 or NpyDType.Bool: b[i] = (byte)v; break;
            case NpyDType.Int16: BinaryPrimitives.WriteInt16LittleEndian(b[(i * 2)..], (short)v); break;
            case NpyDType.Int32: BinaryPrimitives.WriteInt32LittleEndian(b[(i * 4)..], (int)v); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(b[(i * 8)..], v); break;
        }
    }

    private static long CheckCount(ReadOnlySpan<long> shape, int valueCount)
    {
        long count = CheckedCount(shape.ToArray());
        if (count != valueCount)
            throw new ArgumentException($"{valueCount} values given but shape ({string.Join(", ", shape.ToArray())}) needs {count}");
        return count;
    }

    /// <summary>Element count with negative/overflow checks; limited to int.MaxValue because .NET arrays are int-indexed.</summary>
    internal static long CheckedCount(long[] shape)
    {
        long count = 1;
        foreach (long dim in shape)
        {
            if (dim < 0) throw new ArgumentException($"shape ({string.Join(", ", shape)}) has a negative dimension");
            if (dim != 0 && count > int.MaxValue / dim)
                throw new ArgumentException($"shape ({string.Join(", ", shape)}) has more than {int.MaxValue} elements");
            count *= dim;
        }
        return count;
    }
}
