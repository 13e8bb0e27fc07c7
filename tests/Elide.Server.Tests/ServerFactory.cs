using Elide.Server.Hosting;
using Elide.Server.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Elide.Server.Tests;

/// <summary>An in-process server (TestServer) over the tiny model with the given options and specs.</summary>
internal sealed class ServerFactory(ServerOptions options, IReadOnlyList<ModelSpec>? specs = null, TinyModelLoader? loader = null)
    : WebApplicationFactory<ServerFactory>
{
    public TinyModelLoader Loader { get; } = loader ?? new TinyModelLoader();

    /// <summary>Fast defaults for tests: small batches, short calibration, no file polling.</summary>
    public static ServerOptions Defaults => new()
    {
        Threads = 1, MaxBatchSize = 4, CalibrationRuns = 1, MaxQueueDelayMs = 1, SloP99Ms = 10_000,
        ReloadPollInterval = TimeSpan.Zero, MaxRequestBodyBytes = 64 << 10,
    };

    public ModelRegistry Registry => Services.GetRequiredService<ModelRegistry>();

    /// <summary>The test binaries' folder: the server has no content files, and the default search expects a web project folder.</summary>
    protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseContentRoot(AppContext.BaseDirectory);

    protected override IHostBuilder CreateHostBuilder() =>
        Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureWebHost(web => web
                .UseContentRoot(AppContext.BaseDirectory)
                .ConfigureServices(s => s.AddRouting().AddElideServing(options, Loader, specs ?? [new ModelSpec("tiny", "tiny", null)]))
                .Configure(app =>
                {
                    app.UseRouting();
                    app.UseEndpoints(e => e.UseElideServing());
                }));
}
