using System.Collections.Concurrent;
using System.Net;
using Elide.Adaptive;
using Elide.Server.Hosting;
using Elide.Server.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Elide.Server.Tests;

/// <summary>The real Kestrel server on a loopback port: plain requests, many concurrent clients, graceful shutdown.</summary>
public sealed class SocketTests
{
    private static async Task<(WebApplication App, HttpClient Client, ModelRegistry Registry)> StartAsync(ServerOptions options)
    {
        var app = ElideServer.Build(options with { Port = 0 }, new TinyModelLoader(), [new ModelSpec("tiny", "tiny", null)]);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Assert.StartsWith("http://127.0.0.1:", address);
        var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        return (app, client, app.Services.GetRequiredService<ModelRegistry>());
    }

    [Fact]
    public async Task ServesOnALoopbackPort()
    {
        var (app, client, registry) = await StartAsync(ServerFactory.Defaults);
        await using (app)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health/ready")).StatusCode);
            var input = TinyModelLoader.Image(11);
            var response = await Requests.Infer(client, input);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var (output, parameters, _) = Requests.ReadResult(await response.Content.ReadAsStringAsync());
            Assert.Equal(registry.Find("tiny")!.RunDirect(input, 1, SkipMask.Parse(parameters["elide_config"]!.GetValue<string>())), output);
            Assert.Contains("elide_requests_total{model=\"tiny\",status=\"200\"} 1", await client.GetStringAsync("/metrics"));
            await app.StopAsync();
        }
    }

    /// <summary>Bodies are read into pooled buffers that grow when the length is not declared, and responses are
    /// built in a per-thread buffer copied into Kestrel's pipe: a chunked body several times the first buffer, and
    /// binary outputs, come back exactly as the engine computes them, request after request.</summary>
    [Fact]
    public async Task ChunkedBodiesAndBinaryOutputsSurviveBufferReuse()
    {
        var (app, client, registry) = await StartAsync(ServerFactory.Defaults with { MaxBatchSize = 8 });
        await using (app)
        {
            var model = registry.Find("tiny")!;
            for (int r = 0; r < 6; r++)
            {
                int images = r % 2 == 0 ? 8 : r;
                var input = TinyModelLoader.Image(500 + r, images);
                string json = Requests.Json(input, images, id: $"chunked-{r}");
                if (images == 8) Assert.True(json.Length > 4096, $"an 8-image body ({json.Length} bytes) must outgrow the first 4096-byte buffer");
                // A stream of unknown length is sent chunked: no Content-Length for the server to size its buffer by.
                var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tiny/infer") { Content = content };
                request.Headers.TransferEncodingChunked = true;
                var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var (output, parameters, root) = Requests.ReadResult(await response.Content.ReadAsStringAsync());
                Assert.Equal($"chunked-{r}", root["id"]!.GetValue<string>());
                var expected = model.RunDirect(input, images, SkipMask.Parse(parameters["elide_config"]!.GetValue<string>()));
                Assert.Equal(expected.Length, output.Length);
                for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], output[i], 1e-4f);

                var binary = await client.PostAsync("/v2/models/tiny/infer", Requests.Binary(input, images, binaryOutput: true));
                Assert.Equal(HttpStatusCode.OK, binary.StatusCode);
                var bytes = await binary.Content.ReadAsByteArrayAsync();
                int header = int.Parse(binary.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(header + expected.Length * 4, bytes.Length);
                Assert.Contains("\"binary_data_size\":" + expected.Length * 4, System.Text.Encoding.UTF8.GetString(bytes, 0, header));
                var values = new float[expected.Length];
                Buffer.BlockCopy(bytes, header, values, 0, values.Length * 4);
                for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], values[i], 1e-4f);
            }
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task ManyConcurrentClientsGetExactlyTheirOwnAnswers()
    {
        // A tight SLO makes the controller move between configurations while batches of mixed sizes form.
        var (app, client, registry) = await StartAsync(ServerFactory.Defaults with
        {
            SloP99Ms = 5, RecoveryHold = TimeSpan.FromMilliseconds(5), AdmitByPrediction = false, MaxQueueImages = 1024, MaxQueueDelayMs = 2,
        });
        await using (app)
        {
            const int clients = 16, perClient = 12;
            var answers = new ConcurrentDictionary<string, (float[] Input, int Images, float[] Output, string Config)>();
            var duplicates = new ConcurrentBag<string>();
            var work = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                for (int r = 0; r < perClient; r++)
                {
                    string id = $"{c}-{r}";
                    int images = 1 + (c + r) % 3;
                    var input = TinyModelLoader.Image(1000 * c + r, images);
                    var response = await Requests.Infer(client, input, images, id: id);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    var (output, parameters, root) = Requests.ReadResult(await response.Content.ReadAsStringAsync());
                    Assert.Equal(id, root["id"]!.GetValue<string>());
                    if (!answers.TryAdd(id, (input, images, output, parameters["elide_config"]!.GetValue<string>()))) duplicates.Add(id);
                }
            })).ToArray();
            await Task.WhenAll(work).WaitAsync(TimeSpan.FromMinutes(3));

            Assert.Empty(duplicates);
            Assert.Equal(clients * perClient, answers.Count);
            var model = registry.Find("tiny")!;
            foreach (var (id, a) in answers)
            {
                // Batched and unbatched runs may sum in different orders; the outputs agree to float rounding.
                var expected = model.RunDirect(a.Input, a.Images, SkipMask.Parse(a.Config));
                Assert.Equal(expected.Length, a.Output.Length);
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(Math.Abs(expected[i] - a.Output[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{id}[{i}]: {a.Output[i]} vs {expected[i]} ({a.Config})");
            }
            string metrics = await client.GetStringAsync("/metrics");
            Assert.Contains($"elide_requests_total{{model=\"tiny\",status=\"200\"}} {clients * perClient}", metrics);
            Assert.Contains("elide_queue_images{model=\"tiny\"} 0", metrics);
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task ShutdownFinishesQueuedRequests()
    {
        // Lone requests would wait 60 s for a batch to fill; stopping the server must run them at once instead.
        var (app, client, registry) = await StartAsync(ServerFactory.Defaults with { MaxQueueDelayMs = 60_000, AdmitByPrediction = false });
        await using (app)
        {
            var inFlight = Enumerable.Range(0, 3).Select(i => Requests.Infer(client, TinyModelLoader.Image(i))).ToArray();
            var limit = DateTime.UtcNow.AddSeconds(20);
            while (registry.Find("tiny")!.Scheduler.QueuedImages < 3) { Assert.True(DateTime.UtcNow < limit); await Task.Delay(10); }
            var stopping = app.StopAsync();
            var responses = await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("/v2/health/live"));
        }
    }
}
