using System.Net;
using System.Text.Json.Nodes;
using Elide.Adaptive;
using Elide.Server.Hosting;

namespace Elide.Server.Tests;

/// <summary>Every endpoint and error path, in process (WebApplicationFactory).</summary>
public sealed class ApiTests : IClassFixture<ApiTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        internal ServerFactory Factory { get; } = new(ServerFactory.Defaults);
        public void Dispose() => Factory.Dispose();
    }

    private readonly ServerFactory factory;
    private readonly HttpClient client;

    public ApiTests(Fixture fixture)
    {
        factory = fixture.Factory;
        client = factory.CreateClient();
    }

    private float[] Direct(float[] input, int images, string config) =>
        factory.Registry.Find("tiny")!.RunDirect(input, images, SkipMask.Parse(config));

    [Fact]
    public async Task HealthAndServerMetadata()
    {
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health/live")).StatusCode);
        var ready = await client.GetAsync("/v2/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("\"ready\":true", await ready.Content.ReadAsStringAsync());
        var meta = JsonNode.Parse(await client.GetStringAsync("/v2"))!;
        Assert.Equal("elide", meta["name"]!.GetValue<string>());
        Assert.Contains("binary_tensor_data", meta["extensions"]!.AsArray().Select(e => e!.GetValue<string>()));
    }

    [Fact]
    public async Task ModelMetadataDescribesTensorsAndTheDefaultLadder()
    {
        var meta = JsonNode.Parse(await client.GetStringAsync("/v2/models/tiny"))!;
        Assert.Equal("tiny", meta["name"]!.GetValue<string>());
        Assert.Equal("input", meta["inputs"]![0]!["name"]!.GetValue<string>());
        Assert.Equal([-1, 1, 8, 8], meta["inputs"]![0]!["shape"]!.AsArray().Select(d => d!.GetValue<int>()));
        Assert.Equal([-1, 10], meta["outputs"]![0]!["shape"]!.AsArray().Select(d => d!.GetValue<int>()));
        var elide = meta["elide"]!;
        Assert.Equal("adaptive", elide["mode"]!.GetValue<string>());
        Assert.False(elide["accuracy_known"]!.GetValue<bool>());
        // Skippable blocks 0, 1, 3, 5 (2 and 4 downsample): the last of each stage first (1, 3, 5), then block 0.
        Assert.Equal(["111111", "101111", "101011", "101010", "001010"], elide["front"]!.AsArray().Select(p => p!["config"]!.GetValue<string>()));
        Assert.All(elide["front"]!.AsArray(), p => Assert.Null(p!["val_accuracy"]));
        var macs = elide["front"]!.AsArray().Select(p => p!["macs"]!.GetValue<long>()).ToList();
        Assert.Equal(macs.OrderDescending(), macs);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/models/tiny/versions/1")).StatusCode);
    }

    [Fact]
    public async Task ModelReadiness()
    {
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/models/tiny/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/models/tiny/versions/1/ready")).StatusCode);
        var missing = await client.GetAsync("/v2/models/nope/ready");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("'nope'", await Requests.ErrorOf(missing));
    }

    [Fact]
    public async Task InferJsonMatchesTheEngineForTheReportedConfiguration()
    {
        var input = TinyModelLoader.Image(1, 2);
        var response = await client.PostAsync("/v2/models/tiny/infer", Requests.JsonContent(Requests.Json(input, 2, id: "req-7")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (output, parameters, root) = Requests.ReadResult(await response.Content.ReadAsStringAsync());
        Assert.Equal("req-7", root["id"]!.GetValue<string>());
        Assert.Equal("tiny", root["model_name"]!.GetValue<string>());
        Assert.Equal([2, 10], root["outputs"]![0]!["shape"]!.AsArray().Select(d => d!.GetValue<int>()));
        string config = parameters["elide_config"]!.GetValue<string>();
        Assert.Equal("adaptive", parameters["elide_mode"]!.GetValue<string>());
        Assert.True(parameters["elide_latency_ms"]!.GetValue<double>() > 0);
        Assert.Equal(Direct(input, 2, config), output);
    }

    [Fact]
    public async Task InferAcceptsNestedDataAndVersionedRoute()
    {
        var input = TinyModelLoader.Image(2);
        var nested = new JsonArray(new JsonArray(Enumerable.Range(0, 8).Select(r => (JsonNode)new JsonArray(input.Skip(r * 8).Take(8).Select(v => (JsonNode)v).ToArray())).ToArray()));
        string body = $$"""{"inputs":[{"name":"input","shape":[1,1,8,8],"datatype":"FP32","data":[{{nested.ToJsonString()}}]}]}""";
        var response = await client.PostAsync("/v2/models/tiny/versions/1/infer", Requests.JsonContent(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (output, parameters, _) = Requests.ReadResult(await response.Content.ReadAsStringAsync());
        Assert.Equal(Direct(input, 1, parameters["elide_config"]!.GetValue<string>()), output);
    }

    [Fact]
    public async Task BinaryTensorExtensionInAndOut()
    {
        var input = TinyModelLoader.Image(3, 3);
        var response = await client.PostAsync("/v2/models/tiny/infer", Requests.Binary(input, 3, binaryOutput: true));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        int headerLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single());
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var header = JsonNode.Parse(bytes.AsSpan(0, headerLength).ToArray())!;
        Assert.Equal(120, header["outputs"]![0]!["parameters"]!["binary_data_size"]!.GetValue<int>());
        Assert.Null(header["outputs"]![0]!["data"]);
        Assert.Equal(headerLength + 120, bytes.Length);
        var output = new float[30];
        Buffer.BlockCopy(bytes, headerLength, output, 0, 120);
        Assert.Equal(Direct(input, 3, header["parameters"]!["elide_config"]!.GetValue<string>()), output);

        // Binary input, JSON output.
        var json = await client.PostAsync("/v2/models/tiny/infer", Requests.Binary(input, 3, binaryOutput: false));
        var (values, parameters, _) = Requests.ReadResult(await json.Content.ReadAsStringAsync());
        Assert.Equal(Direct(input, 3, parameters["elide_config"]!.GetValue<string>()), values);
    }

    [Fact]
    public async Task NpyBody()
    {
        var input = TinyModelLoader.Image(4);
        var npy = Elide.IO.NpyFile.Serialize(Elide.IO.NpyArray.FromFloats([1, 1, 8, 8], input));
        var content = new ByteArrayContent(npy);
        content.Headers.ContentType = new("application/x-npy");
        var response = await client.PostAsync("/v2/models/tiny/infer", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (output, parameters, _) = Requests.ReadResult(await response.Content.ReadAsStringAsync());
        Assert.Equal(Direct(input, 1, parameters["elide_config"]!.GetValue<string>()), output);

        var bad = new ByteArrayContent([1, 2, 3, 4, 5]);
        bad.Headers.ContentType = new("application/x-npy");
        var rejected = await client.PostAsync("/v2/models/tiny/infer", bad);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        Assert.Contains(".npy", await Requests.ErrorOf(rejected));
    }

    public static TheoryData<string, string> BadJsonBodies => new()
    {
        { "{\"inputs\": [", "malformed JSON" },
        { "[1,2]", "JSON object" },
        { "{}", "no 'inputs'" },
        { "{\"inputs\":[]}", "has 1 input" },
        { Requests.Json(new float[64], name: "pixels"), "no input 'pixels'" },
        { Requests.Json(new float[64], datatype: "INT64"), "datatype 'INT64'" },
        { Requests.Json(new float[64], shape: [1, 8, 8]), "rank 3" },
        { Requests.Json(new float[64], shape: [1, 1, 8, 9]), "dimension 3 differs" },
        { Requests.Json(new float[60]), "has 60 values but shape [1,1,8,8] needs 64" },
        { Requests.Json(new float[70]), "has 70 values but shape [1,1,8,8] needs 64" },
        { Requests.Json(new float[65]), "has 65 values" },
        { Requests.Json(new float[5 * 64], images: 5), "batch 5" },
        { Requests.Json(new float[64]).Replace("[0,", "[1e39,"), "non-finite" },
        { Requests.Json(new float[64]).Replace("[0,", "[\"NaN\","), "not a number" },
        { Requests.Json(new float[64]).Replace("\"inputs\"", "\"outputs\":[{\"name\":\"probs\"}],\"inputs\""), "no output 'probs'" },
    };

    [Theory]
    [MemberData(nameof(BadJsonBodies))]
    public async Task BadRequestsAre400WithTheProblemNamed(string body, string expected)
    {
        var response = await client.PostAsync("/v2/models/tiny/infer", Requests.JsonContent(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await Requests.ErrorOf(response));
    }

    [Fact]
    public async Task NaNInBinaryDataIs400()
    {
        var input = TinyModelLoader.Image(5);
        input[17] = float.NaN;
        var response = await client.PostAsync("/v2/models/tiny/infer", Requests.Binary(input, 1, false));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("flat index 17", await Requests.ErrorOf(response));
    }

    [Fact]
    public async Task BinarySizeMismatchIs400()
    {
        var content = Requests.Binary(TinyModelLoader.Image(5), 1, false);
        var bytes = await content.ReadAsByteArrayAsync();
        var truncated = new ByteArrayContent(bytes[..^4]);
        truncated.Headers.Add("Inference-Header-Content-Length", content.Headers.GetValues("Inference-Header-Content-Length").Single());
        var response = await client.PostAsync("/v2/models/tiny/infer", truncated);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("binary section holds 252 bytes", await Requests.ErrorOf(response));
    }

    [Fact]
    public async Task UnknownModelVersionAndRouteAre404()
    {
        var unknown = await Requests.Infer(client, TinyModelLoader.Image(1), model: "resnet9000");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("'resnet9000' is not served; served models: tiny", await Requests.ErrorOf(unknown));
        var version = await client.PostAsync("/v2/models/tiny/versions/7/infer", Requests.JsonContent(Requests.Json(TinyModelLoader.Image(1))));
        Assert.Equal(HttpStatusCode.NotFound, version.StatusCode);
        Assert.Contains("version '7'", await Requests.ErrorOf(version));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v2/models/nope")).StatusCode);
        var route = await client.GetAsync("/v3/whatever");
        Assert.Equal(HttpStatusCode.NotFound, route.StatusCode);
        Assert.Contains("no route", await Requests.ErrorOf(route));
    }

    [Fact]
    public async Task OversizedBodyIs413()
    {
        var response = await client.PostAsync("/v2/models/tiny/infer", Requests.JsonContent(new string(' ', 70_000) + "{}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("exceeds the limit of 65536 bytes", await Requests.ErrorOf(response));
    }

    [Fact]
    public async Task BadDeadlineHeaderIs400()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tiny/infer") { Content = Requests.JsonContent(Requests.Json(TinyModelLoader.Image(1))) };
        request.Headers.Add("Elide-Deadline-Ms", "soon");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Elide-Deadline-Ms", await Requests.ErrorOf(response));
    }

    [Fact]
    public async Task MetricsExposeRequestsLatencyBatchesAndConfiguration()
    {
        Assert.Equal(HttpStatusCode.OK, (await Requests.Infer(client, TinyModelLoader.Image(9))).StatusCode);
        await client.PostAsync("/v2/models/tiny/infer", Requests.JsonContent("{"));
        var response = await client.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Matches("elide_requests_total\\{model=\"tiny\",status=\"200\"\\} [1-9]", text);
        Assert.Matches("elide_requests_total\\{model=\"tiny\",status=\"400\"\\} [1-9]", text);
        Assert.Contains("# TYPE elide_request_duration_seconds histogram", text);
        Assert.Contains("elide_request_duration_seconds_bucket{model=\"tiny\",status=\"200\",le=\"+Inf\"}", text);
        Assert.Contains("elide_request_duration_seconds_bucket{model=\"tiny\",status=\"400\",le=\"+Inf\"}", text);
        Assert.Contains("elide_batch_images_count{model=\"tiny\"}", text);
        Assert.Contains("elide_queue_images{model=\"tiny\"} 0", text);
        Assert.Matches("elide_configuration_info\\{config=\"[01]{6}\",model=\"tiny\"\\} 1", text);
        Assert.Matches("elide_controller_decisions_total\\{action=\"[a-z_]+\",model=\"tiny\"\\} [1-9]", text);
        Assert.Matches("elide_images_total\\{config=\"[01]{6}\",model=\"tiny\"\\} [1-9]", text);
        Assert.Contains("# TYPE elide_gc_pause_seconds_total counter", text);
        Assert.Matches("elide_gc_collections_total\\{generation=\"2\"\\} [0-9]+", text);
        Assert.Matches("elide_allocated_bytes_total [1-9][0-9]*", text);
    }
}
