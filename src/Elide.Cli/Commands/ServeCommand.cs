using System.CommandLine;
using Elide.Graph;
using Elide.Server.Hosting;
using Elide.Server.Models;

namespace Elide.Cli.Commands;

/// <summary>`elide serve`: the Open Inference Protocol HTTP server with dynamic batching and load-adaptive depth.</summary>
internal static class ServeCommand
{
    /// <summary>Loads models for the server through the CLI's model resolution (built-ins and .onnx files).</summary>
    private sealed class CliModelLoader : IModelLoader
    {
        public ComputeGraph Load(ModelSpec spec) => ModelSource.Load(spec.Source);
    }

    public static Command Create()
    {
        var defaults = new ServerOptions();
        var model = new Option<string[]>("--model", "-m") { Description = ModelSource.Help + " Repeat to serve several models; a model's name is its file name without .onnx.", Required = true };
        var front = new Option<string[]>("--front") { Description = "Pareto front JSON for a model, as name=path (default: <model>.front.json beside the model file)." };
        var host = new Option<string>("--host") { Description = "Address to bind (default 127.0.0.1: loopback only).", DefaultValueFactory = _ => defaults.Host };
        var port = new Option<int>("--port", "-p") { Description = "TCP port.", DefaultValueFactory = _ => defaults.Port };
        var slo = new Option<double>("--slo-p99-ms") { Description = "Latency objective: p99 of request latency in ms.", DefaultValueFactory = _ => defaults.SloP99Ms };
        var floor = new Option<double?>("--accuracy-floor") { Description = "Lowest validation accuracy (fraction 0..1) the controller may trade down to; needs a front." };
        var threads = new Option<int>("--threads", "-t") { Description = "Kernel threads per model (default: all cores).", DefaultValueFactory = _ => defaults.Threads };
        var config = new Option<string?>("--config") { Description = "Pin one skip configuration (mask of 1/0 per residual block) instead of adapting; MASK:unscaled runs it with kept blocks unscaled (the label /metrics shows for a merged front's unscaled points)." };
        var maxBatch = new Option<int>("--max-batch") { Description = "Largest batch of images run at once.", DefaultValueFactory = _ => defaults.MaxBatchSize };
        var delay = new Option<double>("--max-queue-delay-ms") { Description = "How long a request may wait for its batch to fill.", DefaultValueFactory = _ => defaults.MaxQueueDelayMs };
        var queue = new Option<int>("--max-queue") { Description = "Most images waiting per model before 429.", DefaultValueFactory = _ => defaults.MaxQueueImages };
        var headroom = new Option<double>("--slo-headroom")
        {
            Description = "Fraction of the SLO the controller plans with and admission admits up to (0..1]; lower keeps more room for "
                + "time outside the queue model (parsing, responses, scheduling) at the cost of more 429s.",
            DefaultValueFactory = _ => defaults.SloHeadroom,
        };
        var noAdmission = new Option<bool>("--no-slo-admission") { Description = "Queue requests even when their predicted completion misses the SLO (only --max-queue bounds the queue)." };
        var feedback = new Option<bool?>("--latency-feedback")
        {
            Description = $"Measure how much later than predicted answered requests finish (p99 over the last {Elide.Server.Adaptive.TailGuard.Window}) and plan admission and "
                + $"depth with 0.9 x SLO minus that margin when it is below --slo-headroom x SLO (at least {Elide.Server.Adaptive.TailGuard.MinScale} of it). Off by default: "
                + "it trades throughput for tail latency, and on a shared core its p99 gain was inconsistent (docs/serving.md). "
                + "On by default with --engine-cpus, where batch times are steady and it raised throughput as well (--latency-feedback false turns it off).",
        };
        var body = new Option<long>("--max-body-bytes") { Description = "Largest request body (413 beyond).", DefaultValueFactory = _ => defaults.MaxRequestBodyBytes };
        var reload = new Option<double>("--reload-poll-ms") { Description = "Poll interval for model file changes (hot reload); 0 disables.", DefaultValueFactory = _ => defaults.ReloadPollInterval.TotalMilliseconds };
        var hold = new Option<double>("--recovery-hold-ms") { Description = "How long lower load must last before each step back to more depth.", DefaultValueFactory = _ => defaults.RecoveryHold.TotalMilliseconds };
        var engineCpus = new Option<string?>("--engine-cpus")
        {
            Description = "Run the engine's threads (batches, kernel workers) only on these CPUs (Linux; list like 0 or 0-3,6) and every other "
                + "thread elsewhere, so request parsing and response writing never preempt a batch. --threads defaults to their count.",
        };
        var ioCpus = new Option<string?>("--io-cpus") { Description = "CPUs for HTTP and runtime threads with --engine-cpus (default: the process's other CPUs)." };
        var logFormat = new Option<string>("--log-format") { Description = "text or json (structured).", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");

        var cmd = new Command("serve", "Serve models over HTTP (Open Inference Protocol / KServe v2 REST) with dynamic batching; " +
            "under load, choose a shallower configuration from the Pareto front per batch so p99 latency meets --slo-p99-ms.")
        {
            model, front, host, port, slo, floor, threads, config, maxBatch, delay, queue, headroom, noAdmission, feedback, body, reload, hold, engineCpus, ioCpus, logFormat,
        };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            var fronts = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in p.GetValue(front) ?? [])
            {
                int eq = f.IndexOf('=');
                if (eq <= 0) throw new ArgumentException($"--front '{f}' must be name=path");
                if (!File.Exists(f[(eq + 1)..])) throw new FileNotFoundException($"--front {f}: file not found");
                fronts[f[..eq]] = f[(eq + 1)..];
            }
            var specs = p.GetValue(model)!.Select(m =>
            {
                var spec = ModelSpec.FromArgument(m);
                return fronts.TryGetValue(spec.Name, out var path) ? spec with { FrontPath = path } : spec;
            }).ToList();
            foreach (var name in fronts.Keys.Where(n => specs.All(s => s.Name != n)))
                throw new ArgumentException($"--front names model '{name}', which is not served (models: {string.Join(", ", specs.Select(s => s.Name))})");
            var engine = p.GetValue(engineCpus) is { } e ? CpuPartition.ParseList(e, "--engine-cpus") : null;
            var options = new ServerOptions
            {
                Host = p.GetValue(host)!,
                Port = p.GetValue(port),
                SloP99Ms = p.GetValue(slo),
                AccuracyFloor = p.GetValue(floor),
                // With a partition, one kernel thread per engine CPU unless told otherwise.
                Threads = engine is not null && p.GetResult(threads) is null or { Implicit: true } ? engine.Length : p.GetValue(threads),
                EngineCpus = engine,
                IoCpus = p.GetValue(ioCpus) is { } io ? CpuPartition.ParseList(io, "--io-cpus") : null,
                FixedConfig = p.GetValue(config),
                MaxBatchSize = p.GetValue(maxBatch),
                MaxQueueDelayMs = p.GetValue(delay),
                MaxQueueImages = p.GetValue(queue),
                AdmitByPrediction = !p.GetValue(noAdmission),
                LatencyFeedback = p.GetValue(feedback) ?? engine is not null,
                SloHeadroom = p.GetValue(headroom),
                // Recovery must fit a tighter budget than planning; keep its default ratio below a lowered headroom.
                RecoveryFraction = Math.Min(defaults.RecoveryFraction, defaults.RecoveryFraction / defaults.SloHeadroom * p.GetValue(headroom)),
                MaxRequestBodyBytes = p.GetValue(body),
                ReloadPollInterval = TimeSpan.FromMilliseconds(p.GetValue(reload)),
                RecoveryHold = TimeSpan.FromMilliseconds(p.GetValue(hold)),
                JsonLogs = p.GetValue(logFormat) == "json",
            };
            var app = ElideServer.Build(options, new CliModelLoader(), specs);
            // Models load and calibrate while the host starts; their errors surface here, before Kestrel listens.
            app.Run();
            return 0;
        }));
        return cmd;
    }
}
