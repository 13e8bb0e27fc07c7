using System.Buffers.Binary;
using System.Text.Json;
using Elide.IO;
using Elide.Server.Models;

namespace Elide.Server.Protocol;

/// <summary>A validated inference request.</summary>
/// <param name="Id">The request id to echo, if any.</param>
/// <param name="Input">Input values, row-major, all finite.</param>
/// <param name="Images">The batch dimension.</param>
/// <param name="BinaryOutput">Answer with the binary tensor extension.</param>
public sealed record InferRequest(string? Id, float[] Input, int Images, bool BinaryOutput);

/// <summary>
/// Parses the Open Inference Protocol (KServe v2) infer request body: JSON
/// (https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/ §Inference Request JSON Object),
/// the binary tensor data extension (a JSON header of `Inference-Header-Content-Length` bytes, then the raw
/// little-endian tensors of inputs that declare `binary_data_size`, in order), and, as an Elide extension, a NumPy
/// .npy body (`Content-Type: application/x-npy`) holding the single input. Every violation is a
/// <see cref="ProtocolException"/> (400) naming the input and the problem.
/// </summary>
public static class InferRequestReader
{
    /// <summary>Content type of the .npy body extension.</summary>
    public const string NpyContentType = "application/x-npy";

    /// <summary>Parses and validates a request body for <paramref name="model"/>.</summary>
    /// <param name="body">The whole body.</param>
    /// <param name="contentType">The Content-Type header, or null.</param>
    /// <param name="headerLength">The Inference-Header-Content-Length header value, or null.</param>
    /// <param name="model">The target model (input name, shape, batch limit).</param>
    /// <exception cref="ProtocolException">Anything malformed or not matching the model.</exception>
    public static InferRequest Parse(ReadOnlyMemory<byte> body, string? contentType, string? headerLength, ServedModel model)
    {
        if (contentType is not null && contentType.StartsWith(NpyContentType, StringComparison.OrdinalIgnoreCase))
            return ParseNpy(body.Span, model);
        int jsonLength = body.Length;
        if (headerLength is not null)
        {
            if (!int.TryParse(headerLength, out jsonLength) || jsonLength < 0 || jsonLength > body.Length)
                throw new ProtocolException(400, $"Inference-Header-Content-Length '{headerLength}' is not a byte count within the {body.Length}-byte body");
        }
        if (jsonLength == 0) throw new ProtocolException(400, "the request body is empty; send an inference request JSON object");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body[..jsonLength]); }
        catch (JsonException e) { throw new ProtocolException(400, $"malformed JSON request: {e.Message}"); }
        using (doc)
            return ParseJson(doc.RootElement, body[jsonLength..].Span, headerLength is not null, model);
    }

    private static InferRequest ParseJson(JsonElement root, ReadOnlySpan<byte> binary, bool binaryExtension, ServedModel model)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new ProtocolException(400, $"the request must be a JSON object, got {root.ValueKind}");
        string? id = null;
        if (root.TryGetProperty("id", out var idElement))
            id = idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : throw new ProtocolException(400, "'id' must be a string");
        bool binaryOutput = root.TryGetProperty("parameters", out var rp) && rp.ValueKind == JsonValueKind.Object
            && rp.TryGetProperty("binary_data_output", out var bdo) && bdo.ValueKind == JsonValueKind.True;

        if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
            throw new ProtocolException(400, "the request has no 'inputs' array");
        if (inputs.GetArrayLength() != 1)
            throw new ProtocolException(400, $"model '{model.Name}' has 1 input ('{model.InputName}') but the request has {inputs.GetArrayLength()}");
        var input = inputs[0];
        if (input.ValueKind != JsonValueKind.Object) throw new ProtocolException(400, "each entry of 'inputs' must be an object");
        string name = input.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : throw new ProtocolException(400, "the input has no 'name'");
        if (name != model.InputName) throw new ProtocolException(400, $"model '{model.Name}' has no input '{name}'; its input is '{model.InputName}'");
        string datatype = input.TryGetProperty("datatype", out var dt) && dt.ValueKind == JsonValueKind.String ? dt.GetString()! : throw new ProtocolException(400, $"input '{name}' has no 'datatype'");
        if (datatype != "FP32") throw new ProtocolException(400, $"input '{name}' has datatype '{datatype}'; this model takes FP32");
        if (!input.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new ProtocolException(400, $"input '{name}' has no 'shape' array");
        var shape = new long[shapeElement.GetArrayLength()];
        int k = 0;
        foreach (var d in shapeElement.EnumerateArray())
            shape[k++] = d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long v) ? v : throw new ProtocolException(400, $"input '{name}' shape has a non-integer dimension {d}");
        int images = CheckShape(name, shape, model);
        int count = images * model.InputLength;

        if (root.TryGetProperty("outputs", out var outputs))
        {
            if (outputs.ValueKind != JsonValueKind.Array) throw new ProtocolException(400, "'outputs' must be an array");
            foreach (var o in outputs.EnumerateArray())
            {
                string? oname = o.ValueKind == JsonValueKind.Object && o.TryGetProperty("name", out var on) && on.ValueKind == JsonValueKind.String ? on.GetString() : null;
                if (oname != model.OutputName) throw new ProtocolException(400, $"model '{model.Name}' has no output '{oname}'; its output is '{model.OutputName}'");
                if (o.TryGetProperty("parameters", out var op) && op.ValueKind == JsonValueKind.Object && op.TryGetProperty("binary_data", out var bd))
                    binaryOutput = bd.ValueKind == JsonValueKind.True;
            }
        }

        var data = new float[count];
        if (input.TryGetProperty("parameters", out var ip) && ip.ValueKind == JsonValueKind.Object && ip.TryGetProperty("binary_data_size", out var bds))
        {
            if (!binaryExtension) throw new ProtocolException(400, $"input '{name}' declares binary_data_size but the request has no Inference-Header-Content-Length header");
            if (!bds.TryGetInt64(out long size) || size != (long)count * sizeof(float))
                throw new ProtocolException(400, $"input '{name}' binary_data_size {bds} does not match its shape [{string.Join(",", shape)}]: {count} FP32 values need {(long)count * 4} bytes");
            if (binary.Length != size)
                throw new ProtocolException(400, $"the binary section holds {binary.Length} bytes but input '{name}' declares {size}");
            for (int i = 0; i < count; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(binary.Slice(i * 4, 4));
        }
        else
        {
            if (binary.Length != 0) throw new ProtocolException(400, $"the request carries {binary.Length} bytes of binary data but input '{name}' declares no binary_data_size");
            if (!input.TryGetProperty("data", out var values)) throw new ProtocolException(400, $"input '{name}' has no 'data'");
            int filled = values.ValueKind == JsonValueKind.Array ? ReadFlatNumbers(values, data) : -1;
            if (filled < 0)
            {
                filled = 0;
                Flatten(name, values, data, ref filled);
            }
            if (filled != count) throw new ProtocolException(400, $"input '{name}' has {filled} values but shape [{string.Join(",", shape)}] needs {count}");
        }
        CheckFinite(name, data);
        return new InferRequest(id, data, images, binaryOutput);
    }

    /// <summary>
    /// The common case, a flat array of numbers, read straight from the element's raw UTF-8 in one pass
    /// (<see cref="FlatNumberParser"/>; no element enumeration, no second tokenization): returns the count of numbers
    /// (values beyond <paramref name="data"/> are counted, not stored), or −1 when the array holds anything else
    /// (nesting, strings), which <see cref="Flatten"/> then handles and reports.
    /// </summary>
    private static int ReadFlatNumbers(JsonElement array, float[] data) =>
        FlatNumberParser.Read(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(array), data);

    /// <summary>Row-major values; nested arrays (as some clients send) are flattened in order.</summary>
    private static void Flatten(string name, JsonElement element, float[] data, ref int filled)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in element.EnumerateArray()) Flatten(name, e, data, ref filled);
            return;
        }
        if (element.ValueKind != JsonValueKind.Number)
            throw new ProtocolException(400, $"input '{name}' element {filled} is {element.ValueKind}, not a number");
        if (filled >= data.Length) { filled++; return; } // counted, reported as a count mismatch
        data[filled++] = element.TryGetSingle(out float f) ? f : float.NaN;
    }

    private static int CheckShape(string name, long[] shape, ServedModel model)
    {
        string expected = "[" + string.Join(",", model.InputShape.Select(d => d < 0 ? "N" : d.ToString())) + "]";
        if (shape.Length != model.InputShape.Length)
            throw new ProtocolException(400, $"input '{name}' has shape [{string.Join(",", shape)}] of rank {shape.Length}; model '{model.Name}' expects {expected}");
        for (int d = 1; d < shape.Length; d++)
            if (shape[d] != model.InputShape[d])
                throw new ProtocolException(400, $"input '{name}' has shape [{string.Join(",", shape)}]; model '{model.Name}' expects {expected} (dimension {d} differs)");
        if (shape[0] < 1 || shape[0] > model.MaxBatchSize)
            throw new ProtocolException(400, $"input '{name}' has batch {shape[0]}; model '{model.Name}' takes 1..{model.MaxBatchSize} images per request");
        return (int)shape[0];
    }

    private static void CheckFinite(string name, float[] data)
    {
        for (int i = 0; i < data.Length; i++)
            if (!float.IsFinite(data[i]))
                throw new ProtocolException(400, $"input '{name}' holds a non-finite value ({data[i]}) at flat index {i}");
    }

    private static InferRequest ParseNpy(ReadOnlySpan<byte> body, ServedModel model)
    {
        NpyArray array;
        try { array = NpyFile.Read(body, "request body"); }
        catch (Exception e) when (e is NpyFormatException or FormatException or InvalidDataException or EndOfStreamException or ArgumentException or NotSupportedException)
        {
            throw new ProtocolException(400, $"malformed .npy request: {e.Message}");
        }
        var shape = array.CopyShape();
        int images = CheckShape(model.InputName, shape, model);
        float[] data;
        try { data = array.ToFloatArray(); }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or FormatException)
        {
            throw new ProtocolException(400, $".npy request: {e.Message}");
        }
        CheckFinite(model.InputName, data);
        return new InferRequest(null, data, images, false);
    }
}
