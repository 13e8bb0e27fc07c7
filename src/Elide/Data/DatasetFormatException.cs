namespace Elide.Data;

/// <summary>
/// A dataset file is malformed: wrong magic number, truncated, inconsistent counts, wrong dimension count,
/// or a label outside the class range. The message names the file, the byte offset and the problem.
/// </summary>
public sealed class DatasetFormatException : Exception
{
    /// <summary>Creates the exception for the problem found at <paramref name="offset"/> of <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file being read.</param>
    /// <param name="offset">Byte offset of the problem; for gzip files, in the decompressed data. −1 if unknown.</param>
    /// <param name="problem">What is wrong, in words.</param>
    /// <param name="compressed">Whether the file is gzip-compressed (so the offset refers to decompressed bytes).</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DatasetFormatException(string filePath, long offset, string problem, bool compressed = false,
        Exception? innerException = null)
        : base(Describe(filePath, offset, problem, compressed), innerException)
    {
        FilePath = filePath;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>The file that is malformed.</summary>
    public string FilePath { get; }

    /// <summary>Byte offset of the problem (in decompressed data for gzip files), or −1 when unknown.</summary>
    public long Offset { get; }

    /// <summary>What is wrong, without the file and offset.</summary>
    public string Problem { get; }

    private static string Describe(string filePath, long offset, string problem, bool compressed)
    {
        string where = offset < 0 ? "" : compressed ? $" at offset {offset} of the decompressed data" : $" at offset {offset}";
        return $"{filePath}{where}: {problem}";
    }
}
