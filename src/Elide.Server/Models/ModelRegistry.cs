using System.Collections.Immutable;
using Elide.Server.Hosting;
using Elide.Server.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Elide.Server.Models;

/// <summary>
/// The served models by name. Loads them at startup; <see cref="ReloadAsync"/> builds a new generation and swaps
/// it in with one reference assignment, after which the old generation stops accepting and finishes what it had
/// queued (in-flight requests complete on the model they were queued on). Stopping drains every queue.
/// </summary>
public sealed class ModelRegistry : IHostedService
{
    private readonly IReadOnlyList<ModelSpec> specs;
    private readonly IModelLoader loader;
    private readonly ServerOptions options;
    private readonly ServerMetrics metrics;
    private readonly ILogger<ModelRegistry> logger;
    private readonly SemaphoreSlim reloadGate = new(1, 1);
    private volatile ImmutableDictionary<string, ServedModel> models = ImmutableDictionary<string, ServedModel>.Empty.WithComparers(StringComparer.Ordinal);
    private volatile bool loaded, draining;

    /// <summary>Creates the registry; models load in <see cref="StartAsync"/>.</summary>
    public ModelRegistry(IReadOnlyList<ModelSpec> specs, IModelLoader loader, ServerOptions options, ServerMetrics metrics, ILogger<ModelRegistry> logger)
    {
        var duplicate = specs.GroupBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two models are named '{duplicate.Key}'; model names (file names without .onnx) must be unique");
        if (specs.Count == 0) throw new ArgumentException("no model to serve: give at least one --model");
        this.specs = specs;
        this.loader = loader;
        this.options = options;
        this.metrics = metrics;
        this.logger = logger;
        metrics.ModelStates = () => models.Values.Select(m => m.GaugeState());
    }

    /// <summary>The server options.</summary>
    public ServerOptions Options => options;

    /// <summary>The specs being served.</summary>
    public IReadOnlyList<ModelSpec> Specs => specs;

    /// <summary>All models are loaded and the server is not shutting down.</summary>
    public bool IsReady => loaded && !draining;

    /// <summary>The server is shutting down: new requests are refused.</summary>
    public bool IsDraining => draining;

    /// <summary>The current generation of every model.</summary>
    public IReadOnlyDictionary<string, ServedModel> Models => models;

    /// <summary>The current generation of <paramref name="name"/>, or null.</summary>
    public ServedModel? Find(string name) => models.GetValueOrDefault(name);

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var spec in specs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            models = models.SetItem(spec.Name, ServedModel.Load(spec, loader, options, 1, metrics, logger));
        }
        loaded = true;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Refuses new work (readiness turns 503) and runs what is queued at once, without waiting for batches to
    /// fill, so the web server's own shutdown (which waits for open requests) is not held up by the batching delay.
    /// </summary>
    public void BeginDraining()
    {
        if (draining) return;
        draining = true;
        logger.LogInformation("Draining: refusing new requests, finishing {Queued} queued images", models.Values.Sum(m => m.Scheduler.QueuedImages));
        foreach (var m in models.Values) m.Scheduler.StopAccepting();
    }

    /// <summary>Loads <paramref name="name"/> again from its source and swaps it in atomically.</summary>
    /// <exception cref="KeyNotFoundException">No such model.</exception>
    /// <exception cref="ArgumentException">The new model cannot be served; the old generation stays in place.</exception>
    /// <exception cref="InvalidOperationException">The server is shutting down.</exception>
    public async Task<ServedModel> ReloadAsync(string name, CancellationToken cancellationToken = default)
    {
        var current = Find(name) ?? throw new KeyNotFoundException($"model '{name}' is not served");
        await reloadGate.WaitAsync(cancellationToken);
        try
        {
            if (draining) throw new InvalidOperationException($"the server is shutting down; model '{name}' is not reloaded");
            current = Find(name)!;
            ServedModel next;
            try
            {
                next = await Task.Run(() => ServedModel.Load(current.Spec, loader, options, current.Version + 1, metrics, logger), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                metrics.Reloads.Add(1, new("model", name), new("outcome", "failed"));
                logger.LogError("Reload of {Model} failed, still serving v{Version}: {Error}", name, current.Version, e.Message);
                throw;
            }
            models = models.SetItem(name, next);
            current.Scheduler.StopAccepting();
            if (draining) next.Scheduler.StopAccepting(); // shutdown began while it loaded
            metrics.Reloads.Add(1, new("model", name), new("outcome", "swapped"));
            logger.LogInformation("Reloaded {Model}: v{Old} → v{New}; v{Old} finishes its queue", name, current.Version, next.Version, current.Version);
            return next;
        }
        finally { reloadGate.Release(); }
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        BeginDraining();
        // A reload finishing now would add a generation after draining began: wait for it (it then stops itself).
        try { await reloadGate.WaitAsync(cancellationToken); reloadGate.Release(); }
        catch (OperationCanceledException) { }
        foreach (var m in models.Values) m.Scheduler.StopAccepting();
        try { await Task.WhenAll(models.Values.Select(m => m.Scheduler.Drained)).WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { logger.LogWarning("Shutdown timeout: {Queued} queued images were not answered", models.Values.Sum(m => m.Scheduler.QueuedImages)); }
        logger.LogInformation("Drained; stopped");
    }
}
