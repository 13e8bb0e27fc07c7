using Elide.Onnx.Protos;
using Google.Protobuf;

namespace Elide.Onnx;

/// <summary>Options for <see cref="OnnxModelFile.Load(string, OnnxLoadOptions?)"/>.</summary>
public sealed record OnnxLoadOptions
{
    /// <summary>
    /// When true, external tensor data is read into <c>raw_data</c> and the external references are
    /// removed, so the returned model no longer depends on files next to it (needed before re-saving
    /// elsewhere). When false (default) references are only checked: files exist and ranges fit.
    /// </summary>
    public bool InlineExternalData { get; init; }

    /// <summary>Name used in error messages when loading from bytes or a stream (default: the base directory, or "&lt;memory&gt;").</summary>
    public string? SourceName { get; init; }
}

/// <summary>
/// Reads and writes ONNX model files (binary protobuf <see cref="ModelProto"/>), validating structure on
/// the way in and out. Every problem with the input is reported as an <see cref="OnnxFormatException"/>
/// naming the file and what is wrong.
/// </summary>
public static class OnnxModelFile
{
    /// <summary>Oldest IR version accepted (IR 3, Oct 2017: the first with opset_import; 1 and 2 were pre-release).</summary>
    public const long MinIrVersion = 3;

    /// <summary>Newest IR version this library's onnx.proto describes (IR 11).</summary>
    public const long MaxIrVersion = 11;

