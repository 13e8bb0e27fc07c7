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
    // One buffer and writer per thread, reused: a response is built and copied out before its thread moves on.
    [ThreadStatic] private static ArrayBufferWriter<byte>? threadBuffer;
    [ThreadStatic] private static Utf8JsonWriter? threadWriter;

    /// <summary>
    /// Builds the response in this thread's buffer. The result must be copied out with
    /// <see cref="PreparedResponse.CopyTo"/> before the thread builds another one (no await in between): at a few
    /// thousand requests per second, per-request buffers were a garbage-collection cost paid by the engine thread too.
    /// </summary>
    public static PreparedResponse Prepare(ServedModel model, InferRequest request, InferenceResult result, double latencyMs)
    {
        var buffer = threadBuffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var json = threadWriter ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        WriteJson(json, model, request, result, latencyMs);
        json.Flush();
        return new PreparedResponse(buffer, request.BinaryOutput ? result.Output : null);
    }

    /// <summary>A response built by <see cref="Prepare"/>: the JSON in a per-thread buffer and, with binary output, the values to append.</summary>
    public readonly struct PreparedResponse
    {
        private readonly ArrayBufferWriter<byte> json;
        private readonly float[]? binary;

        internal PreparedResponse(ArrayBufferWriter<byte> json, float[]? binary)
        {
            this.json = json;
            this.binary = binary;
        }

        /// <summary>Body length in bytes.</summary>
        public int Length => json.WrittenCount + (binary?.Length ?? 0) * sizeof(float);

        /// <summary>The JSON header's length when the outputs follow it as raw bytes, else null.</summary>
        public int? HeaderLength => binary is null ? null : json.WrittenCount;

        /// <summary>Writes the body: the JSON, then with binary output the little-endian FP32 values.</summary>
        public void CopyTo(IBufferWriter<byte> destination)
        {
            destination.Write(json.WrittenSpan);
            if (binary is null) return;
            int bytes = binary.Length * sizeof(float);
            var tail = destination.GetSpan(bytes);
            for (int i = 0; i < binary.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(tail.Slice(i * 4, 4), binary[i]);
            destination.Advance(bytes);
        }
    }

    private static void WriteJson(Utf8JsonWriter json, ServedModel model, InferRequest request, InferenceResult result, double latencyMs)
    {
        json.WriteStartObject();
        json.WriteString("model_name", model.Name);
        json.WriteString("model_version", result.ModelVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (request.Id is not null) json.WriteString("id", request.Id);
        json.WriteStartObject("parameters");
        json.WriteString("elide_config", result.Point.Config);
        if (result.Point.Unscaled) json.WriteBoolean("elide_unscaled", true);
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
}
