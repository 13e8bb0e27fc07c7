using Elide.Data;
using Elide.Graph;
using Elide.Runtime;

namespace Elide.Adaptive;

/// <summary>Inputs of <see cref="Exploration.Run"/>.</summary>
public sealed record ExplorationOptions
{
    /// <summary>The model.</summary>
    public required ComputeGraph Model { get; init; }

    /// <summary>Name recorded in the front.</summary>
    public required string ModelName { get; init; }

    /// <summary>Validation split (selection).</summary>
    public required ImageDataset Validation { get; init; }

    /// <summary>Test split (reporting only), or null.</summary>
    public ImageDataset? Test { get; init; }

    /// <summary>Validation images the search scores configurations on (evenly spaced subset).</summary>
    public int SearchImages { get; init; } = 1000;

    /// <summary>Validation images the front's reported accuracy uses (0: the whole split).</summary>
    public int ValidationImages { get; init; }

    /// <summary>Test images the report uses (0: the whole split).</summary>
    public int TestImages { get; init; }

    /// <summary>Kernel threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The large batch of the `_b64` figures.</summary>
    public int LargeBatch { get; init; } = 64;

    /// <summary>Search stages and their settings.</summary>
    public FrontSearchOptions Search { get; init; } = new();

    /// <summary>Latency timing.</summary>
    public LatencyMeasurementOptions Measurement { get; init; } = new();

    /// <summary>Cost-model calibration.</summary>
    public CostCalibrationOptions Calibration { get; init; } = new();

    /// <summary>Energy model.</summary>
    public EnergyModel Energy { get; init; } = EnergyModel.Default;

    /// <summary>Where to persist progress (scored configurations, cost models) for resuming; null: not persisted.</summary>
    public string? StatePath { get; init; }

    /// <summary>Identifies the data and model of a state so a stale state is not reused.</summary>
    public string StateIdentity => $"{ModelName}|{Validation.Name}|{Validation.Count}|search {SearchImages}|large batch {LargeBatch}";
}

/// <summary>What an exploration produced.</summary>
/// <param name="Front">The profiled front (the `--report` document).</param>
/// <param name="Search">The search's findings (sensitivity, greedy path, all scored configurations).</param>
/// <param name="PredictionError">Predicted versus measured latency across the front.</param>
/// <param name="PrefixCaching">True when the model could be cut into segments and prefix activations were cached.</param>
/// <param name="Resumed">Configurations taken from a saved state instead of being scored again.</param>
public sealed record ExplorationResult(ParetoFront Front, FrontSearchResult Search, PredictionError PredictionError, bool PrefixCaching, int Resumed);

/// <summary>
/// The whole design-time pipeline of PAPERS.md §1 for one model: calibrate per-block costs, search configurations on
/// a validation subset (sensitivity → greedy → NSGA-II, memoized and prefix-cached, resumable), then profile the
/// found front on the full validation split, the test split, and the machine.
/// </summary>
public static class Exploration
{
    /// <summary>Runs the pipeline. <paramref name="progress"/> receives (stage, fraction of the stage done).</summary>
    /// <exception cref="ArgumentException">The model has no residual blocks, or does not take the dataset's images.</exception>
    public static ExplorationResult Run(ExplorationOptions options, Action<string, double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sessionOptions = new SessionOptions { Threads = options.Threads };
        var session = new InferenceSession(options.Model, sessionOptions);
        if (session.Blocks.Count == 0)
            throw new ArgumentException($"model '{options.ModelName}' has no residual blocks: there is nothing to skip");
        if (!session.Blocks.Any(b => b.Skippable))
            throw new ArgumentException($"model '{options.ModelName}' has {session.Blocks.Count} residual blocks but none can be skipped (all change shape)");
        var standardization = LabelledImages.StandardizationOf(options.Model);
        var searchData = LabelledImages.From(options.Validation, standardization, options.SearchImages);

        var state = options.StatePath is null ? new ExplorationState { Identity = options.StateIdentity }
                                              : ExplorationState.LoadOrCreate(options.StatePath, options.StateIdentity);
        int resumed = state.Evaluated.Count;
        var image = options.Validation.Shape;
        var costModels = state.CostModels;
        if (costModels is null || costModels.Count != 2 || costModels[0].BlockMs.Count != session.Blocks.Count)
        {
            var p1 = session.GetPlan(new Tensors.Shape(1, image.Channels, image.Height, image.Width));
            var pL = session.GetPlan(new Tensors.Shape(options.LargeBatch, image.Channels, image.Height, image.Width));
            costModels =
            [
                BlockCostModel.Calibrate(p1, options.Calibration with { Measurement = options.Calibration.Measurement ?? options.Measurement },
                    f => progress?.Invoke("calibrate batch 1", f)),
                BlockCostModel.Calibrate(pL, options.Calibration with { Measurement = options.Calibration.Measurement ?? options.Measurement },
                    f => progress?.Invoke($"calibrate batch {options.LargeBatch}", f)),
            ];
            state = state with { CostModels = costModels };
            if (options.StatePath is not null) state.Save(options.StatePath);
        }

        var segmented = SegmentedModel.TryCreate(options.Model, session.Blocks, sessionOptions);
        IAccuracyEvaluator inner = segmented is null ? new Evaluator(session, searchData) : new CachingEvaluator(segmented, searchData);
        var memo = new MemoizingEvaluator(inner, state.Evaluated);
        var saveState = state;
        memo.Evaluated = count =>
        {
            progress?.Invoke("configurations scored", count);
            if (options.StatePath is null) return;
            saveState = saveState with { Evaluated = new Dictionary<string, double>(memo.Known, StringComparer.Ordinal) };
            saveState.Save(options.StatePath);
        };
        var cost = costModels[0];
        var search = FrontSearch.Run(memo, m => cost.PredictMs(m), options.Search, progress);

        var validation = LabelledImages.From(options.Validation, standardization, options.ValidationImages > 0 ? options.ValidationImages : null);
        var test = options.Test is null ? null : LabelledImages.From(options.Test, standardization, options.TestImages > 0 ? options.TestImages : null);
        var (front, error) = FrontProfiler.Profile(session, options.ModelName, search.Front.Select(c => c.Mask),
            new ProfileOptions(validation, test, options.LargeBatch, options.Measurement, options.Calibration, options.Energy), progress);
        return new ExplorationResult(front, search, error, segmented is not null, resumed);
    }
}
