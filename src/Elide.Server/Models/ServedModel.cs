using Elide.Adaptive;
using Elide.Graph;
using Elide.Planning;
using Elide.Runtime;
using Elide.Server.Adaptive;
using Elide.Server.Batching;
using Elide.Server.Hosting;
using Elide.Server.Telemetry;
using Elide.Tensors;
using Microsoft.Extensions.Logging;

namespace Elide.Server.Models;

/// <summary>
/// One loaded generation of a model: its session, one plan per batch size, the operating ladder, the controller
/// and the batch scheduler. Immutable once built; a hot reload builds a new one and swaps it in.
/// Models with exactly one input (batch first) and one output (batch first) are served.
/// </summary>
public sealed class ServedModel
{
    private readonly Dictionary<(int Batch, bool Unscaled), ExecutionPlan> plans = [];
    private readonly InferenceSession session;
    private readonly Func<InferenceSession> unscaledSession;

    private ServedModel(ModelSpec spec, int version, InferenceSession session, Func<InferenceSession> unscaledSession, ParetoFront? front)
    {
        Spec = spec;
        Version = version;
        this.session = session;
        this.unscaledSession = unscaledSession;
        Front = front;
    }

    /// <summary>What was loaded.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The name in URLs.</summary>
    public string Name => Spec.Name;

    /// <summary>Load generation: 1 at startup, +1 per hot reload.</summary>
    public int Version { get; }

    /// <summary>The front loaded with the model, if any.</summary>
    public ParetoFront? Front { get; }

    /// <summary>Name of the model's input.</summary>
    public string InputName { get; private set; } = "";

    /// <summary>Declared input shape (−1 for the free batch dimension).</summary>
    public int[] InputShape { get; private set; } = [];

    /// <summary>Values per image of the input.</summary>
    public int InputLength { get; private set; }

    /// <summary>Name of the model's output.</summary>
    public string OutputName { get; private set; } = "";

    /// <summary>Output shape per image (without the batch dimension).</summary>
    public int[] OutputItemShape { get; private set; } = [];

    /// <summary>Values per image of the output.</summary>
    public int OutputLength { get; private set; }

    /// <summary>Largest images per request (the largest plan).</summary>
    public int MaxBatchSize { get; private set; }

    /// <summary>True when a single configuration is pinned (`--config`).</summary>
    public bool IsFixed { get; private set; }

    /// <summary>Residual blocks (mask length).</summary>
    public int BlockCount => session.Blocks.Count;

    /// <summary>The configurations and their latency model.</summary>
    public OperatingLadder Ladder { get; private set; } = null!;

    /// <summary>The per-batch configuration chooser.</summary>
    public AdaptiveController Controller { get; private set; } = null!;

    /// <summary>Latency feedback on the planning budget (null with <see cref="ServerOptions.LatencyFeedback"/> off);
    /// the endpoint records every answered request's latency in it.</summary>
    public TailGuard? Guard { get; private set; }

    /// <summary>The queue and its worker.</summary>
    public BatchScheduler Scheduler { get; private set; } = null!;

    /// <summary>The plan for <paramref name="batch"/> images of the model as loaded (built once, then cached).</summary>
    public ExecutionPlan PlanFor(int batch) => PlanFor(batch, unscaled: false);

    /// <summary>
    /// The plan for <paramref name="batch"/> images of the model as loaded, or, with <paramref name="unscaled"/>, of its
    /// variant with the Stochastic-Depth branch scale divided out of kept blocks (the points a merged front marks
    /// unscaled run on it; its session is built on first use). Built once, then cached.
    /// </summary>
    public ExecutionPlan PlanFor(int batch, bool unscaled)
    {
        lock (plans)
        {
            if (!plans.TryGetValue((batch, unscaled), out var plan))
            {
                var dims = (int[])InputShape.Clone();
                dims[0] = batch;
                plans[(batch, unscaled)] = plan = (unscaled ? unscaledSession() : session).GetPlan(new Shape(dims));
            }
            return plan;
        }
    }

    /// <summary>Runs the engine directly, without the queue (tests compare served outputs with this).</summary>
    public float[] RunDirect(float[] input, int images, SkipMask mask, bool unscaled = false)
    {
        var output = new float[images * OutputLength];
        PlanFor(images, unscaled).Run(input, output, mask);
        return output;
    }

