using Elide.Planning;
using Elide.Runtime;

namespace Elide.Adaptive;

/// <summary>
/// The work one skip configuration does per image on one plan: multiply–accumulates and bytes moved, summed over
/// the steps the configuration runs (steps of skipped blocks do not run, so they cost nothing).
/// </summary>
/// <remarks>
/// Bytes moved per step = 4 · (elements read + elements written), with weights counted once per batch and
/// activations once per image; the per-image figure divides by the batch. This is the traffic term of
/// <see cref="EnergyModel"/>; it ignores cache reuse inside a kernel, which is the documented simplification.
/// </remarks>
public sealed class ConfigurationWork
{
    private readonly long[] stepMacs;
    private readonly long[] stepBytes;
    private readonly int[] stepBlock;

    private ConfigurationWork(long[] stepMacs, long[] stepBytes, int[] stepBlock, int batch, int blockCount)
    {
        this.stepMacs = stepMacs;
        this.stepBytes = stepBytes;
        this.stepBlock = stepBlock;
        Batch = batch;
        BlockCount = blockCount;
    }

    /// <summary>Images per run of the plan the figures were taken from.</summary>
    public int Batch { get; }

    /// <summary>Number of residual blocks (mask length).</summary>
    public int BlockCount { get; }

    /// <summary>Counts the work of every step of <paramref name="plan"/>, which must come from <paramref name="session"/>.</summary>
    /// <exception cref="ArgumentException">The plan's block count differs from the session's.</exception>
    public static ConfigurationWork Of(InferenceSession session, ExecutionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.BlockCount != session.Blocks.Count)
            throw new ArgumentException($"the plan has {plan.BlockCount} blocks but the session {session.Blocks.Count}", nameof(plan));
        var shapes = session.Graph.InferShapes(plan.InputShapes);
        var order = plan.NodeOrder;
        var macs = new long[order.Count];
        var bytes = new long[order.Count];
        for (int s = 0; s < order.Count; s++)
        {
            macs[s] = plan.Steps[s].MultiplyAccumulates;
            long elements = 0;
            foreach (var v in order[s].Inputs)
                if (v is not null) elements += v.IsConstant ? v.Constant!.Shape.ElementCount : shapes[v].ElementCount;
            foreach (var v in order[s].Outputs) elements += shapes[v].ElementCount;
            bytes[s] = elements * sizeof(float);
        }
        var block = Enumerable.Repeat(-1, order.Count).ToArray();
        for (int b = 0; b < plan.BlockCount; b++)
            foreach (int s in plan.StepsOfBlock(b)) block[s] = b;
        return new ConfigurationWork(macs, bytes, block, plan.InputShapes[0][0], plan.BlockCount);
    }

    /// <summary>Multiply–accumulates per image when <paramref name="mask"/> runs (null: all blocks).</summary>
    public double MacsPerImage(SkipMask? mask) => Sum(stepMacs, mask) / Batch;

    /// <summary>Bytes moved per image when <paramref name="mask"/> runs (null: all blocks).</summary>
    public double BytesPerImage(SkipMask? mask) => Sum(stepBytes, mask) / Batch;

    /// <summary>Modelled energy per image in millijoules under <paramref name="model"/>.</summary>
    public double EnergyPerImageMillijoules(SkipMask? mask, EnergyModel model) =>
        model.Millijoules(MacsPerImage(mask), BytesPerImage(mask));

    private double Sum(long[] perStep, SkipMask? mask)
    {
        if (mask is not null && mask.Count != BlockCount)
            throw new ArgumentException($"skip configuration '{mask}' has {mask.Count} flags but the model has {BlockCount} residual blocks", nameof(mask));
        double total = 0;
        for (int s = 0; s < perStep.Length; s++)
        {
            int b = stepBlock[s];
            if (b >= 0 && mask is not null && !mask.Runs(b)) continue;
            total += perStep[s];
        }
        return total;
    }
}
