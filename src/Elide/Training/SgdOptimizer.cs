namespace Elide.Training;

/// <summary>Settings of <see cref="SgdOptimizer"/>.</summary>
/// <param name="Momentum">μ (0 disables momentum).</param>
/// <param name="Nesterov">Use Nesterov momentum (Sutskever et al. 2013, in PyTorch's formulation).</param>
/// <param name="WeightDecay">λ, applied as an L2 term to parameters with <see cref="Parameter.WeightDecay"/> only.</param>
public sealed record SgdOptions(float Momentum = 0.9f, bool Nesterov = false, float WeightDecay = 5e-4f);

/// <summary>
/// Stochastic gradient descent with momentum, with PyTorch's update rule (torch.optim.SGD, dampening 0) per element:
/// g = ∇w + λ·w (λ only for decayed parameters); v ← μ·v + g (v = g on the first update); d = g + μ·v (Nesterov) or v;
/// w ← w − lr·d.
/// </summary>
/// <remarks>
/// A parameter without a gradient in a step (its block was dropped by Stochastic Depth) is left untouched: no decay and
/// no momentum update, as PyTorch does for parameters whose gradient is None.
/// </remarks>
public sealed class SgdOptimizer
{
    private readonly Parameter[] parameters;
    private readonly float[]?[] velocity;

    /// <summary>Optimizes <paramref name="parameters"/> with <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">μ or λ is negative, or Nesterov is requested without momentum.</exception>
    public SgdOptimizer(IEnumerable<Parameter> parameters, SgdOptions? options = null)
    {
        Options = options ?? new SgdOptions();
        if (!(Options.Momentum >= 0f)) throw new ArgumentOutOfRangeException(nameof(options), Options.Momentum, "momentum must be ≥ 0");
        if (!(Options.WeightDecay >= 0f)) throw new ArgumentOutOfRangeException(nameof(options), Options.WeightDecay, "weight decay must be ≥ 0");
        if (Options.Nesterov && Options.Momentum == 0f) throw new ArgumentOutOfRangeException(nameof(options), "Nesterov momentum needs momentum > 0");
        this.parameters = parameters.ToArray();
        velocity = new float[]?[this.parameters.Length];
    }

    /// <summary>The settings.</summary>
    public SgdOptions Options { get; }

    /// <summary>The parameters being optimized.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Applies one update with learning rate <paramref name="learningRate"/> from the parameters' current gradients.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is negative or not finite.</exception>
    public void Step(double learningRate)
    {
        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be finite and ≥ 0");
        float lr = (float)learningRate, mu = Options.Momentum;
        for (int p = 0; p < parameters.Length; p++)
        {
            var parameter = parameters[p];
            if (parameter.Gradient is not { } gradient) continue;
            var w = parameter.Value.Data;
            var grad = gradient.Data;
            float decay = parameter.WeightDecay ? Options.WeightDecay : 0f;
            if (mu == 0f)
            {
                for (int i = 0; i < w.Length; i++) w[i] -= lr * (grad[i] + decay * w[i]);
                continue;
            }
            bool first = velocity[p] is null;
            var v = velocity[p] ??= new float[w.Length];
            for (int i = 0; i < w.Length; i++)
            {
                float g = grad[i] + decay * w[i];
                v[i] = first ? g : mu * v[i] + g;
                w[i] -= lr * (Options.Nesterov ? g + mu * v[i] : v[i]);
            }
        }
        StepCount++;
    }

    /// <summary>The momentum buffer v of parameter <paramref name="index"/> (null before its first update); checkpoints save it.</summary>
    internal float[]? MomentumBuffer(int index) => velocity[index];

    /// <summary>Restores the step count and momentum buffers saved by a checkpoint (buffers are taken over, not copied).</summary>
    internal void RestoreState(long stepCount, float[]?[] momentumBuffers)
    {
        if (momentumBuffers.Length != velocity.Length) throw new ArgumentException($"expected {velocity.Length} momentum buffers, got {momentumBuffers.Length}", nameof(momentumBuffers));
        for (int p = 0; p < velocity.Length; p++)
        {
            if (momentumBuffers[p] is { } v && v.Length != parameters[p].Value.Length)
                throw new ArgumentException($"momentum buffer of {parameters[p].Name} has {v.Length} values, the parameter {parameters[p].Value.Length}", nameof(momentumBuffers));
            velocity[p] = momentumBuffers[p];
        }
        StepCount = stepCount;
    }

    /// <summary>Clears every parameter's gradient (call before each backward pass).</summary>
    public void ZeroGradients()
    {
        foreach (var p in parameters) p.ZeroGradient();
    }
}
