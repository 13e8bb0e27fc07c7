using Elide.Adaptive;

namespace Elide.Server.Adaptive;

/// <summary>One configuration the server may run: a rung of the <see cref="OperatingLadder"/>.</summary>
/// <param name="Level">Rung index: 0 is the most accurate (deepest), higher levels are faster.</param>
/// <param name="Mask">The skip mask.</param>
/// <param name="Accuracy">Validation accuracy (0..1) from the front, or null when unknown (default ladder).</param>
/// <param name="TestAccuracy">Test accuracy from the front, for reports only.</param>
/// <param name="MultiplyAccumulates">MACs per image with this mask, from the plan's per-step counts.</param>
/// <param name="Unscaled">True when the point runs the model's unscaled variant (Stochastic-Depth branch scale divided
/// out of kept blocks, <see cref="BranchScaling.Unscaled"/>), as a merged front says; false for the model as loaded.</param>
public sealed record ServingPoint(int Level, SkipMask Mask, double? Accuracy, double? TestAccuracy, long MultiplyAccumulates, bool Unscaled = false)
{
    /// <summary>The mask string ('1' run, '0' skip).</summary>
    public string Config { get; } = Mask.ToString();

    /// <summary>The mask, with ":unscaled" appended for an unscaled point (metric labels, logs).</summary>
    public string Label => OperatingPoint.LabelOf(Config, Unscaled);
}
