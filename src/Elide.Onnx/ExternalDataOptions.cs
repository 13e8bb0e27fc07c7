using System.Globalization;
using Elide.Onnx.Protos;
using Google.Protobuf;

namespace Elide.Onnx;

/// <summary>How <see cref="OnnxModelFile.Save"/> moves large tensors into a side file (IR.md, "External Tensor Data").</summary>
public sealed record ExternalDataOptions
{
    /// <summary>Side file name, created next to the model. Must be a plain file name (no directories).</summary>
    public required string FileName { get; init; }

    /// <summary>Tensors with at least this many data bytes go to the side file; smaller ones stay inline. Default 1 KiB.</summary>
    public long SizeThresholdBytes { get; init; } = 1024;

    /// <summary>
    /// Each tensor's offset is a multiple of this (a power of two). The spec recommends the 4096-byte page
    /// size so readers can memory-map tensors; that is the default.
    /// </summary>
    public int Alignment { get; init; } = 4096;
}

/// <summary>Moves tensor data of a (cloned) model into the side file named by <see cref="ExternalDataOptions"/>.</summary>
internal static class ExternalDataWriter
{
    public static void MoveTensorsOut(ModelProto model, string directory, ExternalDataOptions options)
    {
        string fileName = options.FileName;
        if (string.IsNullOrWhiteSpace(fileName) || fileName != Path.GetFileName(fileName) || fileName is "." or ".."
            || fileName.Contains('/') || fileName.Contains('\\'))
            throw new ArgumentException($"external data file name '{fileName}' must be a plain file name in the model's directory", nameof(options));
        if (options.Alignment < 1 || (options.Alignment & (options.Alignment - 1)) != 0)
            throw new ArgumentException($"external data alignment {options.Alignment} is not a positive power of two", nameof(options));
        if (options.SizeThresholdBytes < 0)
            throw new ArgumentException("external data size threshold must be non-negative", nameof(options));

        string path = Path.Combine(directory, fileName);
        string temp = AtomicFile.TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                foreach (var tensor in ModelTensors.All(model))
                {
                    byte[]? bytes = RawBytesOf(tensor);
                    if (bytes is null || bytes.Length == 0 || bytes.Length < options.SizeThresholdBytes) continue;

                    long offset = AlignUp(stream.Position, options.Alignment);
                    if (offset > stream.Position) stream.Write(new byte[offset - stream.Position]);
                    stream.Write(bytes);

                    ClearData(tensor);
                    tensor.DataLocation = TensorProto.Types.DataLocation.External;
                    tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = fileName });
                    tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
                    tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = bytes.Length.ToString(CultureInfo.InvariantCulture) });
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            AtomicFile.TryDelete(temp);
            throw;
        }
    }

    // Raw little-endian bytes of a tensor, converting typed fields when OnnxTensor understands the type.
    // Null means "leave inline" (strings, segmented tensors, or typed data of types we do not decode).
    private static byte[]? RawBytesOf(TensorProto tensor)
    {
        if (tensor.Segment is not null || tensor.DataType == (int)TensorProto.Types.DataType.String) return null;
        if (tensor.RawData.Length > 0) return tensor.RawData.ToByteArray();
        if (!OnnxDataTypes.TryGetElementType(tensor.DataType, out _)) return null;
        return OnnxTensor.FromProto(tensor).RawData.ToArray();
    }

    private static void ClearData(TensorProto tensor)
    {
        tensor.RawData = ByteString.Empty;
        tensor.FloatData.Clear();
        tensor.Int32Data.Clear();
        tensor.Int64Data.Clear();
        tensor.DoubleData.Clear();
        tensor.Uint64Data.Clear();
    }

    private static long AlignUp(long value, int alignment) => (value + alignment - 1) & ~(long)(alignment - 1);
}
