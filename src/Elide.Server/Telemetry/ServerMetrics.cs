using System.Diagnostics.Metrics;

namespace Elide.Server.Telemetry;

/// <summary>A served model's live state, read by the observable gauges at scrape time.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Version">Load generation (1, 2, … after hot reloads).</param>
/// <param name="QueuedImages">Images waiting.</param>
/// <param name="Level">Ladder level in force.</param>
/// <param name="Config">Mask string in force.</param>
/// <param name="AccuracyCost">Reference accuracy minus the current configuration's (0..1), or null when unknown.</param>
/// <param name="PredictedMs">The controller's last predicted queue completion.</param>
/// <param name="SustainableLevel">Deepest level whose throughput keeps up with arrivals.</param>
/// <param name="PlanningScale">Latency feedback's factor on the planning budget (1 without feedback).</param>
/// <param name="MarginMs">Latency feedback's margin (p99 of latency minus predicted completion), NaN before it has one.</param>
public readonly record struct ModelGaugeState(string Model, int Version, int QueuedImages, int Level, string Config, double? AccuracyCost, double PredictedMs,
    int SustainableLevel = 0, double PlanningScale = 1, double MarginMs = double.NaN);

/// <summary>
/// The server's instruments (System.Diagnostics.Metrics), exported in Prometheus text format by
/// <see cref="PrometheusExporter"/>. Names follow Prometheus conventions (base units, `_total` counters).
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    // Dense between 5 and 150 ms, where latency SLOs of CPU inference sit, so a p99 read from the buckets lands within
    // a few milliseconds of the truth.
    private static readonly double[] SecondsBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05, 0.06, 0.07, 0.08, 0.1, 0.125, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly int[] ImageBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    /// <summary>Creates a private meter (one per server, so several servers in one process do not mix).</summary>
    public ServerMetrics()
    {
        Meter = new Meter("Elide.Server");
        Requests = Meter.CreateCounter<long>("elide_requests_total", null, "Inference requests by HTTP status (499: client went away).");
        RequestDuration = Meter.CreateHistogram("elide_request_duration_seconds", "s", "Inference request latency, arrival to response.", null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        QueueWait = Meter.CreateHistogram("elide_queue_wait_seconds", "s", "Time requests waited before their batch started.", null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        BatchCompute = Meter.CreateHistogram("elide_batch_compute_seconds", "s", "Engine time per batch.", null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        BatchImages = Meter.CreateHistogram("elide_batch_images", null, "Images per executed batch.", null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = ImageBuckets });
        Images = Meter.CreateCounter<long>("elide_images_total", null, "Images inferred, by configuration.");
        AccuracySum = Meter.CreateCounter<double>("elide_served_accuracy_sum", null,
            "Sum over inferred images of the validation accuracy of the configuration used (divide by elide_images_total; only models with a front).");
        Decisions = Meter.CreateCounter<long>("elide_controller_decisions_total", null, "Controller decisions per batch, by action (hold, degrade, emergency_degrade, recover).");
        Reloads = Meter.CreateCounter<long>("elide_model_reloads_total", null, "Hot reloads by outcome.");
        Meter.CreateObservableGauge("elide_queue_images", () => Gauge(s => s.QueuedImages), null, "Images waiting in the model's queue.");
        Meter.CreateObservableGauge("elide_configuration_level", () => Gauge(s => s.Level), null, "Ladder level in force (0 = deepest).");
        Meter.CreateObservableGauge("elide_model_version", () => Gauge(s => s.Version), null, "Load generation of the served model.");
        Meter.CreateObservableGauge("elide_sustainable_level", () => Gauge(s => s.SustainableLevel), null,
            "Deepest ladder level whose throughput keeps up with the measured arrival rate (the controller does not recover past it).");
        Meter.CreateObservableGauge("elide_planning_scale", () => Gauge(s => s.PlanningScale), null,
            $"Latency feedback's factor ({Adaptive.TailGuard.MinScale}..1) on the planning budget of admission and the controller: (target - margin) / budget.");
        Meter.CreateObservableGauge("elide_latency_margin_seconds", () => States().Where(s => !double.IsNaN(s.MarginMs))
                .Select(s => new Measurement<double>(s.MarginMs / 1000, new KeyValuePair<string, object?>("model", s.Model))),
            "s", $"p99 over the last {Adaptive.TailGuard.Window} answered requests of (latency at the server - completion predicted at admission): what the queue model misses.");
        Meter.CreateObservableGauge("elide_predicted_completion_ms", () => Gauge(s => s.PredictedMs), null, "Controller's predicted completion of the queue at the chosen level.");
        Meter.CreateObservableGauge("elide_accuracy_cost", () => States().Where(s => s.AccuracyCost is not null)
                .Select(s => new Measurement<double>(s.AccuracyCost!.Value, new KeyValuePair<string, object?>("model", s.Model))),
            null, "Estimated accuracy cost (fraction) of the configuration in force versus the deepest.");
        Meter.CreateObservableGauge("elide_configuration_info", () => States().Select(s => new Measurement<int>(1,
                new KeyValuePair<string, object?>("model", s.Model), new KeyValuePair<string, object?>("config", s.Config))),
            null, "The configuration (skip mask) in force, as a label.");
        // The process's garbage collector: a pause stops the engine thread with everything else, so pauses show up
        // directly in the latency tail.
        Meter.CreateObservableCounter("elide_gc_pause_seconds_total", () => GC.GetTotalPauseDuration().TotalSeconds, "s",
            "Time the process spent paused by garbage collections (process-wide).");
        Meter.CreateObservableCounter("elide_gc_collections_total", () => Enumerable.Range(0, GC.MaxGeneration + 1)
                .Select(g => new Measurement<long>(GC.CollectionCount(g), new KeyValuePair<string, object?>("generation", g.ToString(System.Globalization.CultureInfo.InvariantCulture)))),
            null, "Garbage collections by generation (a generation-2 collection also counts in 0 and 1; process-wide).");
        Meter.CreateObservableCounter("elide_allocated_bytes_total", () => GC.GetTotalAllocatedBytes(), "By",
            "Bytes allocated on the managed heap (process-wide).");
    }

    /// <summary>The meter.</summary>
    public Meter Meter { get; }

    /// <summary>Supplies the models' live state to the gauges; set by the model registry.</summary>
    public Func<IEnumerable<ModelGaugeState>> ModelStates { get; set; } = () => [];

    internal Counter<long> Requests { get; }
    internal Histogram<double> RequestDuration { get; }
    internal Histogram<double> QueueWait { get; }
    internal Histogram<double> BatchCompute { get; }
    internal Histogram<int> BatchImages { get; }
    internal Counter<long> Images { get; }
    internal Counter<double> AccuracySum { get; }
    internal Counter<long> Decisions { get; }
    internal Counter<long> Reloads { get; }

    private IEnumerable<ModelGaugeState> States()
    {
        try { return ModelStates().ToList(); }
        catch (ObjectDisposedException) { return []; }
    }

    private IEnumerable<Measurement<double>> Gauge(Func<ModelGaugeState, double> value) =>
        States().Select(s => new Measurement<double>(value(s), new KeyValuePair<string, object?>("model", s.Model)));

    /// <inheritdoc/>
    public void Dispose() => Meter.Dispose();
}
