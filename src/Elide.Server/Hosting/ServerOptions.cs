namespace Elide.Server.Hosting;

/// <summary>Everything `elide serve` can be told. Validated by <see cref="Validate"/> before the server starts.</summary>
public sealed record ServerOptions
{
    /// <summary>Address Kestrel listens on. Loopback by default: exposing a model is an explicit decision.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>The latency objective: the 99th percentile of request latency (arrival to response) in milliseconds.</summary>
    public double SloP99Ms { get; init; } = 100;

    /// <summary>Lowest validation accuracy (0..1) the adaptive controller may choose; null: no floor.</summary>
    public double? AccuracyFloor { get; init; }

    /// <summary>Kernel threads per model session.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Pins one skip configuration (the mask string) instead of adapting; null adapts.</summary>
    public string? FixedConfig { get; init; }

    /// <summary>Largest batch of images run at once. Batches run on plans for powers of two up to this size.</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>How long the first queued request may wait for others to join its batch.</summary>
    public double MaxQueueDelayMs { get; init; } = 2;

    /// <summary>Most images that may wait in one model's queue; beyond it requests get 429.</summary>
    public int MaxQueueImages { get; init; } = 256;

    /// <summary>
    /// Also reject (429) a request whose predicted completion, at the fastest configuration allowed, already exceeds
    /// the SLO: the queue is bounded in time as well as in count, so accepted requests can still meet the objective.
    /// </summary>
    public bool AdmitByPrediction { get; init; } = true;

    /// <summary>Largest accepted request body in bytes; larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 8 << 20;

    /// <summary>How often model files are checked for changes (hot reload); zero disables watching.</summary>
    public TimeSpan ReloadPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Timed runs per calibration measurement at startup (median taken).</summary>
    public int CalibrationRuns { get; init; } = 3;

    /// <summary>Fraction of the SLO the controller plans to use, leaving room for arrivals and timing noise.</summary>
    public double SloHeadroom { get; init; } = 0.8;

    /// <summary>The planning budget in milliseconds: <see cref="SloHeadroom"/> × <see cref="SloP99Ms"/>.</summary>
    public double PlanningBudgetMs => SloHeadroom * SloP99Ms;

    /// <summary>
    /// Shrink the planning budget (admission and controller) by the measured p99 of how late answered requests finish
    /// behind their predicted completion, aiming the server's own p99 at 0.9 × SLO (see <see cref="Adaptive.TailGuard"/>);
    /// off (the default: on machine B, engine and HTTP sharing a core, it cost 10–25 % of the floor mode's throughput
    /// at 2x for an inconsistent p99 gain, docs/serving.md), planning trusts the queue model alone. `elide serve`
    /// turns it on with <see cref="EngineCpus"/>: with the engine on its own core it cut p99 and raised throughput.
    /// </summary>
    public bool LatencyFeedback { get; init; }

    /// <summary>Predicted completion must fall below this fraction of the SLO before the controller restores depth.</summary>
    public double RecoveryFraction { get; init; } = 0.5;