    /// <summary>Loads and validates the model at <paramref name="path"/>; external data is resolved relative to its directory.</summary>
    /// <exception cref="OnnxFormatException">
    /// Empty, truncated or non-protobuf file (including recognizable foreign formats such as .npy, zip or
    /// HDF5), missing graph or ir_version, unsupported ir_version, invalid dims, data not matching dims,
    /// duplicate names, or external data that is missing, out of range or outside the model directory.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static ModelProto Load(string path, OnnxLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"ONNX model file not found: {fullPath}", fullPath);
        byte[] bytes = File.ReadAllBytes(fullPath);
        return LoadCore(bytes, Path.GetDirectoryName(fullPath), path, options ?? new OnnxLoadOptions());
    }

    /// <summary>Loads and validates a model from its serialized bytes.</summary>
    /// <param name="bytes">The .onnx file content.</param>
    /// <param name="baseDirectory">Directory that external data locations are relative to; null when the model has none.</param>
    /// <param name="options">Load options; <see cref="OnnxLoadOptions.SourceName"/> names the input in errors.</param>
    /// <exception cref="OnnxFormatException">As for <see cref="Load(string, OnnxLoadOptions?)"/>.</exception>
    public static ModelProto Load(ReadOnlySpan<byte> bytes, string? baseDirectory, OnnxLoadOptions? options = null)
    {
        options ??= new OnnxLoadOptions();
        return LoadCore(bytes, baseDirectory, options.SourceName ?? baseDirectory ?? "<memory>", options);
    }

    /// <summary>Loads and validates a model read to the end of <paramref name="stream"/>.</summary>
    /// <exception cref="OnnxFormatException">As for <see cref="Load(string, OnnxLoadOptions?)"/>.</exception>
    public static ModelProto Load(Stream stream, string? baseDirectory, OnnxLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Load(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), baseDirectory, options);
    }

    private static ModelProto LoadCore(ReadOnlySpan<byte> bytes, string? baseDirectory, string source, OnnxLoadOptions options)
    {
        if (bytes.Length == 0)
            throw new OnnxFormatException($"{source}: the file is empty (0 bytes)");
        if (FileSignature.DescribeForeignFormat(bytes) is { } foreign)
            throw new OnnxFormatException($"{source}: {foreign}");

        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"{source}: not a valid ONNX protobuf (truncated or corrupt file?): {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            // Google.Protobuf reports invalid UTF-8 in string fields with a DecoderFallbackException.
            throw new OnnxFormatException($"{source}: not a valid ONNX protobuf (a string field is not valid UTF-8): {e.Message}", e);
        }

        ModelValidator.Validate(model, source, baseDirectory, checkExternalFiles: true);
        if (options.InlineExternalData)
            InlineExternalData(model, baseDirectory ?? "", source);
        return model;
    }

    /// <summary>Validates a model without loading anything (see <see cref="Load(string, OnnxLoadOptions?)"/> for the checks).</summary>
    /// <param name="model">The model.</param>
    /// <param name="baseDirectory">When given, external data files are checked too.</param>
    /// <param name="sourceName">Name that prefixes error messages.</param>
    /// <exception cref="OnnxFormatException">The model is malformed.</exception>
    public static void Validate(ModelProto model, string? baseDirectory = null, string sourceName = "<model>")
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelValidator.Validate(model, sourceName, baseDirectory, checkExternalFiles: baseDirectory is not null);
    }

    /// <summary>Reads every external tensor of <paramref name="model"/> into <c>raw_data</c> and drops the references.</summary>
    /// <exception cref="OnnxFormatException">An external file is missing, too short, or outside <paramref name="baseDirectory"/>.</exception>
    public static void InlineExternalData(ModelProto model, string baseDirectory, string sourceName = "<model>")
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var tensor in ModelTensors.All(model))
        {
            if (tensor.DataLocation != TensorProto.Types.DataLocation.External) continue;
            string context = $"{sourceName}: tensor '{tensor.Name}'";
            long count = TensorLayout.ElementCount(tensor.Dims, context);
            byte[] bytes = ExternalData.Read(tensor, baseDirectory, TensorLayout.RawByteLength(tensor.DataType, count), context);
            tensor.RawData = ByteString.CopyFrom(bytes);
            tensor.ExternalData.Clear();
            tensor.DataLocation = TensorProto.Types.DataLocation.Default;
        }
    }

    /// <summary>Serializes a validated model to bytes (all tensor data must be inline or already external).</summary>
    /// <exception cref="OnnxFormatException">The model is malformed, or larger than protobuf's 2 GiB message limit.</exception>
    public static byte[] Serialize(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelValidator.Validate(model, "<model being serialized>", baseDirectory: null, checkExternalFiles: false);
        return ToBytesChecked(model, "<model being serialized>");
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> atomically: content goes to a temporary file
    /// in the same directory which is then renamed over the target, so readers never see a partial file.
    /// With <paramref name="externalData"/>, tensors of at least <see cref="ExternalDataOptions.SizeThresholdBytes"/>
    /// bytes are moved to a side file (written the same way) and referenced from the model. The caller's
    /// model object is not modified.
    /// </summary>
    /// <exception cref="OnnxFormatException">The model is malformed or too large for one protobuf message.</exception>
    /// <exception cref="InvalidOperationException">The model still references external data files; load it with <see cref="OnnxLoadOptions.InlineExternalData"/> before re-saving.</exception>
    /// <exception cref="ArgumentException">The external data file name is not a plain file name.</exception>
    public static void Save(ModelProto model, string path, ExternalDataOptions? externalData = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        ModelValidator.Validate(model, fullPath, baseDirectory: null, checkExternalFiles: false);
        if (ModelTensors.All(model).Any(t => t.DataLocation == TensorProto.Types.DataLocation.External))
            throw new InvalidOperationException(
                "the model references external data files; load it with OnnxLoadOptions.InlineExternalData = true (or call InlineExternalData) before saving it");

        ModelProto toWrite = model;
        if (externalData is not null)
        {
            toWrite = model.Clone();
            ExternalDataWriter.MoveTensorsOut(toWrite, directory, externalData);
        }
        AtomicFile.Write(fullPath, ToBytesChecked(toWrite, fullPath));
    }

    private static byte[] ToBytesChecked(ModelProto model, string source)
    {
        // CalculateSize is an int: a model above 2 GiB overflows it and cannot be one protobuf message.
        int size = model.CalculateSize();
        if (size < 0)
            throw new OnnxFormatException($"{source}: the model is larger than the 2 GiB protobuf limit; save it with ExternalDataOptions");
        return model.ToByteArray();
    }
}
