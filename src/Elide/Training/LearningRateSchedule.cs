namespace Elide.Training;

/// <summary>
/// A learning rate as a function of the zero-based optimizer step, with an optional linear warm-up (Goyal et al. 2017,
/// §2.2): during the first W steps the rate rises linearly, rate(t) = base·(t + 1)/W, then the schedule proper starts
/// counting at t = W. Schedules are pure functions of the step, so a resumed run gets identical rates.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Validates the shared settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The base rate is negative or not finite, or the warm-up is negative.</exception>
    protected LearningRateSchedule(double baseRate, int warmupSteps)
    {
        if (!(baseRate >= 0) || double.IsInfinity(baseRate)) throw new ArgumentOutOfRangeException(nameof(baseRate), baseRate, "base rate must be finite and ≥ 0");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        BaseRate = baseRate;
        WarmupSteps = warmupSteps;
    }

    /// <summary>The peak rate reached after warm-up.</summary>
    public double BaseRate { get; }

    /// <summary>W, the number of warm-up steps (0: none).</summary>
    public int WarmupSteps { get; }

    /// <summary>The learning rate at zero-based step <paramref name="step"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The step is negative.</exception>
    public double RateAt(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return step < WarmupSteps ? BaseRate * (step + 1) / WarmupSteps : RateAfterWarmup(step - WarmupSteps);
    }

    /// <summary>The rate <paramref name="step"/> steps after the warm-up ended.</summary>
    protected abstract double RateAfterWarmup(long step);
}

/// <summary>
/// Cosine annealing without restarts (Loshchilov &amp; Hutter 2017, eq. 5): over the T = total − W steps after warm-up,
/// rate(t) = final + (base − final)·(1 + cos(π·t/T))/2, and <c>final</c> from then on.
/// </summary>
public sealed class CosineSchedule : LearningRateSchedule
{
    /// <summary>Cosine from <paramref name="baseRate"/> down to <paramref name="finalRate"/> at step <paramref name="totalSteps"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">totalSteps ≤ warm-up steps, or the final rate is negative.</exception>
    public CosineSchedule(double baseRate, int totalSteps, int warmupSteps = 0, double finalRate = 0) : base(baseRate, warmupSteps)
    {
        if (totalSteps <= warmupSteps) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"total steps must exceed the {warmupSteps} warm-up steps");
        if (!(finalRate >= 0)) throw new ArgumentOutOfRangeException(nameof(finalRate), finalRate, "final rate must be ≥ 0");
        TotalSteps = totalSteps;
        FinalRate = finalRate;
    }

    /// <summary>Step at which the rate reaches <see cref="FinalRate"/>.</summary>
    public int TotalSteps { get; }

    /// <summary>The rate at and after <see cref="TotalSteps"/>.</summary>
    public double FinalRate { get; }

    /// <inheritdoc/>
    protected override double RateAfterWarmup(long step)
    {
        double t = Math.Min(1.0, step / (double)(TotalSteps - WarmupSteps));
        return FinalRate + (BaseRate - FinalRate) * (1 + Math.Cos(Math.PI * t)) / 2;
    }
}

/// <summary>
/// Step decay (He et al. 2016, §4.2: ×0.1 at 32k and 48k iterations): rate(t) = base·γ^k with k the number of
/// milestones ≤ t, counting steps after warm-up.
/// </summary>
public sealed class StepSchedule : LearningRateSchedule
{
    private readonly int[] milestones;

    /// <summary>Multiplies the rate by <paramref name="gamma"/> at each of <paramref name="milestones"/> (steps after warm-up).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Milestones are negative or not increasing, or γ is negative.</exception>
    public StepSchedule(double baseRate, IEnumerable<int> milestones, double gamma = 0.1, int warmupSteps = 0) : base(baseRate, warmupSteps)
    {
        this.milestones = milestones.ToArray();
        for (int i = 0; i < this.milestones.Length; i++)
            if (this.milestones[i] < 0 || (i > 0 && this.milestones[i] <= this.milestones[i - 1]))
                throw new ArgumentOutOfRangeException(nameof(milestones), string.Join(",", this.milestones), "milestones must be non-negative and increasing");
        if (!(gamma >= 0)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be ≥ 0");
        Gamma = gamma;
    }

    /// <summary>Steps (after warm-up) at which the rate is multiplied by <see cref="Gamma"/>.</summary>
    public IReadOnlyList<int> Milestones => milestones;

    /// <summary>The decay factor per milestone.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double RateAfterWarmup(long step) => BaseRate * Math.Pow(Gamma, milestones.Count(m => m <= step));
}
