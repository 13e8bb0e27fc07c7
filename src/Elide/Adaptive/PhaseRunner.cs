using System.Diagnostics;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Adaptive;

/// <summary>One period of constant conditions in an adaptive run.</summary>
/// <param name="Name">Label printed in the phase table.</param>
/// <param name="Budget">The conditions.</param>
/// <param name="Inferences">Inferences (of the run's batch) to execute.</param>
public sealed record Phase(string Name, Budget Budget, int Inferences);

/// <summary>What happened in one phase.</summary>
/// <param name="Phase">The phase.</param>
/// <param name="Decision">The policy's choice.</param>
/// <param name="DecisionMicroseconds">Time the policy took to choose (scan of the front), the mean of <see cref="PhaseRunner.DecisionRepetitions"/> decisions.</param>
/// <param name="Images">Images classified.</param>
/// <param name="Correct">Correctly classified images (null without labelled data).</param>
/// <param name="MedianMs">Median measured latency of one inference.</param>
/// <param name="P90Ms">90th percentile.</param>
/// <param name="DeadlineMisses">Inferences slower than the phase's latency bound (0 without one).</param>
/// <param name="ModelledEnergyMillijoules">Modelled energy of the whole phase.</param>
/// <param name="MeasuredEnergyMillijoules">Package energy of the whole phase from RAPL, or null where unavailable.</param>
/// <param name="WallSeconds">Wall-clock time of the phase.</param>
public sealed record PhaseResult(Phase Phase, PolicyDecision Decision, double DecisionMicroseconds, int Images, int? Correct,
    double MedianMs, double P90Ms, int DeadlineMisses, double ModelledEnergyMillijoules, double? MeasuredEnergyMillijoules, double WallSeconds)
{
    /// <summary>Measured accuracy, or null without labels.</summary>
    public double? Accuracy => Correct is { } c && Images > 0 ? (double)c / Images : null;
}

/// <summary>
/// Runs a model through phases of changing conditions: at each phase start the policy picks a configuration from
/// the front, and the phase's inferences run it on the same plan (one model in memory; switching rebinds a few
/// buffer addresses). A merged front (`elide merge-fronts`) marks some points unscaled: those run on a second plan,
/// of the model with its branch scales divided out (<see cref="BranchScaling.Unscaled"/>), planned before the first
/// phase so switching variants costs no more than switching masks. Measures accuracy, latency per inference,
/// deadline misses and energy per phase.
/// </summary>
public static class PhaseRunner
{
    /// <summary>Decisions timed per phase for <see cref="PhaseResult.DecisionMicroseconds"/>.</summary>
    public const int DecisionRepetitions = 1000;