    /// <summary>Loads, plans, calibrates and starts a model.</summary>
    /// <exception cref="ArgumentException">The model or its front cannot be served (named in the message).</exception>
    public static ServedModel Load(ModelSpec spec, IModelLoader loader, ServerOptions options, int version, ServerMetrics metrics, ILogger logger)
    {
        var graph = loader.Load(spec);
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1)
            throw new ArgumentException($"model '{spec.Name}' has {graph.Inputs.Count} inputs and {graph.Outputs.Count} outputs; the server handles exactly one of each");
        ParetoFront? front = null;
        if (spec.FrontPath is { } frontPath)
        {
            try { front = ParetoFront.FromJson(File.ReadAllText(frontPath)); }
            catch (FormatException e) { throw new ArgumentException($"Pareto front {frontPath}: {e.Message}", e); }
        }
        var sessionOptions = new SessionOptions { Threads = options.Threads };
        var session = new InferenceSession(graph, sessionOptions);
        // The unscaled variant (BranchScaling.Unscaled: a copy of the graph with p_l divided out of each branch's last
        // BatchNorm) is built only when a ladder point runs it.
        var unscaled = new Lazy<InferenceSession>(() => new InferenceSession(BranchScaling.Unscaled(graph), sessionOptions), LazyThreadSafetyMode.ExecutionAndPublication);
        var model = new ServedModel(spec, version, session, () => unscaled.Value, front);
        model.Initialize(graph, options, metrics, logger);
        return model;
    }

    private void Initialize(ComputeGraph graph, ServerOptions options, ServerMetrics metrics, ILogger logger)
    {
        var input = graph.Inputs[0];
        var declared = input.Shape?.ToArray() ?? throw new ArgumentException($"model '{Name}' input '{input.Name}' has no declared shape");
        if (declared.Length < 2) throw new ArgumentException($"model '{Name}' input '{input.Name}' {input.Shape} has no batch dimension followed by image dimensions");
        for (int d = 1; d < declared.Length; d++)
            if (declared[d] < 1) throw new ArgumentException($"model '{Name}' input '{input.Name}' {input.Shape} has a free dimension {d}; only the batch may be free");
        int maxBatch = options.MaxBatchSize;
        if (declared[0] >= 1)
        {
            // A fixed batch of N can only be served N images at a time.
            maxBatch = declared[0];
        }
        declared[0] = -1;
        InputName = input.Name;
        InputShape = declared;
        InputLength = declared.Skip(1).Aggregate(1, (a, b) => checked(a * b));
        OutputName = graph.Outputs[0].Name;

        var planSizes = input.Shape![0] >= 1 ? [maxBatch] : LatencyModel.PlanSizesFor(maxBatch);
        var first = PlanFor(planSizes[0]);
        var outShape = first.OutputShapes[0];
        if (outShape.Rank < 1 || outShape[0] != planSizes[0])
            throw new ArgumentException($"model '{Name}' output '{OutputName}' {outShape} is not batched along its first dimension");
        OutputItemShape = outShape.ToArray()[1..];
        OutputLength = (int)(outShape.ElementCount / planSizes[0]);
        MaxBatchSize = planSizes[^1];
        IsFixed = options.FixedConfig is not null;

        var started = System.Diagnostics.Stopwatch.StartNew();
        Ladder = OperatingLadder.Build(PlanFor, BlockCount, Front, options.FixedConfig, options.AccuracyFloor, planSizes, options.CalibrationRuns);
        if (Ladder.Points.Any(p => p.Unscaled))
        {
            // Plan and touch the unscaled variant's batches now, so the first batch that runs it does not pay for it.
            // Its latency is the scaled plans' (same operations), which the calibration above measured.
            var zeros = new float[planSizes[^1] * InputLength];
            foreach (int size in planSizes)
                PlanFor(size, unscaled: true).Run(zeros.AsSpan(0, size * InputLength), new float[size * OutputLength], Ladder.Points.First(p => p.Unscaled).Mask);
        }
        logger.LogInformation("Loaded {Model} v{Version}: {Levels} configurations ({Source}), batch plans {PlanSizes}, calibrated in {Seconds:0.0} s; full-depth batch-{MaxBatch} latency {Ms:0.00} ms; latency feedback {Feedback}",
            Name, Version, Ladder.Points.Count, IsFixed ? "fixed --config" : Front is null ? "default ladder, accuracy unknown" : "Pareto front",
            string.Join(",", planSizes), started.Elapsed.TotalSeconds, MaxBatchSize, Ladder.Latency.PredictMs(0, planSizes.Length - 1),
            options.LatencyFeedback ? "on" : "off");
        Guard = options.LatencyFeedback ? new TailGuard(options.SloP99Ms, options.PlanningBudgetMs) : null;
        Controller = new AdaptiveController(Ladder, options.SloP99Ms, options.SloHeadroom, options.RecoveryFraction, options.RecoveryHold.TotalMilliseconds, MaxBatchSize, Guard);
        Scheduler = new BatchScheduler(Name, Version, PlanFor, Ladder, Controller, Guard, InputLength, OutputLength, options, metrics, logger);
    }

    /// <summary>The state the gauges report.</summary>
    public ModelGaugeState GaugeState()
    {
        int level = Controller.Level;
        var point = Ladder.Points[level];
        double? cost = point.Accuracy is { } a && Ladder.ReferenceAccuracy is { } r ? r - a : null;
        return new ModelGaugeState(Name, Version, Scheduler.QueuedImages, level, point.Label, cost, Controller.Last?.PredictedMs ?? 0, Controller.Last?.SustainableLevel ?? 0,
            Guard?.Scale ?? 1, Guard?.MarginMs ?? double.NaN);
    }
}
