using System.CommandLine;
using Elide.Adaptive;

namespace Elide.Cli;

/// <summary>
/// `--unscaled`, shared by the commands that load a model: divide the Stochastic-Depth branch scale p_l out of kept
/// blocks (<see cref="BranchScaling.Unscaled"/>). Better than the scaled default once several blocks are skipped
/// (docs/adaptive.md), so a configuration found by `elide explore --unscaled` can be evaluated, timed, run and exported.
/// </summary>
internal static class UnscaledOption
{
    /// <summary>A new `--unscaled` option.</summary>
    public static Option<bool> Create() => new("--unscaled")
    {
        Description = "Divide the Stochastic-Depth branch scale p_l (BranchScale in the block map) out of kept blocks: the 'no scale' variant, better when several blocks are skipped (see `elide explore --unscaled`).",
    };

    /// <summary>Loads <paramref name="spec"/>, unscaled when asked.</summary>
    public static Graph.ComputeGraph Load(string spec, bool unscaled) =>
        unscaled ? BranchScaling.Unscaled(ModelSource.Load(spec)) : ModelSource.Load(spec);

    /// <summary>Suffix `elide explore --unscaled` gives the front's model name.</summary>
    public const string FrontSuffix = Adaptive.ParetoFront.UnscaledModelSuffix;
}