    /// <summary>Time a lower load must persist before each one-step recovery of depth (hysteresis).</summary>
    public TimeSpan RecoveryHold { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// CPUs for the engine's threads (batch threads and kernel workers); null: no partition, the OS schedules every
    /// thread anywhere. With it, every other thread runs on <see cref="IoCpus"/> (see <see cref="CpuPartition"/>).
    /// </summary>
    public IReadOnlyList<int>? EngineCpus { get; init; }

    /// <summary>CPUs for the HTTP side and the runtime's threads; null with <see cref="EngineCpus"/> set: every CPU
    /// the process may use that is not an engine CPU.</summary>
    public IReadOnlyList<int>? IoCpus { get; init; }

    /// <summary>Structured JSON logs instead of single-line text.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range, naming the option.</exception>
    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port must be 0..65535, got {Port}");
        if (!(SloP99Ms > 0) || double.IsInfinity(SloP99Ms)) throw new ArgumentException($"--slo-p99-ms must be a positive number of milliseconds, got {SloP99Ms}");
        if (AccuracyFloor is { } f && !(f is >= 0 and <= 1))
            throw new ArgumentException($"--accuracy-floor is a fraction 0..1 (e.g. 0.92 for 92%), got {f}");
        if (Threads < 1) throw new ArgumentException($"--threads must be ≥ 1, got {Threads}");
        if (MaxBatchSize is < 1 or > 1024) throw new ArgumentException($"--max-batch must be 1..1024, got {MaxBatchSize}");
        if (!(MaxQueueDelayMs >= 0)) throw new ArgumentException($"--max-queue-delay-ms must be ≥ 0, got {MaxQueueDelayMs}");
        if (MaxQueueImages < MaxBatchSize) throw new ArgumentException($"--max-queue must be ≥ --max-batch ({MaxBatchSize}), got {MaxQueueImages}");
        if (MaxRequestBodyBytes < 1024) throw new ArgumentException($"--max-body-bytes must be ≥ 1024, got {MaxRequestBodyBytes}");
        if (CalibrationRuns < 1) throw new ArgumentException($"calibration runs must be ≥ 1, got {CalibrationRuns}");
        if (!(SloHeadroom is > 0 and <= 1)) throw new ArgumentException($"SLO headroom must be in (0, 1], got {SloHeadroom}");
        if (!(RecoveryFraction > 0 && RecoveryFraction <= SloHeadroom))
            throw new ArgumentException($"recovery fraction must be in (0, headroom {SloHeadroom}], got {RecoveryFraction}");
        if (ReloadPollInterval < TimeSpan.Zero || RecoveryHold < TimeSpan.Zero) throw new ArgumentException("intervals must not be negative");
        if (IoCpus is not null && EngineCpus is null) throw new ArgumentException("--io-cpus needs --engine-cpus: it names where everything but the engine runs");
        if (EngineCpus is { } engine)
        {
            if (engine.Count == 0 || IoCpus is { Count: 0 }) throw new ArgumentException("--engine-cpus and --io-cpus must each name at least one CPU");
            if (IoCpus is { } io && io.Intersect(engine).Any())
                throw new ArgumentException($"--engine-cpus {CpuPartition.FormatList(engine)} and --io-cpus {CpuPartition.FormatList(io)} overlap on CPU {io.Intersect(engine).First()}: the point is to keep them apart");
            if (Threads > engine.Count)
                throw new ArgumentException($"--threads {Threads} exceeds the {engine.Count} engine CPU(s) {CpuPartition.FormatList(engine)}: kernel threads would share cores");
        }
    }

    /// <summary>
    /// The partition's (engine, I/O) CPUs checked against <paramref name="allowed"/> (the CPUs the process may run
    /// on), with the I/O set defaulted to the allowed CPUs that are not engine CPUs; null without a partition.
    /// </summary>
    /// <exception cref="ArgumentException">A CPU the process may not use, or no CPU left for the I/O side.</exception>
    public (int[] Engine, int[] Io)? ResolveCpuPartition(IReadOnlyCollection<int> allowed)
    {
        if (EngineCpus is not { } engine) return null;
        foreach (var (option, cpus) in new[] { ("--engine-cpus", engine), ("--io-cpus", IoCpus ?? []) })
        {
            var outside = cpus.Where(c => !allowed.Contains(c)).ToList();
            if (outside.Count > 0)
                throw new ArgumentException($"{option} {CpuPartition.FormatList(cpus)}: the process may only run on CPUs {CpuPartition.FormatList(allowed)} (not {CpuPartition.FormatList(outside)})");
        }
        var io = IoCpus?.ToArray() ?? allowed.Except(engine).ToArray();
        if (io.Length == 0)
            throw new ArgumentException($"--engine-cpus {CpuPartition.FormatList(engine)} takes every CPU the process may use ({CpuPartition.FormatList(allowed)}); leave one for HTTP or name --io-cpus");
        return (engine.ToArray(), io);
    }
}
