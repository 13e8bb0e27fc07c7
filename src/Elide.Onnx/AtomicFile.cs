namespace Elide.Onnx;

/// <summary>Write-to-temp-then-rename, so a crash or a concurrent reader never sees a half-written file.</summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically (same-directory temp file, flushed, renamed).</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string temp = TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>A unique hidden temporary name next to <paramref name="path"/> (same directory, so the rename cannot cross file systems).</summary>
    public static string TempPathFor(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
