using System.Text.Json;
using System.Text.Json.Serialization;

namespace Elide.Adaptive;

/// <summary>One operating point of a model: a skip configuration with its measured and predicted costs.</summary>
public sealed record OperatingPoint
{
    /// <summary>The skip mask as a string of '1'/'0', one per residual block.</summary>
    [JsonPropertyName("config")] public required string Config { get; init; }

    /// <summary>Top-1 accuracy on the validation split (0..1), used for selection.</summary>
    [JsonPropertyName("val_accuracy")] public double ValAccuracy { get; init; }

    /// <summary>Top-1 accuracy on the test split (0..1), for reporting only; NaN when not measured.</summary>
    [JsonPropertyName("test_accuracy")] public double? TestAccuracy { get; init; }

    /// <summary>Latency of one batch-1 inference in milliseconds.</summary>
    [JsonPropertyName("latency_ms_b1")] public double LatencyMsBatch1 { get; init; }

    /// <summary>Latency of one batch-64 inference in milliseconds.</summary>
    [JsonPropertyName("latency_ms_b64")] public double LatencyMsBatch64 { get; init; }

    /// <summary>Multiply–accumulates per image.</summary>
    [JsonPropertyName("macs")] public long Macs { get; init; }

    /// <summary>Modelled energy per image in millijoules (see docs/adaptive.md for the model).</summary>
    [JsonPropertyName("energy_mj")] public double EnergyMillijoules { get; init; }

    /// <summary>Batch-1 latency predicted from per-block costs (fixed + Σ kept blocks), in milliseconds; 0 if not predicted.</summary>
    [JsonPropertyName("predicted_ms_b1")] public double PredictedMsBatch1 { get; init; }

    /// <summary>Batch-64 latency predicted from per-block costs, in milliseconds; 0 if not predicted.</summary>
    [JsonPropertyName("predicted_ms_b64")] public double PredictedMsBatch64 { get; init; }

    /// <summary>Measured package energy per image at batch 1 (RAPL) in millijoules; null where RAPL is unavailable.</summary>
    [JsonPropertyName("measured_energy_mj")] public double? MeasuredEnergyMillijoules { get; init; }

    /// <summary>
    /// True when the point runs with the Stochastic-Depth branch scale divided out of its kept blocks
    /// (<see cref="BranchScaling.Unscaled"/>); its accuracies were measured that way. Absent (false) in fronts of one
    /// variant; set by <see cref="ParetoFront.Merge"/> on the points taken from an unscaled front.
    /// </summary>
    [JsonPropertyName("unscaled")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Unscaled { get; init; }

    /// <summary>The parsed mask.</summary>
    [JsonIgnore] public SkipMask Mask => SkipMask.Parse(Config);

    /// <summary>The mask, with ":unscaled" appended for an unscaled point (labels and logs).</summary>
    [JsonIgnore] public string Label => LabelOf(Config, Unscaled);

    /// <summary>What a label appends to the mask of an unscaled point.</summary>
    public const string UnscaledLabelSuffix = ":unscaled";

    /// <summary>The label of a configuration: the mask, with ":unscaled" appended when it runs unscaled.</summary>
    public static string LabelOf(string config, bool unscaled) => unscaled ? config + UnscaledLabelSuffix : config;

    /// <summary>The inverse of <see cref="LabelOf"/>: "MASK" (scaled) or "MASK:unscaled".</summary>
    /// <exception cref="ArgumentException">A suffix other than ":unscaled".</exception>
    public static (string Config, bool Unscaled) ParseLabel(string label)
    {
        int colon = label.IndexOf(':');
        if (colon < 0) return (label, false);
        if (label[colon..] != UnscaledLabelSuffix)
            throw new ArgumentException($"'{label}' has the variant suffix '{label[colon..]}'; the only one is '{UnscaledLabelSuffix}' (kept blocks without the Stochastic-Depth branch scale)");
        return (label[..colon], true);
    }
}

/// <summary>The near-Pareto-optimal operating points of one model (the `--report` JSON format of `elide explore`).</summary>
public sealed record ParetoFront
{
    /// <summary>Model name (file name without extension).</summary>
    [JsonPropertyName("model")] public string Model { get; init; } = "";

    /// <summary>Number of residual blocks (mask length).</summary>
    [JsonPropertyName("blocks")] public int Blocks { get; init; }

    /// <summary>The large batch the `_b64` fields were measured at (64 unless a quick run chose smaller).</summary>
    [JsonPropertyName("large_batch")] public int LargeBatch { get; init; } = 64;

    /// <summary>The energy model behind <see cref="OperatingPoint.EnergyMillijoules"/>.</summary>
    [JsonPropertyName("energy_model")] public string EnergyModel { get; init; } = "";

    /// <summary>"rapl" when package energy was measured, "unavailable" otherwise.</summary>
    [JsonPropertyName("measured_energy")] public string MeasuredEnergy { get; init; } = "unavailable";

    /// <summary>Per-block cost models the predictions come from (batch 1 and the large batch), if calibrated.</summary>
    [JsonPropertyName("cost_models")] public IReadOnlyList<BlockCostModel> CostModels { get; init; } = [];

