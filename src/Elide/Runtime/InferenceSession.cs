using Elide.Adaptive;
using Elide.Graph;
using Elide.Kernels.Threading;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Runtime;

/// <summary>Options for an <see cref="InferenceSession"/>.</summary>
public sealed record SessionOptions
{
    /// <summary>Threads used by kernels (the caller included). Default: every logical processor.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Detect residual blocks so plans can skip them (the default). Skipping keeps each block's input buffer alive
    /// until its output's last use, which costs some activation memory; turn off for fixed-depth deployments.
    /// </summary>
    public bool SkippableBlocks { get; init; } = true;

    /// <summary>Graph rewrites to apply; null applies all.</summary>
    public GraphOptimizer.Options? Optimizations { get; init; }
}

/// <summary>
/// A model ready to run: the graph optimized once, and one <see cref="ExecutionPlan"/> per distinct input shape,
/// built on first use and kept (weights prepacked, memory planned).
/// </summary>
public sealed class InferenceSession
{
    private readonly Dictionary<string, ExecutionPlan> plans = new(StringComparer.Ordinal);
    private readonly object gate = new();

    /// <summary>Optimizes <paramref name="graph"/> (a copy; the argument is not modified).</summary>
    public InferenceSession(ComputeGraph graph, SessionOptions? options = null)
    {
        Options = options ?? new SessionOptions();
        if (Options.Threads < 1) throw new ArgumentOutOfRangeException(nameof(options), $"threads must be ≥ 1, got {Options.Threads}");
        Source = graph;
        Graph = GraphOptimizer.Optimize(graph, Options.Optimizations);
        Blocks = Options.SkippableBlocks ? ResidualBlockDetector.Detect(graph) : [];
        Pool = WorkerPool.Shared(Options.Threads);
    }

    /// <summary>The options in force.</summary>
    public SessionOptions Options { get; }

    /// <summary>The graph as given.</summary>
    public ComputeGraph Source { get; }

    /// <summary>The optimized graph that plans are built from.</summary>
    public ComputeGraph Graph { get; }

    /// <summary>The residual blocks found in the model, in execution order (skip masks index these).</summary>
    public IReadOnlyList<ResidualBlock> Blocks { get; }

    /// <summary>The thread pool kernels run on.</summary>
    public WorkerPool Pool { get; }

    /// <summary>The plan for these input shapes, built on first request.</summary>
    public ExecutionPlan GetPlan(IReadOnlyList<Shape> inputShapes)
    {
        string key = string.Join(";", inputShapes);
        lock (gate)
        {
            if (!plans.TryGetValue(key, out var plan))
            {
                plan = new ExecutionPlan(Graph, inputShapes, Pool, Blocks);
                plans[key] = plan;
            }
            return plan;
        }
    }

    /// <summary>The plan for a single input of this shape.</summary>
    public ExecutionPlan GetPlan(Shape inputShape) => GetPlan([inputShape]);

    /// <summary>Runs the model on tensors and returns new output tensors (allocates the outputs).</summary>
    public Tensor[] Run(params Tensor[] inputs) => Run(null, inputs);

    /// <summary>Runs with the blocks <paramref name="mask"/> marks '0' skipped (null: all blocks run).</summary>
    public Tensor[] Run(SkipMask? mask, params Tensor[] inputs)
    {
        var plan = GetPlan(inputs.Select(t => t.Shape).ToList());
        var outputs = plan.OutputShapes.Select(s => new Tensor(s)).ToArray();
        plan.Run(inputs.Select(t => (ReadOnlyMemory<float>)t.Data).ToList(), outputs.Select(t => (Memory<float>)t.Data).ToList(), mask);
        return outputs;
    }
}
