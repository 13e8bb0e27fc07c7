using System.Net;
using Elide.Server.Models;
using Elide.Server.Protocol;
using Elide.Server.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Elide.Server.Hosting;

/// <summary>Builds the Elide inference server (Kestrel + the Open Inference Protocol endpoints).</summary>
public static class ElideServer
{
    /// <summary>Registers the registry (models load when the host starts), hot reload, metrics and the exporter.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public static IServiceCollection AddElideServing(this IServiceCollection services, ServerOptions options, IModelLoader loader, IReadOnlyList<ModelSpec> models)
    {
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(loader);
        services.AddSingleton<IReadOnlyList<ModelSpec>>(models);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton(sp => new PrometheusExporter(sp.GetRequiredService<ServerMetrics>().Meter));
        if (options.EngineCpus is not null)
        {
            var (engine, io) = options.ResolveCpuPartition(CpuPartition.AllowedCpus())!.Value;
            services.AddSingleton(sp => new CpuPartition(engine, io, sp.GetRequiredService<ILogger<CpuPartition>>()));
            services.AddHostedService(sp => sp.GetRequiredService<CpuPartition>()); // before the registry: engine threads are pinned from their start
        }
        services.AddSingleton(sp => new ModelRegistry(models, loader, options, sp.GetRequiredService<ServerMetrics>(), sp.GetRequiredService<ILogger<ModelRegistry>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ModelRegistry>());
        services.AddHostedService<ModelFileWatcher>();
        // Queued requests finish before the process exits (graceful shutdown); bounded so a stuck client cannot hold it forever.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return services;
    }

    /// <summary>Maps the endpoints and turns readiness off as soon as shutdown begins.</summary>
    public static IEndpointRouteBuilder UseElideServing(this IEndpointRouteBuilder endpoints)
    {
        var registry = endpoints.ServiceProvider.GetRequiredService<ModelRegistry>();
        endpoints.ServiceProvider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(registry.BeginDraining);
        endpoints.ServiceProvider.GetRequiredService<PrometheusExporter>(); // start listening before the first request
        return endpoints.MapElideServing();
    }

    /// <summary>A ready-to-run server listening on <see cref="ServerOptions.Host"/>:<see cref="ServerOptions.Port"/>.</summary>
    /// <param name="options">Options (validated).</param>
    /// <param name="loader">Turns model specs into graphs.</param>
    /// <param name="models">The models to serve.</param>
    /// <exception cref="ArgumentException">Invalid options or host address.</exception>
    public static WebApplication Build(ServerOptions options, IModelLoader loader, IReadOnlyList<ModelSpec> models)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (options.JsonLogs) builder.Logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        // Per-request framework logs would drown the decisions that matter under load.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        var address = options.Host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(options.Host, out var ip) ? ip
            : throw new ArgumentException($"--host '{options.Host}' is not an IP address (use 127.0.0.1, ::1, 0.0.0.0 or localhost)");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, options.Port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
        });
        builder.Services.AddElideServing(options, loader, models);
        var app = builder.Build();
        app.UseElideServing();
        return app;
    }
}
