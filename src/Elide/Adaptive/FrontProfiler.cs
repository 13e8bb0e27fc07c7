using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Adaptive;

/// <summary>What <see cref="FrontProfiler"/> measures and on what.</summary>
/// <param name="Validation">Validation images: the accuracy used for selection.</param>
/// <param name="Test">Test images, for reporting only (null: not measured).</param>
/// <param name="LargeBatch">The batch of the `_b64` figures (64 by default).</param>
/// <param name="Measurement">How latencies are timed.</param>
/// <param name="Calibration">How the per-block cost models are calibrated.</param>
/// <param name="Energy">The energy model.</param>
/// <param name="CostModels">Previously calibrated cost models (batch 1, large batch) to predict with; null calibrates
/// afresh, interleaved with the front's own measurements.</param>
/// <param name="RaplSeconds">Time spent measuring each configuration's package energy where RAPL is readable.</param>
public sealed record ProfileOptions(
    LabelledImages Validation,
    LabelledImages? Test = null,
    int LargeBatch = 64,
    LatencyMeasurementOptions? Measurement = null,
    CostCalibrationOptions? Calibration = null,
    EnergyModel? Energy = null,
    IReadOnlyList<BlockCostModel>? CostModels = null,
    double RaplSeconds = 0.5);

/// <summary>How well per-block costs predicted the measured latencies.</summary>
/// <param name="MaxRelativeErrorBatch1">max |predicted − measured| / measured over the front at batch 1.</param>
/// <param name="MeanRelativeErrorBatch1">Mean of the same.</param>
/// <param name="MaxRelativeErrorLargeBatch">Max at the large batch.</param>
/// <param name="MeanRelativeErrorLargeBatch">Mean at the large batch.</param>
public sealed record PredictionError(double MaxRelativeErrorBatch1, double MeanRelativeErrorBatch1, double MaxRelativeErrorLargeBatch, double MeanRelativeErrorLargeBatch);

