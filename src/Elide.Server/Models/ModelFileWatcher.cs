using Elide.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Elide.Server.Models;

/// <summary>
/// Hot reload: polls the model files (and their fronts) and reloads a model when its files changed and then stayed
/// unchanged for one more poll, so a file still being written is not loaded half-way. Polling rather than
/// FileSystemWatcher because it behaves the same on every file system (containers, network mounts) and a
/// one-second delay is irrelevant for a model swap.
/// </summary>
public sealed class ModelFileWatcher(ModelRegistry registry, ServerOptions options, ILogger<ModelFileWatcher> logger) : BackgroundService
{
    private readonly record struct Stamp(DateTime Model, long Length, DateTime Front);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.ReloadPollInterval <= TimeSpan.Zero) return;
        var seen = new Dictionary<string, Stamp>();
        var pending = new Dictionary<string, Stamp>();
        foreach (var spec in registry.Specs) if (StampOf(spec) is { } s) seen[spec.Name] = s;
        using var timer = new PeriodicTimer(options.ReloadPollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var spec in registry.Specs)
            {
                if (StampOf(spec) is not { } now || (seen.TryGetValue(spec.Name, out var old) && old == now)) { pending.Remove(spec.Name); continue; }
                if (!pending.TryGetValue(spec.Name, out var candidate) || candidate != now) { pending[spec.Name] = now; continue; }
                pending.Remove(spec.Name);
                seen[spec.Name] = now;
                logger.LogInformation("Model file {Path} changed; reloading {Model}", spec.Source, spec.Name);
                try { await registry.ReloadAsync(spec.Name, stoppingToken); }
                catch (Exception e) when (e is not OperationCanceledException) { /* logged by the registry; keep serving the old generation */ }
            }
        }
    }

    private static Stamp? StampOf(ModelSpec spec)
    {
        var file = new FileInfo(spec.Source);
        if (!file.Exists) return null; // built-in architectures have no file
        var front = spec.FrontPath is { } f && File.Exists(f) ? File.GetLastWriteTimeUtc(f) : default;
        return new Stamp(file.LastWriteTimeUtc, file.Length, front);
    }
}
