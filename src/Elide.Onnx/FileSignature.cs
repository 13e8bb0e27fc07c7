using System.Buffers.Binary;
using System.Text;

namespace Elide.Onnx;

/// <summary>
/// Recognizes files that are commonly passed by mistake where an .onnx model is expected. A protobuf has
/// no magic number, so this only catches formats that do have one (or are plainly text) and explains
/// what the file is; anything else is left to the protobuf parser.
/// </summary>
internal static class FileSignature
{
    private static ReadOnlySpan<byte> NpyMagic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private static ReadOnlySpan<byte> Hdf5Magic => [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Returns a description of the foreign format, or null when the bytes may be an ONNX protobuf.</summary>
    public static string? DescribeForeignFormat(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(NpyMagic))
            return "this is a NumPy .npy array file, not an ONNX model";
        if (bytes.StartsWith("PK\u0003\u0004"u8) || bytes.StartsWith("PK\u0005\u0006"u8))
            return "this is a zip archive (for example .npz, a PyTorch .pt/.pth checkpoint or a zipped model), not an ONNX model; extract the .onnx file first";
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
            return "this is a gzip-compressed file (for example a .tar.gz download), not an ONNX model; extract the .onnx file first";
        if (bytes.StartsWith(Hdf5Magic))
            return "this is an HDF5 file (for example a Keras .h5 model), not an ONNX model";
        if (bytes.Length >= 8 && bytes[4..8].SequenceEqual("TFL3"u8))
            return "this is a TensorFlow Lite flatbuffer, not an ONNX model";
        if (bytes.Length >= 8 && bytes[4..8].SequenceEqual("ORTM"u8))
            return "this is an ONNX Runtime .ort flatbuffer, not the protobuf .onnx format";
        if (bytes.StartsWith("GGUF"u8))
            return "this is a GGUF file (llama.cpp), not an ONNX model";
        if (bytes.Length >= 2 && bytes[0] == 0x80 && bytes[1] is >= 2 and <= 5)
            return "this is a Python pickle (for example a legacy PyTorch checkpoint), not an ONNX model";
        if (bytes.StartsWith("version https://git-lfs"u8))
            return "this is a Git LFS pointer file, not the model itself; run 'git lfs pull' to fetch the real file";
        if (LooksLikeSafetensors(bytes))
            return "this is a safetensors file, not an ONNX model";
        return DescribeText(bytes);
    }

    // safetensors: u64 little-endian header length, then a JSON object.
    private static bool LooksLikeSafetensors(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 9) return false;
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return bytes[8] == (byte)'{' && headerLength >= 2 && headerLength <= (ulong)(bytes.Length - 8);
    }

    // A binary ModelProto starts with a field tag (ir_version is 0x08), never with printable text.
    private static string? DescribeText(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(bytes.Length, 256)];
        foreach (byte b in head)
            if (b is not ((>= 0x20 and < 0x7F) or (byte)'\n' or (byte)'\r' or (byte)'\t')) return null;
        string text = Encoding.ASCII.GetString(head).TrimStart();
        if (text.StartsWith('<'))
            return "this is an XML/HTML text file (perhaps an error page saved instead of the model), not an ONNX model";
        if (text.StartsWith('{') || text.StartsWith('['))
            return "this is a JSON text file, not an ONNX model";
        if (text.StartsWith("ir_version", StringComparison.Ordinal) || text.Contains("graph {", StringComparison.Ordinal))
            return "this looks like ONNX text format (protobuf text), not the binary .onnx format; convert it to binary first";
        return "this is a text file, not a binary ONNX model";
    }
}