/// <summary>
/// Turns a set of configurations into operating points: accuracy on the full validation split (and test split for
/// the report), measured latency at batch 1 and the large batch, latency predicted by calibrated per-block costs,
/// MACs, modelled energy, and package energy from RAPL where the machine exposes it.
/// </summary>
public static class FrontProfiler
{
    /// <summary>Profiles <paramref name="masks"/> (the all-blocks configuration is always added as the reference).</summary>
    /// <param name="session">The model.</param>
    /// <param name="modelName">Name recorded in the front.</param>
    /// <param name="masks">Configurations to profile.</param>
    /// <param name="options">Data and measurement settings.</param>
    /// <param name="progress">(stage, fraction done).</param>
    /// <returns>The front (points that are dominated on full validation accuracy and measured batch-1 latency are
    /// dropped, except the all-blocks reference) and the prediction error.</returns>
    public static (ParetoFront Front, PredictionError Error) Profile(InferenceSession session, string modelName, IEnumerable<SkipMask> masks,
        ProfileOptions options, Action<string, double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(options);
        var image = options.Validation.Shape;
        Shape ShapeOf(int batch) => new(batch, image.Channels, image.Height, image.Width);
        var plan1 = session.GetPlan(ShapeOf(1));
        var planLarge = session.GetPlan(ShapeOf(options.LargeBatch));
        var all = SkipMask.All(session.Blocks.Count);
        var list = masks.Prepend(all).DistinctBy(m => m.ToString()).ToList();

        var valEvaluator = new Evaluator(session, options.Validation);
        var testEvaluator = options.Test is null ? null : new Evaluator(session, options.Test);
        var val = new double[list.Count];
        var test = new double?[list.Count];
        for (int i = 0; i < list.Count; i++)
        {
            val[i] = valEvaluator.Evaluate(list[i]).Accuracy;
            test[i] = testEvaluator?.Evaluate(list[i]).Accuracy;
            progress?.Invoke("accuracy", (i + 1.0) / list.Count);
        }

        // Time the front together with the calibration design, interleaved in the same rounds, so both see the same
        // machine conditions; the costs are fitted on the design alone, so the front is a held-out check of the prediction.
        var costs = options.CostModels;
        bool calibrate = costs is null || costs.Count != 2 || costs[0].BlockMs.Count != all.Count;
        var design1 = calibrate ? BlockCostModel.DesignMasks(plan1, options.Calibration) : [];
        var designL = calibrate ? BlockCostModel.DesignMasks(planLarge, options.Calibration) : [];
        var times1 = MaskedLatency.MedianMilliseconds(plan1, list.Concat(design1).Cast<SkipMask?>().ToList(), options.Measurement, f => progress?.Invoke("latency batch 1", f));
        var timesL = MaskedLatency.MedianMilliseconds(planLarge, list.Concat(designL).Cast<SkipMask?>().ToList(), options.Measurement, f => progress?.Invoke($"latency batch {options.LargeBatch}", f));
        var lat1 = times1[..list.Count];
        var latL = timesL[..list.Count];
        IReadOnlyList<BlockCostModel> models = calibrate
            ? [BlockCostModel.Fit(plan1, design1, times1[list.Count..]), BlockCostModel.Fit(planLarge, designL, timesL[list.Count..])]
            : costs!;

        var energy = options.Energy ?? EnergyModel.Default;
        var work = ConfigurationWork.Of(session, plan1);
        var rapl = RaplEnergyMeter.TryOpen();
        var points = new List<OperatingPoint>();
        for (int i = 0; i < list.Count; i++)
        {
            points.Add(new OperatingPoint
            {
                Config = list[i].ToString(),
                ValAccuracy = val[i],
                TestAccuracy = test[i],
                LatencyMsBatch1 = lat1[i],
                LatencyMsBatch64 = latL[i],
                PredictedMsBatch1 = models[0].PredictMs(list[i]),
                PredictedMsBatch64 = models[1].PredictMs(list[i]),
                Macs = (long)Math.Round(work.MacsPerImage(list[i])),
                EnergyMillijoules = work.EnergyPerImageMillijoules(list[i], energy),
                MeasuredEnergyMillijoules = rapl is null ? null : MeasureEnergy(rapl, plan1, list[i], options.RaplSeconds),
            });
            if (rapl is not null) progress?.Invoke("package energy", (i + 1.0) / list.Count);
        }

        // Keep what is non-dominated on what was measured (full validation accuracy, batch-1 latency), plus the reference.
        var kept = ParetoMath.NonDominated(points.Select((p, i) => new Candidate(list[i], p.ValAccuracy, p.LatencyMsBatch1)))
            .Select(c => c.Mask.ToString()).Append(all.ToString()).ToHashSet(StringComparer.Ordinal);
        var front = points.Where(p => kept.Contains(p.Config)).OrderBy(p => p.LatencyMsBatch1).ToList();

        var e1 = front.Select(p => Math.Abs(p.PredictedMsBatch1 - p.LatencyMsBatch1) / p.LatencyMsBatch1).ToArray();
        var eL = front.Select(p => Math.Abs(p.PredictedMsBatch64 - p.LatencyMsBatch64) / p.LatencyMsBatch64).ToArray();
        var result = new ParetoFront
        {
            Model = modelName,
            Blocks = all.Count,
            LargeBatch = options.LargeBatch,
            EnergyModel = energy.ToString(),
            MeasuredEnergy = rapl is null ? "unavailable" : "rapl",
            CostModels = models,
            Front = front,
        };
        return (result, new PredictionError(e1.Max(), e1.Average(), eL.Max(), eL.Average()));
    }

    /// <summary>Package energy per image (mJ) of repeated batch-1 runs of <paramref name="mask"/> for about <paramref name="seconds"/>.</summary>
    private static double MeasureEnergy(RaplEnergyMeter meter, Planning.ExecutionPlan plan, SkipMask mask, double seconds)
    {
        var input = Tensor.Random(plan.InputShapes[0], 99, 0f, 1f).Data;
        var output = new float[plan.OutputShapes[0].ElementCount];
        plan.Run(input, output, mask);
        int runs = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        double joules = meter.Measure(() =>
        {
            do { plan.Run(input, output, mask); runs++; } while (watch.Elapsed.TotalSeconds < seconds);
        });
        return joules * 1e3 / (runs * plan.InputShapes[0][0]);
    }
}