    /// <summary>Runs <paramref name="phases"/> in order.</summary>
    /// <param name="session">The model.</param>
    /// <param name="policy">The policy over the model's front.</param>
    /// <param name="phases">The schedule.</param>
    /// <param name="data">Labelled images, cycled through (null: seeded random inputs, accuracy not measured).</param>
    /// <param name="imageShape">Shape of one image (C, H, W), used when <paramref name="data"/> is null.</param>
    /// <param name="batch">Images per inference.</param>
    /// <param name="energy">Energy model (null: default).</param>
    /// <param name="progress">(phase index, fraction of the phase done).</param>
    /// <param name="unscaledSession">The model's unscaled variant, which runs the front's points marked
    /// <see cref="OperatingPoint.Unscaled"/>; required when the front has such points, ignored otherwise.</param>
    /// <exception cref="ArgumentException">The front does not fit the model, it has unscaled points and no unscaled
    /// session was given, or the data holds fewer images than a batch.</exception>
    public static IReadOnlyList<PhaseResult> Run(InferenceSession session, AdaptivePolicy policy, IReadOnlyList<Phase> phases,
        LabelledImages? data, Data.ImageShape imageShape, int batch = 1, EnergyModel? energy = null, Action<int, double>? progress = null,
        InferenceSession? unscaledSession = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (policy.Points[0].Config.Length != session.Blocks.Count)
            throw new ArgumentException($"the front is for {policy.Points[0].Config.Length} residual blocks but the model has {session.Blocks.Count}");
        bool mixed = policy.Points.Any(p => p.Unscaled);
        if (mixed && unscaledSession is null)
            throw new ArgumentException("the front has unscaled points (a merged front) but no unscaled variant of the model was given to run them");
        if (mixed && unscaledSession!.Blocks.Count != session.Blocks.Count)
            throw new ArgumentException($"the unscaled variant has {unscaledSession.Blocks.Count} residual blocks but the model has {session.Blocks.Count}");
        if (data is not null && data.Count < batch) throw new ArgumentException($"{data.Count} images cannot fill a batch of {batch}");
        var shape = data?.Shape ?? imageShape;
        var plan = session.GetPlan(new Shape(batch, shape.Channels, shape.Height, shape.Width));
        var unscaledPlan = mixed ? unscaledSession!.GetPlan(plan.InputShapes[0]) : null;
        var work = ConfigurationWork.Of(session, plan);
        energy ??= EnergyModel.Default;
        var rapl = RaplEnergyMeter.TryOpen();
        var random = data is null ? Tensor.Random(plan.InputShapes[0], 4242, 0f, 1f).Data : null;
        int size = shape.Size, classes = (int)(plan.OutputShapes[0].ElementCount / batch);
        var logits = new float[batch * classes];
        int cursor = 0;

        var results = new List<PhaseResult>();
        if (phases.Count > 0) policy.Choose(phases[0].Budget); // JIT the policy before timing its decisions
        for (int ph = 0; ph < phases.Count; ph++)
        {
            var phase = phases[ph];
            // One decision takes a fraction of a microsecond, below what a single timestamp pair resolves reliably
            // (and one preemption would be all it measured): time a run of repeated decisions and report the mean.
            PolicyDecision decision = null!;
            long d0 = Stopwatch.GetTimestamp();
            for (int r = 0; r < DecisionRepetitions; r++) decision = policy.Choose(phase.Budget);
            double decisionUs = Stopwatch.GetElapsedTime(d0).TotalMicroseconds / DecisionRepetitions;
            var mask = decision.Mask;
            var running = decision.Point.Unscaled ? unscaledPlan! : plan;
            var times = new double[phase.Inferences];
            int correct = 0, misses = 0;
            var before = rapl?.Read();
            var wall = Stopwatch.StartNew();
            for (int k = 0; k < phase.Inferences; k++)
            {
                ReadOnlySpan<float> input;
                int start = 0;
                if (data is null) input = random;
                else
                {
                    if (cursor + batch > data.Count) cursor = 0;
                    start = cursor;
                    input = data.Pixels.AsSpan(start * size, batch * size);
                    cursor += batch;
                }
                long t0 = Stopwatch.GetTimestamp();
                running.Run(input, logits, mask);
                times[k] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (phase.Budget.LatencyMs is { } bound && times[k] > bound) misses++;
                if (data is not null) correct += Evaluator.CountCorrect(logits, classes, data.Labels.AsSpan(start, batch));
                progress?.Invoke(ph, (k + 1.0) / phase.Inferences);
            }
            wall.Stop();
            double? measured = rapl is null ? null : rapl.JoulesBetween(before!, rapl.Read()) * 1e3;
            int images = phase.Inferences * batch;
            var stats = phase.Inferences > 0 ? LatencyStats.From(batch, session.Options.Threads, times) : null;
            results.Add(new PhaseResult(phase, decision, decisionUs, images, data is null ? null : correct,
                stats?.MedianMs ?? 0, stats?.P90Ms ?? 0, misses, work.EnergyPerImageMillijoules(mask, energy) * images, measured, wall.Elapsed.TotalSeconds));
        }
        return results;
    }
}
