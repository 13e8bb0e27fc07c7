using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Elide.Server.Batching;
using Elide.Server.Models;

namespace Elide.Server.Protocol;

/// <summary>
/// Writes the Open Inference Protocol response: model name and version, the echoed id, the outputs, and as
/// `parameters` what Elide decided: <c>elide_config</c> (mask used), <c>elide_level</c>, <c>elide_accuracy</c>
/// (when the front knows it), <c>elide_mode</c>, <c>elide_controller_action</c>, <c>elide_predicted_ms</c>,
/// <c>elide_batch_images</c>, <c>elide_plan_batch</c>, <c>elide_queue_ms</c>, <c>elide_compute_ms</c>, <c>elide_latency_ms</c>.
/// With binary output the JSON header omits `data` and declares `binary_data_size`; the raw little-endian FP32
/// values follow it, and the header's length goes in `Inference-Header-Content-Length`.
/// </summary>
public static class InferResponseWriter
{
    /// <summary>The body, and the JSON header length when binary (else null).</summary>
    public static (byte[] Body, int? HeaderLength) Write(ServedModel model, InferRequest request, InferenceResult result, double latencyMs)
    {
        var buffer = new ArrayBufferWriter<byte>(1024 + result.Output.Length * 12);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model_name", model.Name);
            json.WriteString("model_version", result.ModelVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (request.Id is not null) json.WriteString("id", request.Id);
            json.WriteStartObject("parameters");
            json.WriteString("elide_config", result.Point.Config);
            json.WriteNumber("elide_level", result.Point.Level);
            if (result.Point.Accuracy is { } acc) json.WriteNumber("elide_accuracy", acc);
            json.WriteString("elide_mode", model.IsFixed ? "fixed" : "adaptive");
            json.WriteString("elide_controller_action", BatchScheduler.ActionLabel(result.Decision.Action));
            json.WriteNumber("elide_predicted_ms", Math.Round(result.Decision.PredictedMs, 3));
            json.WriteNumber("elide_batch_images", result.BatchImages);
            json.WriteNumber("elide_plan_batch", result.PlanBatch);
            json.WriteNumber("elide_queue_ms", Math.Round(result.QueueMs, 3));
            json.WriteNumber("elide_compute_ms", Math.Round(result.ComputeMs, 3));
            json.WriteNumber("elide_latency_ms", Math.Round(latencyMs, 3));
            json.WriteEndObject();
            json.WriteStartArray("outputs");
            json.WriteStartObject();
            json.WriteString("name", model.OutputName);
            json.WriteString("datatype", "FP32");
            json.WriteStartArray("shape");
            json.WriteNumberValue(request.Images);
            foreach (int d in model.OutputItemShape) json.WriteNumberValue(d);
            json.WriteEndArray();
            if (request.BinaryOutput)
            {
                json.WriteStartObject("parameters");
                json.WriteNumber("binary_data_size", result.Output.Length * sizeof(float));
                json.WriteEndObject();
            }
            else
            {
                json.WriteStartArray("data");
                foreach (float v in result.Output) json.WriteNumberValue(v); // shortest round-trip form
                json.WriteEndArray();
            }
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        if (!request.BinaryOutput) return (buffer.WrittenSpan.ToArray(), null);
        int header = buffer.WrittenCount;
        var body = new byte[header + result.Output.Length * sizeof(float)];
        buffer.WrittenSpan.CopyTo(body);
        for (int i = 0; i < result.Output.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(header + i * 4, 4), result.Output[i]);
        return (body, header);
    }
}