    /// <summary>Points, sorted by increasing batch-1 latency (by MACs in a <see cref="Merge"/>d front).</summary>
    [JsonPropertyName("front")] public IReadOnlyList<OperatingPoint> Front { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The point that runs every block (the scaled one when a merged front has both), or null when the front has none.</summary>
    [JsonIgnore] public OperatingPoint? AllBlocks => Front.Where(p => !p.Config.Contains('0')).OrderBy(p => p.Unscaled).FirstOrDefault();

    /// <summary>Suffix `elide explore --unscaled` gives the model name of a front explored with unscaled branches.</summary>
    public const string UnscaledModelSuffix = ".unscaled";

    /// <summary>True when every point was explored with unscaled branches (the front of `elide explore --unscaled`).</summary>
    [JsonIgnore] public bool IsUnscaled => Model.EndsWith(UnscaledModelSuffix, StringComparison.Ordinal);

    /// <summary>True when some points are scaled and others unscaled (a <see cref="Merge"/>d front).</summary>
    [JsonIgnore] public bool IsMixed => HasUnscaledPoints && Front.Any(p => !p.Unscaled);

    /// <summary>True when some point is marked <see cref="OperatingPoint.Unscaled"/> (a merged front): those points
    /// run on the model's unscaled variant, the others on the model as loaded.</summary>
    [JsonIgnore] public bool HasUnscaledPoints => Front.Any(p => p.Unscaled);

    /// <summary>
    /// One front over both branch-scaling variants of one model: the points of <paramref name="scaled"/> and those
    /// of <paramref name="unscaled"/> (explored with `--unscaled`, marked <see cref="OperatingPoint.Unscaled"/>), of
    /// which only the Pareto-optimal ones in (validation accuracy ↑, MACs ↓) are kept, sorted by MACs. The scaled
    /// all-blocks point is always kept: it is the reference the accuracy cost is measured from. Work is compared in
    /// MACs because both variants run the same operations for a mask while the two fronts' latencies were timed in
    /// different runs; the cost models and energy model are the scaled front's.
    /// </summary>
    /// <exception cref="ArgumentException">The fronts are of different models or block counts, or not one of each variant.</exception>
    public static ParetoFront Merge(ParetoFront scaled, ParetoFront unscaled)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        ArgumentNullException.ThrowIfNull(unscaled);
        if (scaled.IsUnscaled || scaled.HasUnscaledPoints)
            throw new ArgumentException($"the first front ('{scaled.Model}') must be the scaled one (explored without --unscaled)");
        if (!unscaled.IsUnscaled)
            throw new ArgumentException($"the second front ('{unscaled.Model}') must come from `elide explore --unscaled` (its model name ends in '{UnscaledModelSuffix}')");
        string baseName = unscaled.Model[..^UnscaledModelSuffix.Length];
        if (baseName != scaled.Model)
            throw new ArgumentException($"the fronts are of different models: '{scaled.Model}' and '{unscaled.Model}'");
        if (scaled.Blocks != unscaled.Blocks)
            throw new ArgumentException($"the fronts have {scaled.Blocks} and {unscaled.Blocks} blocks");
        var candidates = scaled.Front.Concat(unscaled.Front.Select(p => p with { Unscaled = true })).ToList();
        var reference = scaled.AllBlocks;
        var kept = candidates
            .Where(p => p == reference || !candidates.Any(q => Dominates(q, p)))
            .OrderBy(p => p.Macs).ThenByDescending(p => p.ValAccuracy)
            .ToList();
        return scaled with { Front = kept };
    }

    /// <summary>q is at least as accurate as p with at most its work, and strictly better in one (ties broken towards scaled points).</summary>
    private static bool Dominates(OperatingPoint q, OperatingPoint p)
    {
        if (ReferenceEquals(q, p)) return false;
        if (q.ValAccuracy < p.ValAccuracy || q.Macs > p.Macs) return false;
        if (q.ValAccuracy > p.ValAccuracy || q.Macs < p.Macs) return true;
        return !q.Unscaled && p.Unscaled;
    }

    /// <summary>True when every point has a test accuracy: reports then use it, and validation accuracy otherwise.</summary>
    [JsonIgnore] public bool ReportsTestAccuracy => Front.All(p => p.TestAccuracy is not null);

    /// <summary>The accuracy reports compare points by (<see cref="ReportsTestAccuracy"/>).</summary>
    public double ReportedAccuracy(OperatingPoint point) => Accuracy(point, ReportsTestAccuracy);

    private static double Accuracy(OperatingPoint point, bool test) => test ? point.TestAccuracy!.Value : point.ValAccuracy;

    /// <summary>
    /// The fastest point (batch-1 latency) whose <see cref="ReportedAccuracy"/> is at most <paramref name="points"/>
    /// percentage points below the all-blocks point's, or null when the front has no all-blocks point. The
    /// all-blocks point itself qualifies, so the answer is never slower than it.
    /// </summary>
    public OperatingPoint? FastestWithin(double points)
    {
        if (AllBlocks is not { } all) return null;
        bool test = ReportsTestAccuracy;
        double reference = Accuracy(all, test);
        return Front.Where(p => reference - Accuracy(p, test) <= points / 100 + 1e-12).MinBy(p => p.LatencyMsBatch1);
    }

    /// <summary>Serializes to the report JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses the report JSON.</summary>
    /// <exception cref="FormatException">Malformed JSON, an empty front, or masks of different lengths.</exception>
    public static ParetoFront FromJson(string json)
    {
        ParetoFront? front;
        try { front = JsonSerializer.Deserialize<ParetoFront>(json, Json); }
        catch (JsonException e) { throw new FormatException($"Pareto front JSON is malformed: {e.Message}", e); }
        if (front is null || front.Front.Count == 0) throw new FormatException("Pareto front JSON has no points");
        foreach (var p in front.Front)
        {
            var mask = SkipMask.Parse(p.Config);
            if (mask.Count != front.Blocks) throw new FormatException($"configuration '{p.Config}' has {mask.Count} flags but the front declares {front.Blocks} blocks");
        }
        return front;
    }
}
