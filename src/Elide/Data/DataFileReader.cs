using System.IO.Compression;

namespace Elide.Data;

/// <summary>
/// Reads a dataset file front to back, plain or gzip-compressed, keeping the byte offset so every error can say
/// where it happened.
/// </summary>
/// <remarks>
/// Compression is detected by the gzip magic bytes 1F 8B (RFC 1952, section 2.3.1), never by the file name:
/// distributions ship the same IDX files both ways, and some rename them.
/// </remarks>
internal sealed class DataFileReader : IDisposable
{
    private readonly Stream stream;

    private DataFileReader(string path, Stream stream, bool compressed)
    {
        Path = path;
        this.stream = stream;
        IsCompressed = compressed;
    }

    /// <summary>The file being read.</summary>
    public string Path { get; }

    /// <summary>Whether the file is gzip-compressed (offsets then count decompressed bytes).</summary>
    public bool IsCompressed { get; }

    /// <summary>Bytes consumed so far (of the decompressed data for gzip files).</summary>
    public long Position { get; private set; }

    /// <summary>Opens <paramref name="path"/>, detecting gzip by its magic bytes.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static DataFileReader Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            bool gzip = read == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
            Stream content = gzip ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16) : file;
            return new DataFileReader(path, content, gzip);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Fills <paramref name="destination"/> completely.</summary>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="what">What the bytes are, for the error message ("the header", "image 17").</param>
    /// <exception cref="DatasetFormatException">The file ends early or the gzip stream is corrupt.</exception>
    public void ReadExactly(Span<byte> destination, string what)
    {
        long start = Position;
        int read = ReadAvailable(destination);
        if (read < destination.Length)
            throw Error(start, $"truncated: expected {destination.Length} bytes of {what}, but the file ends after {read}");
    }

    /// <summary>Reads until <paramref name="destination"/> is full or the data ends; returns the bytes read.</summary>
    /// <exception cref="DatasetFormatException">The gzip stream is corrupt.</exception>
    public int ReadAvailable(Span<byte> destination)
    {
        int total = 0;
        try
        {
            while (total < destination.Length)
            {
                int read = stream.Read(destination[total..]);
                if (read == 0)
                    break;
                total += read;
            }
        }
        catch (InvalidDataException e)
        {
            throw Error(Position + total, $"corrupt gzip stream: {e.Message}", e);
        }
        Position += total;
        return total;
    }

    /// <summary>Reads a big-endian 32-bit integer (the IDX header's byte order).</summary>
    public int ReadBigEndianInt32(string what)
    {
        Span<byte> bytes = stackalloc byte[4];
        ReadExactly(bytes, what);
        return System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes);
    }

    /// <summary>Throws if any data follows the current position.</summary>
    /// <exception cref="DatasetFormatException">Trailing bytes exist.</exception>
    public void ExpectEnd(string after)
    {
        long start = Position;
        Span<byte> probe = stackalloc byte[256];
        long extra = 0;
        int read;
        while ((read = ReadAvailable(probe)) > 0)
            extra += read;
        if (extra > 0)
            throw Error(start, $"{extra} unexpected trailing bytes after {after}");
    }

    /// <summary>An error located at <paramref name="offset"/> of this file.</summary>
    public DatasetFormatException Error(long offset, string problem, Exception? inner = null) =>
        new(Path, offset, problem, IsCompressed, inner);

    public void Dispose() => stream.Dispose();
}
