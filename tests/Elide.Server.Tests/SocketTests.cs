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
