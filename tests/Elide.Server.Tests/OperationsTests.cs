using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Elide.Adaptive;
using Elide.Server.Adaptive;
using Elide.Server.Hosting;
using Elide.Server.Models;

namespace Elide.Server.Tests;

/// <summary>Queue limits, deadlines, cancellation, fixed mode, fronts and floors, hot reload and draining.</summary>
public sealed class OperationsTests
{
    /// <summary>A batcher that holds a lone request for a minute waiting for company: queue states become deterministic.</summary>
    private static ServerOptions Holding => ServerFactory.Defaults with { MaxBatchSize = 2, MaxQueueImages = 2, MaxQueueDelayMs = 60_000, AdmitByPrediction = false };

    private static async Task WaitUntil(Func<bool> condition)
    {
        var limit = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < limit, "condition not reached within 20 s");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task AnOverloadedModelRefusesBeforeReadingTheBody()
    {
        // An SLO no batch can meet: every arrival's predicted completion is over the admission budget.
        using var factory = new ServerFactory(ServerFactory.Defaults with { SloP99Ms = 0.001, AdmitByPrediction = true });
        var client = factory.CreateClient();
        var scheduler = factory.Registry.Find("tiny")!.Scheduler;
        Assert.True(scheduler.RefusesNow(out int retryAfter));
        Assert.True(retryAfter >= 1);

        // Not JSON at all: a 429, not a 400, shows the body was never parsed.
        var refused = await client.PostAsync("/v2/models/tiny/infer", Requests.JsonContent("this is not an inference request"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Contains("overloaded", await Requests.ErrorOf(refused));
        Assert.Equal(0, scheduler.QueuedImages);
    }

    [Fact]
    public async Task LatencyFeedbackTightensAdmissionAndIsReported()
    {
        using var factory = new ServerFactory(ServerFactory.Defaults with { SloP99Ms = 100, AdmitByPrediction = true, LatencyFeedback = true });
        var client = factory.CreateClient();
        var model = factory.Registry.Find("tiny")!;
        var guard = model.Guard!;
        // Answered requests are recorded.
        Assert.Equal(HttpStatusCode.OK, (await Requests.Infer(client, TinyModelLoader.Image(1))).StatusCode);
        Assert.Equal(1, guard.Recorded);

        // Every level predicted at 40 ms per one-image batch (5 ms for larger ones, so keeping the engine fed needs
        // only 10 ms): a lone arrival fits the 80 ms budget.
        var latency = model.Ladder.Latency;
        // (Observed often enough that the running means forget the request just served.)
        for (int repeat = 0; repeat < 100; repeat++)
            for (int level = 0; level < model.Ladder.Points.Count; level++)
                for (int size = 0; size < latency.PlanSizes.Count; size++) latency.Observe(level, size, size == 0 ? 40 : 5);
        Assert.False(model.Scheduler.RefusesNow(out _));

        // Answers 70 ms behind their predictions: the budget becomes max(90 − 70, a quarter of 80) = 20 ms; refused.
        for (int i = 0; i < TailGuard.Window; i++) guard.Record(80, 10);
        Assert.Equal(TailGuard.MinScale, guard.Scale);
        Assert.True(model.Scheduler.RefusesNow(out _));
        string metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("elide_planning_scale{model=\"tiny\"} 0.25", metrics);
        Assert.Contains("elide_latency_margin_seconds{model=\"tiny\"} 0.07", metrics);

        // Predictions that come true again restore it.
        for (int i = 0; i < TailGuard.Window; i++) guard.Record(10, 10);
        Assert.Equal(1, guard.Scale);
        Assert.False(model.Scheduler.RefusesNow(out _));
    }

    [Fact]
    public async Task AdmissionPredictsAtTheDepthTheArrivalRateNeedsNotAtTheFastest()
    {
        using var factory = new ServerFactory(ServerFactory.Defaults with { SloP99Ms = 100, AdmitByPrediction = true });
        var client = factory.CreateClient();
        var model = factory.Registry.Find("tiny")!;
        Assert.Equal(HttpStatusCode.OK, (await Requests.Infer(client, TinyModelLoader.Image(1))).StatusCode);
        int fastest = model.Ladder.Points.Count - 1;
        Assert.True(fastest > 0);
        // A lone image: 90 ms at full depth (over the 80 ms budget), 10 ms at the fastest level; full batches take
        // 5 ms at every level, so full depth alone keeps up with a trickle of arrivals.
        var latency = model.Ladder.Latency;
        for (int repeat = 0; repeat < 100; repeat++)
            for (int level = 0; level <= fastest; level++)
                for (int size = 0; size < latency.PlanSizes.Count; size++)
                    latency.Observe(level, size, size > 0 ? 5 : level == 0 ? 90 : 10);

        // One request so far: full depth is sustainable, so a request it would finish late is refused (admitting what
        // the fastest level could finish would fill the queue until only the fastest level fit).
        Assert.Equal(0, model.Controller.SustainableLevel(Stopwatch.GetElapsedTime(0, Stopwatch.GetTimestamp()).TotalMilliseconds));
        Assert.True(model.Scheduler.RefusesNow(out _));

        // A flood of arrivals no level keeps up with: the fastest level is the plan, and it fits.
        model.Controller.RecordArrival(1_000_000, Stopwatch.GetElapsedTime(0, Stopwatch.GetTimestamp()).TotalMilliseconds);
        Assert.Equal(fastest, model.Controller.SustainableLevel(Stopwatch.GetElapsedTime(0, Stopwatch.GetTimestamp()).TotalMilliseconds));
        Assert.False(model.Scheduler.RefusesNow(out _));
    }

    [Fact]
    public void LatencyFeedbackIsOffByDefault()
    {
        Assert.False(new ServerOptions().LatencyFeedback);
        using var factory = new ServerFactory(ServerFactory.Defaults);
        factory.CreateClient();
        Assert.Null(factory.Registry.Find("tiny")!.Guard);
    }

    [Fact]
    public async Task FullQueueIs429WithRetryAfter()
    {
        using var factory = new ServerFactory(Holding);
        var client = factory.CreateClient();
        var scheduler = factory.Registry.Find("tiny")!.Scheduler;
        using var cancel = new CancellationTokenSource();
        var waiting = client.PostAsync("/v2/models/tiny/infer", Requests.JsonContent(Requests.Json(TinyModelLoader.Image(1))), cancel.Token);
        await WaitUntil(() => scheduler.QueuedImages == 1);

        // One image waits for company; two more would exceed the 2-image queue.
        var rejected = await client.PostAsync("/v2/models/tiny/infer", Requests.JsonContent(Requests.Json(TinyModelLoader.Image(2, 2), 2)));
        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.True(int.Parse(rejected.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Contains("overloaded", await Requests.ErrorOf(rejected));
        Assert.Equal(1, scheduler.QueuedImages);

        // A second single image completes the batch of 2: both run.
        var second = await Requests.Infer(client, TinyModelLoader.Image(3));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await waiting).StatusCode);
        Assert.Equal(0, scheduler.QueuedImages);
    }

    [Fact]
    public async Task ClientCancellationRemovesTheRequestAndIsCounted()
    {
        using var factory = new ServerFactory(Holding);
        var client = factory.CreateClient();
        var scheduler = factory.Registry.Find("tiny")!.Scheduler;
        using var cancel = new CancellationTokenSource();
        var pending = client.PostAsync("/v2/models/tiny/infer", Requests.JsonContent(Requests.Json(TinyModelLoader.Image(1))), cancel.Token);
        await WaitUntil(() => scheduler.QueuedImages == 1);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        await WaitUntil(() => scheduler.QueuedImages == 0);
        string metrics = await client.GetStringAsync("/metrics");
        await WaitUntil(() => client.GetStringAsync("/metrics").Result.Contains("status=\"499\"} 1"));
        Assert.Contains("elide_queue_images{model=\"tiny\"} 0", metrics);
    }

    [Fact]
    public async Task DeadlineInTheQueueIs504()
    {
        using var factory = new ServerFactory(Holding);
        var client = factory.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tiny/infer") { Content = Requests.JsonContent(Requests.Json(TinyModelLoader.Image(1))) };
        request.Headers.Add("Elide-Deadline-Ms", "30");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("deadline", await Requests.ErrorOf(response));
        Assert.Equal(0, factory.Registry.Find("tiny")!.Scheduler.QueuedImages);
    }

    [Fact]
    public async Task FixedConfigurationIsUsedAndReported()
    {
        using var factory = new ServerFactory(ServerFactory.Defaults with { FixedConfig = "101010" });
        var client = factory.CreateClient();
        var input = TinyModelLoader.Image(3);
        var (output, parameters, _) = Requests.ReadResult(await (await Requests.Infer(client, input)).Content.ReadAsStringAsync());
        Assert.Equal("101010", parameters["elide_config"]!.GetValue<string>());
        Assert.Equal("fixed", parameters["elide_mode"]!.GetValue<string>());
        Assert.Equal(factory.Registry.Find("tiny")!.RunDirect(input, 1, SkipMask.Parse("101010")), output);
        Assert.NotEqual(factory.Registry.Find("tiny")!.RunDirect(input, 1, SkipMask.Parse("111111")), output);
        var meta = JsonNode.Parse(await client.GetStringAsync("/v2/models/tiny"))!;
        Assert.Single(meta["elide"]!["front"]!.AsArray());
    }

    [Theory]
    [InlineData("11111", "has 5 flags but the model has 6")]
    [InlineData("110111", "skips block 2, which cannot be skipped")]
    [InlineData("11x111", "has 'x' at position 2")]
    [InlineData("111111:fast", "the only one is ':unscaled'")]
    [InlineData("11111:unscaled", "has 5 flags but the model has 6")]
    public void BadFixedConfigurationStopsStartup(string config, string expected)
    {
        using var factory = new ServerFactory(ServerFactory.Defaults with { FixedConfig = config });
        var e = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task FrontAccuraciesFloorAndDominatedPoints()
    {
        string dir = Directory.CreateTempSubdirectory("elide-front").FullName;
        try
        {
            string front = Path.Combine(dir, "tiny.front.json");
            // 101111 is dominated: less accurate than 111111... and 101011 is faster and more accurate.
            File.WriteAllText(front, TinyModelLoader.FrontJson(("111111", 0.92), ("101111", 0.90), ("101011", 0.91), ("101010", 0.89), ("001010", 0.80)));
            using var factory = new ServerFactory(ServerFactory.Defaults with { AccuracyFloor = 0.85 }, [new ModelSpec("tiny", "tiny", front)]);
            var client = factory.CreateClient();
            var meta = JsonNode.Parse(await client.GetStringAsync("/v2/models/tiny"))!["elide"]!;
            Assert.True(meta["accuracy_known"]!.GetValue<bool>());
            Assert.Equal(["111111", "101011", "101010"], meta["front"]!.AsArray().Select(p => p!["config"]!.GetValue<string>()));
            Assert.Equal([0.92, 0.91, 0.89], meta["front"]!.AsArray().Select(p => p!["val_accuracy"]!.GetValue<double>()));
            var (_, parameters, _) = Requests.ReadResult(await (await Requests.Infer(client, TinyModelLoader.Image(1))).Content.ReadAsStringAsync());
            Assert.Equal(0.92, parameters["elide_accuracy"]!.GetValue<double>());
            Assert.Contains("elide_served_accuracy_sum{model=\"tiny\"} 0.92", await client.GetStringAsync("/metrics"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task PointsOfAMergedFrontRunOnTheVariantTheyWereMeasuredWith()
    {
        string dir = Directory.CreateTempSubdirectory("elide-front").FullName;
        try
        {
            // All blocks unscaled measured better than scaled (as a merged front can say of a deep skip): the ladder's
            // level 0 is the unscaled point, and the scaled all-blocks point (same work, less accurate) is dropped.
            string front = Path.Combine(dir, "tiny.front.json");
            File.WriteAllText(front, TinyModelLoader.FrontJson("tiny-sd", ("111111", 0.90, false), ("111111", 0.93, true), ("101010", 0.91, false)));
            using var factory = new ServerFactory(ServerFactory.Defaults, [new ModelSpec("tiny-sd", "tiny-sd", front)]);
            var client = factory.CreateClient();
            var meta = JsonNode.Parse(await client.GetStringAsync("/v2/models/tiny-sd"))!["elide"]!["front"]!.AsArray();
            Assert.Equal(["111111", "101010"], meta.Select(p => p!["config"]!.GetValue<string>()));
            Assert.Equal([true, false], meta.Select(p => p!["unscaled"]!.GetValue<bool>()));

            var input = TinyModelLoader.Image(4);
            var response = await Requests.Infer(client, input, model: "tiny-sd");
            var (output, parameters, _) = Requests.ReadResult(await response.Content.ReadAsStringAsync());
            Assert.Equal("111111", parameters["elide_config"]!.GetValue<string>());
            Assert.True(parameters["elide_unscaled"]!.GetValue<bool>());
            var served = factory.Registry.Find("tiny-sd")!;
            Assert.Equal(served.RunDirect(input, 1, SkipMask.Parse("111111"), unscaled: true), output);
            Assert.NotEqual(served.RunDirect(input, 1, SkipMask.Parse("111111")), output);
            Assert.Contains("config=\"111111:unscaled\"", await client.GetStringAsync("/metrics"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task AFrontExploredUnscaledRunsEveryPointUnscaledButAPinnedConfigRunsTheModelAsLoaded()
    {
        string dir = Directory.CreateTempSubdirectory("elide-front").FullName;
        try
        {
            string front = Path.Combine(dir, "tiny.front.json");
            File.WriteAllText(front, TinyModelLoader.FrontJson("tiny-sd.unscaled", ("111111", 0.93, false), ("101010", 0.91, false)));
            var input = TinyModelLoader.Image(5);
            using (var factory = new ServerFactory(ServerFactory.Defaults, [new ModelSpec("tiny-sd", "tiny-sd", front)]))
            {
                var (output, parameters, _) = Requests.ReadResult(await (await Requests.Infer(factory.CreateClient(), input, model: "tiny-sd")).Content.ReadAsStringAsync());
                Assert.True(parameters["elide_unscaled"]!.GetValue<bool>());
                Assert.Equal(factory.Registry.Find("tiny-sd")!.RunDirect(input, 1, SkipMask.Parse("111111"), unscaled: true), output);
            }
            using (var pinned = new ServerFactory(ServerFactory.Defaults with { FixedConfig = "111111" }, [new ModelSpec("tiny-sd", "tiny-sd", front)]))
            {
                var (output, parameters, _) = Requests.ReadResult(await (await Requests.Infer(pinned.CreateClient(), input, model: "tiny-sd")).Content.ReadAsStringAsync());
                Assert.Null(parameters["elide_unscaled"]);
                Assert.Null(parameters["elide_accuracy"]); // the unscaled front's accuracy does not describe the scaled model
                Assert.Equal(pinned.Registry.Find("tiny-sd")!.RunDirect(input, 1, SkipMask.Parse("111111")), output);
            }
            // Pinned with the variant named, the point runs unscaled and the unscaled front's accuracy describes it.
            using (var pinned = new ServerFactory(ServerFactory.Defaults with { FixedConfig = "101010:unscaled" }, [new ModelSpec("tiny-sd", "tiny-sd", front)]))
            {
                var (output, parameters, _) = Requests.ReadResult(await (await Requests.Infer(pinned.CreateClient(), input, model: "tiny-sd")).Content.ReadAsStringAsync());
                Assert.True(parameters["elide_unscaled"]!.GetValue<bool>());
                Assert.Equal("fixed", parameters["elide_mode"]!.GetValue<string>());
                Assert.Equal(0.91, parameters["elide_accuracy"]!.GetValue<double>());
                var served = pinned.Registry.Find("tiny-sd")!;
                Assert.Equal(served.RunDirect(input, 1, SkipMask.Parse("101010"), unscaled: true), output);
                Assert.NotEqual(served.RunDirect(input, 1, SkipMask.Parse("101010")), output);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void FloorAboveTheFrontOrWithoutAFrontStopsStartup()
    {
        using var noFront = new ServerFactory(ServerFactory.Defaults with { AccuracyFloor = 0.5 });
        Assert.Contains("needs the model's Pareto front", Assert.ThrowsAny<Exception>(() => noFront.CreateClient()).Message);
        string front = Path.GetTempFileName();
        try
        {
            File.WriteAllText(front, TinyModelLoader.FrontJson(("111111", 0.92)));
            using var tooHigh = new ServerFactory(ServerFactory.Defaults with { AccuracyFloor = 0.95 }, [new ModelSpec("tiny", "tiny", front)]);
            Assert.Contains("reaches --accuracy-floor 0.95", Assert.ThrowsAny<Exception>(() => tooHigh.CreateClient()).Message);
        }
        finally { File.Delete(front); }
    }

    [Fact]
    public async Task HotReloadSwapsAtomicallyAndServesTheNewWeights()
    {
        string dir = Directory.CreateTempSubdirectory("elide-reload").FullName;
        try
        {
            string file = Path.Combine(dir, "seeded.onnx");
            File.WriteAllText(file, "1");
            var spec = ModelSpec.FromArgument(file);
            Assert.Equal("seeded", spec.Name);
            using var factory = new ServerFactory(ServerFactory.Defaults with { ReloadPollInterval = TimeSpan.FromMilliseconds(20) }, [spec]);
            var client = factory.CreateClient();
            var input = TinyModelLoader.Image(4);
            var (before, p1, root1) = Requests.ReadResult(await (await Requests.Infer(client, input, model: "seeded")).Content.ReadAsStringAsync());
            Assert.Equal("1", root1["model_version"]!.GetValue<string>());
            var old = factory.Registry.Find("seeded")!;

            File.WriteAllText(file, "2");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
            await WaitUntil(() => factory.Registry.Find("seeded")!.Version == 2);
            await old.Scheduler.Drained;
            var (after, p2, root2) = Requests.ReadResult(await (await Requests.Infer(client, input, model: "seeded")).Content.ReadAsStringAsync());
            Assert.Equal("2", root2["model_version"]!.GetValue<string>());
            Assert.NotEqual(before, after);
            Assert.Equal(factory.Registry.Find("seeded")!.RunDirect(input, 1, SkipMask.Parse(p2["elide_config"]!.GetValue<string>())), after);

            // The repository extension's load call reloads on demand; a broken file keeps the old version serving.
            File.WriteAllText(file, "not a seed");
            var failed = await client.PostAsync("/v2/repository/models/seeded/load", null);
            Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
            Assert.Contains("previous version keeps serving", await Requests.ErrorOf(failed));
            Assert.Equal(2, factory.Registry.Find("seeded")!.Version);
            File.WriteAllText(file, "3");
            var loaded = await client.PostAsync("/v2/repository/models/seeded/load", null);
            Assert.Equal(HttpStatusCode.OK, loaded.StatusCode);
            // The file watcher may pick the change up too: every reload adds a generation.
            int version = int.Parse(JsonNode.Parse(await loaded.Content.ReadAsStringAsync())!["version"]!.GetValue<string>());
            Assert.True(version >= 3);
            Assert.True(factory.Registry.Find("seeded")!.Version >= version);
            Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/v2/repository/models/other/load", null)).StatusCode);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task InFlightRequestsFinishOnTheOldGenerationDuringReload()
    {
        using var factory = new ServerFactory(Holding);
        var client = factory.CreateClient();
        var input = TinyModelLoader.Image(6);
        var old = factory.Registry.Find("tiny")!;
        var queued = Requests.Infer(client, input);
        await WaitUntil(() => old.Scheduler.QueuedImages == 1);
        await factory.Registry.ReloadAsync("tiny");
        var response = await queued; // the old generation stops accepting and drains without waiting for a full batch
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, _, root) = Requests.ReadResult(await response.Content.ReadAsStringAsync());
        Assert.Equal("1", root["model_version"]!.GetValue<string>());
        await old.Scheduler.Drained;
        Assert.Equal(2, factory.Registry.Find("tiny")!.Version);
    }

    [Fact]
    public async Task DrainingTurnsReadinessOffAndRefusesNewWork()
    {
        using var factory = new ServerFactory(ServerFactory.Defaults);
        var client = factory.CreateClient();
        factory.Registry.BeginDraining();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/v2/models/tiny/ready")).StatusCode);
        var refused = await Requests.Infer(client, TinyModelLoader.Image(1));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("shutting down", await Requests.ErrorOf(refused));
    }

    [Fact]
    public void DuplicateModelNamesAreRejected()
    {
        using var factory = new ServerFactory(ServerFactory.Defaults, [new ModelSpec("tiny", "tiny", null), new ModelSpec("tiny", "tiny", null)]);
        Assert.Contains("two models are named 'tiny'", Assert.ThrowsAny<Exception>(() => factory.CreateClient()).Message);
    }
}
