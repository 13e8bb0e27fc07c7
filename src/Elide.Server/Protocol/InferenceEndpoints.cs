using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Elide.Server.Batching;
using Elide.Server.Hosting;
using Elide.Server.Models;
using Elide.Server.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Elide.Server.Protocol;

/// <summary>
/// The HTTP surface: Open Inference Protocol (KServe v2) health, metadata, readiness and inference
/// (https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/), the model repository extension's
/// load call (used here for hot reload), and Prometheus metrics. Errors are <c>{"error": "…"}</c> with a 4xx/5xx status.
/// </summary>
public static class InferenceEndpoints
{
    /// <summary>Request header with the client's deadline in milliseconds from arrival (Elide extension).</summary>
    public const string DeadlineHeader = "Elide-Deadline-Ms";

    /// <summary>The binary tensor extension's header.</summary>
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    /// <summary>Maps every route.</summary>
    public static IEndpointRouteBuilder MapElideServing(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2", () => Results.Json(new Dictionary<string, object>
        {
            ["name"] = "elide",
            ["version"] = typeof(InferenceEndpoints).Assembly.GetName().Version?.ToString() ?? "0",
            ["extensions"] = new[] { "binary_tensor_data", "model_repository", "elide_adaptive" },
        }));
        app.MapGet("/v2/health/live", () => Results.Json(new Dictionary<string, bool> { ["live"] = true }));
        app.MapGet("/v2/health/ready", (ModelRegistry r) =>
            Results.Json(new Dictionary<string, bool> { ["ready"] = r.IsReady }, statusCode: r.IsReady ? 200 : 503));
        app.MapGet("/v2/models/{name}", (string name, ModelRegistry r) => Metadata(r, name, null));
        app.MapGet("/v2/models/{name}/versions/{version}", (string name, string version, ModelRegistry r) => Metadata(r, name, version));
        app.MapGet("/v2/models/{name}/ready", (string name, ModelRegistry r) => Ready(r, name, null));
        app.MapGet("/v2/models/{name}/versions/{version}/ready", (string name, string version, ModelRegistry r) => Ready(r, name, version));
        app.MapPost("/v2/models/{name}/infer", (HttpContext c, string name) => InferAsync(c, name, null));
        app.MapPost("/v2/models/{name}/versions/{version}/infer", (HttpContext c, string name, string version) => InferAsync(c, name, version));
        app.MapPost("/v2/repository/models/{name}/load", LoadAsync);
        app.MapGet("/metrics", (PrometheusExporter e) => Results.Text(e.Scrape(), PrometheusExporter.ContentType));
        app.MapFallback((HttpContext c) => Error(404, $"no route {c.Request.Method} {c.Request.Path}; see /v2, /v2/models/{{name}}, /metrics"));
        return app;
    }

    private static IResult Error(int status, string message) => Results.Json(new Dictionary<string, string> { ["error"] = message }, statusCode: status);

    private static ServedModel Resolve(ModelRegistry registry, string name, string? version)
    {
        var model = registry.Find(name) ?? throw new ProtocolException(404,
            $"model '{name}' is not served; served models: {string.Join(", ", registry.Models.Keys.Order(StringComparer.Ordinal))}");
        if (version is not null && version != model.Version.ToString(CultureInfo.InvariantCulture))
            throw new ProtocolException(404, $"model '{name}' version '{version}' is not served; the current version is {model.Version}");
        return model;
    }

    private static IResult Ready(ModelRegistry registry, string name, string? version)
    {
        try
        {
            var model = Resolve(registry, name, version);
            bool ready = registry.IsReady && model.Scheduler.IsAccepting;
            return Results.Json(new Dictionary<string, object> { ["name"] = name, ["ready"] = ready }, statusCode: ready ? 200 : 503);
        }
        catch (ProtocolException e) { return Error(e.StatusCode, e.Message); }
    }

    private static IResult Metadata(ModelRegistry registry, string name, string? version)
    {
        ServedModel model;
        try { model = Resolve(registry, name, version); }
        catch (ProtocolException e) { return Error(e.StatusCode, e.Message); }
        var options = registry.Options;
        var sizes = model.Ladder.Latency.PlanSizes;
        var ladder = model.Ladder.Points.Select(p => new Dictionary<string, object?>
        {
            ["level"] = p.Level,
            ["config"] = p.Config,
            ["unscaled"] = p.Unscaled,
            ["val_accuracy"] = p.Accuracy,
            ["test_accuracy"] = p.TestAccuracy,
            ["macs"] = p.MultiplyAccumulates,
            ["predicted_ms"] = sizes.Select((s, i) => (s, i)).ToDictionary(t => t.s.ToString(CultureInfo.InvariantCulture), t => Math.Round(model.Ladder.Latency.PredictMs(p.Level, t.i), 3)),
        }).ToList();
        var body = new Dictionary<string, object?>
        {
            ["name"] = model.Name,
            ["versions"] = new[] { model.Version.ToString(CultureInfo.InvariantCulture) },
            ["platform"] = "elide",
            ["inputs"] = new[] { new Dictionary<string, object> { ["name"] = model.InputName, ["datatype"] = "FP32", ["shape"] = model.InputShape } },
            ["outputs"] = new[] { new Dictionary<string, object> { ["name"] = model.OutputName, ["datatype"] = "FP32", ["shape"] = new[] { -1 }.Concat(model.OutputItemShape).ToArray() } },
            ["elide"] = new Dictionary<string, object?>
            {
                ["mode"] = model.IsFixed ? "fixed" : "adaptive",
                ["slo_p99_ms"] = options.SloP99Ms,
                ["accuracy_floor"] = options.AccuracyFloor,
                ["accuracy_known"] = model.Ladder.AccuracyKnown,
                ["front_source"] = model.IsFixed ? "--config" : model.Spec.FrontPath ?? "default ladder (accuracy unknown, ordered by depth)",
                ["blocks"] = model.BlockCount,
                ["max_batch_size"] = model.MaxBatchSize,
                ["plan_batch_sizes"] = sizes,
                ["current_level"] = model.Controller.Level,
                ["current_config"] = model.Ladder.Points[model.Controller.Level].Config,
                ["front"] = ladder,
            },
        };
        return Results.Json(body, Json);
    }

    private static async Task<IResult> LoadAsync(string name, ModelRegistry registry)
    {
        if (registry.Find(name) is null) return Error(404, $"model '{name}' is not served; the repository extension here reloads served models only");
        if (registry.IsDraining) return Error(503, "the server is shutting down");
        try
        {
            var next = await registry.ReloadAsync(name);
            return Results.Json(new Dictionary<string, object> { ["name"] = name, ["version"] = next.Version.ToString(CultureInfo.InvariantCulture) });
        }
        catch (InvalidOperationException e) when (registry.IsDraining) { return Error(503, e.Message); }
        catch (Exception e) when (e is ArgumentException or IOException or FormatException or UnauthorizedAccessException || e.GetType().Name.EndsWith("FormatException", StringComparison.Ordinal))
        {
            return Error(400, $"reload of '{name}' failed, the previous version keeps serving: {e.Message}");
        }
    }

    private static async Task InferAsync(HttpContext context, string name, string? version)
    {
        long arrival = Stopwatch.GetTimestamp();
        var services = context.RequestServices;
        var registry = services.GetRequiredService<ModelRegistry>();
        var metrics = services.GetRequiredService<ServerMetrics>();
        var options = registry.Options;
        string modelLabel = registry.Find(name) is null ? "(unknown)" : name; // bounded label cardinality
        int status = 200;
        try
        {
            if (registry.IsDraining) throw new ProtocolException(503, "the server is shutting down");
            var model = Resolve(registry, name, version);
            if (model.Scheduler.RefusesNow(out int refusedRetryAfter))
            {
                // Refused before the body is read and parsed: under overload that CPU belongs to admitted requests.
                context.Response.Headers.RetryAfter = refusedRetryAfter.ToString(CultureInfo.InvariantCulture);
                throw new ProtocolException(429, $"model '{name}' is overloaded: its queue cannot take another image and still meet the {options.SloP99Ms} ms latency objective; retry after {refusedRetryAfter} s");
            }
            using var rented = await ReadBodyAsync(context, options.MaxRequestBodyBytes);
            var body = rented.Memory;
            string? contentType = context.Request.ContentType;
            string? headerLength = context.Request.Headers[HeaderLengthHeader].FirstOrDefault();
            var request = InferRequestReader.Parse(body, contentType, headerLength, model);
            long deadline = ParseDeadline(context, arrival);

            var pending = new PendingInference(request.Input, request.Images, deadline);
            var outcome = model.Scheduler.TryEnqueue(pending, out int retryAfter);
            if (outcome == EnqueueOutcome.Closed && version is null && registry.Find(name) is { } next && !ReferenceEquals(next, model) && !registry.IsDraining)
            {
                // Swapped by a hot reload between lookup and enqueue: the request goes to the new generation.
                model = next;
                request = InferRequestReader.Parse(body, contentType, headerLength, model);
                pending = new PendingInference(request.Input, request.Images, deadline);
                outcome = model.Scheduler.TryEnqueue(pending, out retryAfter);
            }
            if (outcome == EnqueueOutcome.Closed) throw new ProtocolException(503, $"model '{name}' is not accepting requests (shutting down or being replaced)");
            if (outcome == EnqueueOutcome.Full)
            {
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                throw new ProtocolException(429, $"model '{name}' is overloaded: its queue cannot take {request.Images} more image(s) and still meet the {options.SloP99Ms} ms latency objective; retry after {retryAfter} s");
            }

            InferenceResult result;
            var aborted = context.RequestAborted;
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted))
            {
                if (deadline != long.MaxValue) cts.CancelAfter(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline));
                var scheduler = model.Scheduler;
                using var registration = cts.Token.Register(() => scheduler.TryAbandon(pending, aborted.IsCancellationRequested
                    ? new OperationCanceledException(aborted)
                    : new DeadlineExceededException($"the request's deadline ({context.Request.Headers[DeadlineHeader]} ms) passed while it was queued")));
                result = await pending.Completion.Task;
            }
            double latencyMs = Stopwatch.GetElapsedTime(arrival).TotalMilliseconds;
            var response = InferResponseWriter.Prepare(model, request, result, latencyMs);
            context.Response.StatusCode = 200;
            if (response.HeaderLength is { } h)
            {
                context.Response.ContentType = "application/octet-stream";
                context.Response.Headers[HeaderLengthHeader] = h.ToString(CultureInfo.InvariantCulture);
            }
            else context.Response.ContentType = "application/json";
            context.Response.ContentLength = response.Length;
            response.CopyTo(context.Response.BodyWriter); // before any await: the prepared body is this thread's buffer
            await context.Response.BodyWriter.FlushAsync(CancellationToken.None);
            model.Guard?.Record(Stopwatch.GetElapsedTime(arrival).TotalMilliseconds, pending.PredictedMs);
        }
        catch (ProtocolException e) { status = e.StatusCode; await WriteErrorAsync(context, status, e.Message); }
        catch (DeadlineExceededException e) { status = 504; await WriteErrorAsync(context, status, e.Message); }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { status = 499; }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or Elide.Graph.GraphException)
        {
            status = 500;
            await WriteErrorAsync(context, status, $"inference failed: {e.Message}");
        }
        finally
        {
            var statusLabel = new KeyValuePair<string, object?>("status", status.ToString(CultureInfo.InvariantCulture));
            var modelTag = new KeyValuePair<string, object?>("model", modelLabel);
            metrics.Requests.Add(1, modelTag, statusLabel);
            metrics.RequestDuration.Record(Stopwatch.GetElapsedTime(arrival).TotalSeconds, modelTag, statusLabel);
        }
    }

    private static long ParseDeadline(HttpContext context, long arrival)
    {
        var header = context.Request.Headers[DeadlineHeader];
        if (header.Count == 0) return long.MaxValue;
        if (!double.TryParse(header[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) || !(ms > 0) || double.IsInfinity(ms))
            throw new ProtocolException(400, $"{DeadlineHeader} '{header[0]}' must be a positive number of milliseconds");
        return arrival + (long)(ms / 1000 * Stopwatch.Frequency);
    }

    /// <summary>A request body in an array rented from the shared pool; disposing returns the array.</summary>
    private readonly struct RentedBody(byte[] array, int length) : IDisposable
    {
        public ReadOnlyMemory<byte> Memory => array.AsMemory(0, length);

        public void Dispose() => ArrayPool<byte>.Shared.Return(array);
    }

    /// <summary>
    /// Reads the body into a pooled array, refusing more than <paramref name="limit"/> bytes with 413 (declared or
    /// actual length). Pooled because at a few thousand requests per second the per-request buffers were most of
    /// the server's allocation, and every gen-0 collection they caused paused the engine thread too.
    /// </summary>
    private static async Task<RentedBody> ReadBodyAsync(HttpContext context, long limit)
    {
        if (context.Request.ContentLength is { } declared && declared > limit)
            throw new ProtocolException(413, $"request body of {declared} bytes exceeds the limit of {limit} bytes");
        var pool = ArrayPool<byte>.Shared;
        // One byte more than declared, so the read that finds the end does not first grow the buffer.
        var buffer = pool.Rent(context.Request.ContentLength is { } n ? (int)n + 1 : 4096);
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = pool.Rent(checked(buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    pool.Return(buffer);
                    buffer = larger;
                }
                int read = await context.Request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted);
                if (read == 0) break;
                length += read;
                if (length > limit) throw new ProtocolException(413, $"request body exceeds the limit of {limit} bytes");
            }
            return new RentedBody(buffer, length);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            pool.Return(buffer);
            throw new ProtocolException(413, $"request body exceeds the limit of {limit} bytes");
        }
        catch
        {
            pool.Return(buffer);
            throw;
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }), CancellationToken.None);
    }
}
