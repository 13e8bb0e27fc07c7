using System.Buffers.Binary;
using System.Text;

namespace Elide.IO;

/// <summary>
/// Reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0; NumPy's
/// <c>numpy.lib.format</c> specification): magic <c>\x93NUMPY</c>, version bytes, a little-endian header
/// length (2 bytes in v1, 4 in v2/v3), a Python-dict header padded with spaces to a 64-byte boundary and
/// ending in '\n', then the raw element data. Only little-endian, C-order arrays of the
/// <see cref="NpyDType"/> types are supported; anything else is a clear <see cref="NpyFormatException"/>.
/// </summary>
public static class NpyFile
{
    /// <summary>Largest header accepted (bytes). NumPy itself refuses headers over 10,000 bytes by default.</summary>
    public const int MaxHeaderLength = 65535;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // NumPy pads the preamble + header to a multiple of 64 so data is aligned for memory mapping.
    private const int Alignment = 64;

    /// <summary>Reads the .npy file at <paramref name="path"/>.</summary>
    /// <exception cref="NpyFormatException">Malformed or unsupported file; the message names the path.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static NpyArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a .npy file from a stream (to its end).</summary>
    /// <exception cref="NpyFormatException">Malformed or unsupported content.</exception>
    public static NpyArray Read(Stream stream, string sourceName = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), sourceName);
    }

    /// <summary>Parses .npy content.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <exception cref="NpyFormatException">
    /// Bad magic, unknown version, truncated preamble/header/data, trailing bytes, header longer than
    /// <see cref="MaxHeaderLength"/>, malformed header, unsupported dtype, big-endian data or Fortran order.
    /// </exception>
    public static NpyArray Read(ReadOnlySpan<byte> bytes, string sourceName = "<memory>")
    {
        if (bytes.Length < Magic.Length || !bytes.StartsWith(Magic))
            throw new NpyFormatException($"{sourceName}: not a .npy file (it does not start with the magic bytes \\x93NUMPY)");
        if (bytes.Length < 8)
            throw new NpyFormatException($"{sourceName}: truncated .npy file ({bytes.Length} bytes, the preamble alone needs 8)");
        byte major = bytes[6], minor = bytes[7];
        int lengthBytes = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new NpyFormatException($"{sourceName}: .npy format version {major}.{minor} is not supported (supported: 1.0, 2.0, 3.0)"),
        };
        if (bytes.Length < 8 + lengthBytes)
            throw new NpyFormatException($"{sourceName}: truncated .npy file (the header length field is incomplete)");
        long headerLength = lengthBytes == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (headerLength > MaxHeaderLength)
            throw new NpyFormatException($"{sourceName}: .npy header is {headerLength} bytes, longer than the {MaxHeaderLength}-byte limit (corrupt file?)");
        int dataStart = 8 + lengthBytes + (int)headerLength;
        if (bytes.Length < dataStart)
            throw new NpyFormatException($"{sourceName}: truncated .npy file (the header needs {headerLength} bytes, only {bytes.Length - 8 - lengthBytes} present)");

        // v1/v2 headers are latin-1, v3 headers UTF-8; the fields we read are ASCII either way.
        var headerBytes = bytes[(8 + lengthBytes)..dataStart];
        string headerText = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        var header = NpyHeader.Parse(headerText, sourceName);

        var dtype = NpyDTypes.TryParseDescr(header.Descr, out string problem)
            ?? throw new NpyFormatException($"{sourceName}: {problem}");
        if (header.FortranOrder && header.Shape.Count(d => d != 1) > 1)
            throw new NpyFormatException($"{sourceName}: the array is stored in Fortran (column-major) order, which is not supported; save it with numpy.ascontiguousarray(a)");

        long count;
        try
        {
            count = NpyArray.CheckedCount(header.Shape);
        }
        catch (ArgumentException e)
        {
            throw new NpyFormatException($"{sourceName}: {e.Message}");
        }
        long dataLength = count * dtype.ByteSize();
        long available = bytes.Length - dataStart;
        if (available < dataLength)
            throw new NpyFormatException($"{sourceName}: truncated .npy data: shape ({string.Join(", ", header.Shape)}) of {header.Descr} needs {dataLength} bytes, only {available} present");
        if (available > dataLength)
            throw new NpyFormatException($"{sourceName}: {available - dataLength} unexpected bytes after the array data (shape ({string.Join(", ", header.Shape)}) of {header.Descr} needs {dataLength})");
        return NpyArray.FromRawBytes(dtype, header.Shape, bytes[dataStart..]);
    }

    /// <summary>Serializes <paramref name="array"/> exactly as <c>numpy.save</c> would (version 1.0 unless the header needs 2.0).</summary>
    public static byte[] Serialize(NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        string dict = NpyHeader.Format(array.DType.Descr(), array.Shape);
        // Version 1.0 unless the padded header does not fit its 16-bit length field (NumPy's rule).
        int version = 1;
        int preamble = 10;
        int padded = AlignUp(preamble + dict.Length + 1);
        if (padded - preamble > ushort.MaxValue)
        {
            version = 2;
            preamble = 12;
            padded = AlignUp(preamble + dict.Length + 1);
        }
        int headerLength = padded - preamble;

        var bytes = new byte[padded + array.RawData.Length];
        Span<byte> span = bytes;
        Magic.CopyTo(span);
        span[6] = (byte)version;
        span[7] = 0;
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(span[8..], (ushort)headerLength);
        else BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)headerLength);
        int written = Encoding.ASCII.GetBytes(dict, span[preamble..]);
        span.Slice(preamble + written, headerLength - written - 1).Fill((byte)' ');
        span[padded - 1] = (byte)'\n';
        array.RawData.CopyTo(span[padded..]);
        return bytes;
    }

    private static int AlignUp(int length) => (length + Alignment - 1) / Alignment * Alignment;

    /// <summary>Writes <paramref name="array"/> to <paramref name="stream"/> in .npy format.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Serialize(array));
    }

    /// <summary>
    /// Writes <paramref name="array"/> to <paramref name="path"/> atomically: a temporary file in the same
    /// directory is written, flushed and renamed over the target.
    /// </summary>
    public static void Write(string path, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] content = Serialize(array);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }
}
