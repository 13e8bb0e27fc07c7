using System.Text.Json;
using Elide.Graph;
using Elide.Models;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Adaptive;

/// <summary>
/// Whether kept blocks scale their residual branch by the Stochastic-Depth survival probability p_l
/// (Huang et al. 2016: at test time H_l = ReLU(p_l·f_l(H_{l−1}) + H_{l−1})). Elide's trainer folds p_l into each
/// block's last BatchNorm and records the folded factor as <c>BranchScale</c> in the block map
/// (<see cref="CifarResNet.BlockMapKey"/>), so a trained model runs "scaled". When blocks are skipped at inference,
/// whether the kept ones should still scale is a design choice (PAPERS.md §1); <see cref="Unscaled"/> builds the
/// other variant so both can be explored and compared.
/// </summary>
public static class BranchScaling
{
    /// <summary>The branch scale recorded for each block output in the block map (blocks without one are absent).</summary>
    public static IReadOnlyDictionary<string, double> RecordedScales(ComputeGraph graph)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!graph.Metadata.TryGetValue(CifarResNet.BlockMapKey, out var json)) return result;
        try
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var e in doc.RootElement.EnumerateArray())
                if (e.TryGetProperty("Output", out var o) && e.TryGetProperty("BranchScale", out var s) && s.TryGetDouble(out double v))
                    result[o.GetString()!] = v;
        }
        catch (JsonException) { }
        return result;
    }

    /// <summary>
    /// A copy of <paramref name="graph"/> whose residual branches are not scaled: for every block with a recorded
    /// BranchScale s ≠ 1, the BatchNorm that ends the branch gets γ/s and β/s, so it computes f(x) instead of s·f(x)
    /// (BN(x) = γ·(x − μ)/σ + β is linear in (γ, β)). The block map records BranchScale 1 afterwards.
    /// </summary>
    /// <exception cref="GraphException">A block's branch does not end in a BatchNormalization with constant parameters.</exception>
    public static ComputeGraph Unscaled(ComputeGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var copy = graph.Clone();
        var scales = RecordedScales(copy);
        foreach (var block in ResidualBlockDetector.Detect(copy))
        {
            if (!scales.TryGetValue(block.Output, out double s) || s == 1.0) continue;
            var output = copy.Values[block.Output];
            var add = output.Producer is { Op: ActivationOp } relu ? relu.Input(0).Producer : output.Producer;
            if (add is not { Op: BinaryOp { Operation: Kernels.BinaryOperation.Add } })
                throw new GraphException($"block {block.Index} ({block.Output}) does not end in an Add; cannot unscale its branch");
            var branch = add.Inputs.First(v => v is not null && v.Name != block.Input)!;
            if (branch.Producer is not { Op: BatchNormOp } bn || bn.Inputs.Length < 3 || bn.Inputs[1] is not { IsConstant: true } gamma || bn.Inputs[2] is not { IsConstant: true } beta)
                throw new GraphException($"block {block.Index}'s branch ends in {branch.Producer?.Op.Name ?? "an input"}, not a BatchNormalization with constant parameters; cannot unscale it");
            var inputs = bn.Inputs.ToArray();
            inputs[1] = copy.AddConstant(copy.UniqueName(gamma.Name + "_unscaled"), Divide(gamma.Constant!, s));
            inputs[2] = copy.AddConstant(copy.UniqueName(beta.Name + "_unscaled"), Divide(beta.Constant!, s));
            bn.Inputs = inputs;
        }
        copy.RemoveUnused();
        if (copy.Metadata.TryGetValue(CifarResNet.BlockMapKey, out var map))
            copy.Metadata[CifarResNet.BlockMapKey] = System.Text.RegularExpressions.Regex.Replace(map, "\"BranchScale\":[-0-9.eE+]+", "\"BranchScale\":1");
        copy.Metadata["elide.branch_scaling"] = "none";
        return copy;
    }

    private static Tensor Divide(Tensor t, double s)
    {
        var r = new Tensor(t.Shape);
        for (int i = 0; i < r.Data.Length; i++) r.Data[i] = (float)(t.Data[i] / s);
        return r;
    }
}
