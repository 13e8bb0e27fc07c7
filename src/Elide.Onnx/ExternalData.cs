using System.Globalization;
using Elide.Onnx.Protos;

namespace Elide.Onnx;

/// <summary>
/// A tensor's external-data reference, parsed from its <c>external_data</c> key/value pairs
/// (IR.md, "External Tensor Data": <c>location</c> required, <c>offset</c>/<c>length</c> optional integers
/// stored as strings, <c>checksum</c> optional).
/// </summary>
/// <param name="Location">Path relative to the model's directory, with '/' separators as written by onnx.</param>
/// <param name="Offset">Byte offset of the data in the file (0 when absent).</param>
/// <param name="Length">Byte length of the data, or null when absent (then: the rest of the file).</param>
public sealed record ExternalDataReference(string Location, long Offset, long? Length)
{
    /// <summary>Parses the reference of <paramref name="tensor"/>; <paramref name="context"/> prefixes error messages.</summary>
    /// <exception cref="OnnxFormatException">location missing, offset/length not non-negative integers, or a key repeated.</exception>
    public static ExternalDataReference Parse(TensorProto tensor, string context)
    {
        string? location = null;
        long offset = 0;
        long? length = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in tensor.ExternalData)
        {
            if (!seen.Add(entry.Key))
                throw new OnnxFormatException($"{context}: external_data key '{entry.Key}' appears more than once");
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseNonNegative(entry.Value, "offset", context); break;
                case "length": length = ParseNonNegative(entry.Value, "length", context); break;
                default: break; // "checksum" and future keys do not affect where the bytes are
            }
        }
        if (string.IsNullOrEmpty(location))
            throw new OnnxFormatException($"{context}: data_location is EXTERNAL but external_data has no 'location'");
        return new ExternalDataReference(location, offset, length);
    }

    private static long ParseNonNegative(string text, string key, string context)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            throw new OnnxFormatException($"{context}: external_data '{key}' is '{text}', not a non-negative integer");
        return value;
    }
}

/// <summary>Resolves and reads external tensor data safely (no escaping the model directory).</summary>
internal static class ExternalData
{
    /// <summary>
    /// Maps a location to a full path inside <paramref name="baseDirectory"/>. Rejects absolute paths, any
    /// <c>..</c> segment, and (after following symbolic links) targets outside the directory: a model file
    /// must not be able to make the loader read arbitrary files.
    /// </summary>
    public static string ResolvePath(string location, string baseDirectory, string context)
    {
        if (location.Contains('\0'))
            throw new OnnxFormatException($"{context}: external data location contains a NUL character");
        if (Path.IsPathRooted(location) || location.StartsWith('/') || location.StartsWith('\\')
            || (location.Length >= 2 && location[1] == ':'))
            throw new OnnxFormatException($"{context}: external data location '{location}' is an absolute path; it must be relative to the model directory");
        string[] segments = location.Split('/', '\\');
        if (segments.Any(s => s == ".."))
            throw new OnnxFormatException($"{context}: external data location '{location}' contains '..'; it must stay inside the model directory");

        string root = Path.GetFullPath(baseDirectory);
        string full = Path.GetFullPath(Path.Combine(root, Path.Combine(segments)));
        if (!IsInside(full, root))
            throw new OnnxFormatException($"{context}: external data location '{location}' resolves outside the model directory");

        // A symbolic link inside the directory (the file or any folder on the way) could still point anywhere.
        string? rootTarget = Directory.Exists(root) ? new DirectoryInfo(root).ResolveLinkTarget(returnFinalTarget: true)?.FullName : null;
        string current = root;
        foreach (string segment in segments)
        {
            if (segment.Length == 0 || segment == ".") continue;
            current = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (!info.Exists || info.LinkTarget is null) continue;
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            string? targetPath = target is null ? null : Path.GetFullPath(target.FullName);
            if (targetPath is null || !(IsInside(targetPath, root) || (rootTarget is not null && IsInside(targetPath, rootTarget))))
                throw new OnnxFormatException($"{context}: external data location '{location}' goes through a symbolic link leading outside the model directory");
        }
        return full;
    }

    private static bool IsInside(string full, string root)
    {
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return full.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>
    /// Checks that the referenced byte range exists and has the expected size; returns the resolved path,
    /// offset and length.
    /// </summary>
    public static (string Path, long Offset, long Length) Locate(TensorProto tensor, string? baseDirectory, long expectedBytes, string context)
    {
        var reference = ExternalDataReference.Parse(tensor, context);
        if (baseDirectory is null)
            throw new OnnxFormatException($"{context}: uses external data ('{reference.Location}') but no model directory is known; load the model from a file or pass a base directory");
        string path = ResolvePath(reference.Location, baseDirectory, context);
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new OnnxFormatException($"{context}: external data file '{reference.Location}' does not exist (looked for {path})");
        // FileInfo.Length of a symbolic link is the link's own size; measure what it points to.
        long fileLength = info.LinkTarget is null ? info.Length : ((FileInfo?)info.ResolveLinkTarget(returnFinalTarget: true))?.Length ?? 0;
        if (reference.Offset > fileLength)
            throw new OnnxFormatException($"{context}: external data offset {reference.Offset} is beyond the end of '{reference.Location}' ({fileLength} bytes)");
        long length = reference.Length ?? fileLength - reference.Offset;
        if (length > fileLength - reference.Offset)
            throw new OnnxFormatException($"{context}: external data range [{reference.Offset}, {reference.Offset + length}) is beyond the end of '{reference.Location}' ({fileLength} bytes)");
        if (length != expectedBytes)
            throw new OnnxFormatException($"{context}: external data has {length} bytes but the dims need {expectedBytes}");
        return (path, reference.Offset, length);
    }

    /// <summary>Reads the referenced bytes after the checks of <see cref="Locate"/>.</summary>
    public static byte[] Read(TensorProto tensor, string? baseDirectory, long expectedBytes, string context)
    {
        var (path, offset, length) = Locate(tensor, baseDirectory, expectedBytes, context);
        if (length > Array.MaxLength)
            throw new OnnxFormatException($"{context}: external data of {length} bytes is too large to load into one array");
        var bytes = new byte[length];
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        int done = 0;
        while (done < bytes.Length)
        {
            int read = RandomAccess.Read(handle, bytes.AsSpan(done), offset + done);
            if (read == 0)
                throw new OnnxFormatException($"{context}: external data file '{path}' ended early (it changed while being read)");
            done += read;
        }
        return bytes;
    }
}
