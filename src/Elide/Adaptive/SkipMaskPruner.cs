using Elide.Graph;

namespace Elide.Adaptive;

/// <summary>
/// Builds a standalone graph without the blocks a mask skips: every reader of a skipped block's output reads its
/// input instead, and the block's nodes disappear. This is what `elide export --config` writes for runtimes that
/// know nothing of Elide, and the reference that mask execution is tested against.
/// </summary>
public static class SkipMaskPruner
{
    /// <summary>A pruned copy of <paramref name="graph"/>.</summary>
    /// <exception cref="ArgumentException">The mask does not match the blocks, or skips a block that cannot be skipped.</exception>
    public static ComputeGraph Prune(ComputeGraph graph, IReadOnlyList<ResidualBlock> blocks, SkipMask mask)
    {
        if (mask.Count != blocks.Count)
            throw new ArgumentException($"skip configuration '{mask}' has {mask.Count} flags but the model has {blocks.Count} residual blocks", nameof(mask));
        var copy = graph.Clone();
        // Last block first, so a chain of skipped blocks collapses onto the first kept input.
        for (int b = blocks.Count - 1; b >= 0; b--)
        {
            if (mask.Runs(b)) continue;
            if (!blocks[b].Skippable)
                throw new ArgumentException($"skip configuration '{mask}' skips block {b}, which cannot be skipped (it changes shape: a downsampling block)", nameof(mask));
            var output = copy.Values[blocks[b].Output];
            var input = copy.Values[blocks[b].Input];
            foreach (var consumer in copy.Consumers(output).ToList())
                consumer.Inputs = consumer.Inputs.Select(v => v == output ? input : v).ToArray();
            copy.ReplaceOutput(output, input);
        }
        copy.RemoveUnused();
        copy.Metadata["elide.skip_configuration"] = mask.ToString();
        return copy;
    }
}
