using Elide.Tensors;

namespace Elide.Training;

/// <summary>
/// A tensor taking part in automatic differentiation: its value and, after <see cref="Tape.Backward"/>, the
/// gradient of the loss with respect to it (null when no gradient reached it).
/// </summary>
public class Variable
{
    /// <summary>Wraps <paramref name="value"/> (not copied).</summary>
    public Variable(Tensor value, bool requiresGradient = false)
    {
        Value = value;
        RequiresGradient = requiresGradient;
    }

    /// <summary>The value.</summary>
    public Tensor Value { get; }

    /// <summary>The shape of <see cref="Value"/>.</summary>
    public Shape Shape => Value.Shape;

    /// <summary>∂loss/∂this after a backward pass; null when no gradient flowed here.</summary>
    public Tensor? Gradient { get; private set; }

    /// <summary>True when gradients are computed for this variable (parameters, and results of ops on them).</summary>
    public bool RequiresGradient { get; }

    /// <summary>Forgets the gradient (the next backward pass starts from zero).</summary>
    public void ZeroGradient() => Gradient = null;

    /// <summary>
    /// Adds <paramref name="gradient"/> into <see cref="Gradient"/>; the first contribution becomes the gradient
    /// itself (no copy), so the caller must not write to that array afterwards.
    /// </summary>
    /// <param name="gradient">Gradient data with this variable's element count.</param>
    internal unsafe void AddGradient(float[] gradient)
    {
        if (Gradient is null)
        {
            Gradient = new Tensor(Value.Shape, gradient);
            return;
        }
        var g = Gradient.Data;
        fixed (float* pg = g, pa = gradient) Kernels.PlaneMath.AddInPlace(pg, pa, g.Length);
    }
}

/// <summary>A trainable variable with a name (the graph constant it exports to) and its weight-decay policy.</summary>
public sealed class Parameter(string name, Tensor value, bool weightDecay) : Variable(value, requiresGradient: true)
{
    /// <summary>Name, equal to the constant's name in the exported inference graph.</summary>
    public string Name { get; } = name;

    /// <summary>
    /// True for convolution and linear weights; false for biases and BatchNorm scale/shift, which are conventionally
    /// not decayed (decaying γ only fights the normalization; see Goyal et al. 2017, §5.1).
    /// </summary>
    public bool WeightDecay { get; } = weightDecay;

    /// <inheritdoc/>
    public override string ToString() => $"{Name}{Shape}";
}

/// <summary>
/// Running statistics of one BatchNorm layer, updated by every training-mode forward pass and used in eval mode.
/// </summary>
public sealed class BatchNormStatistics
{
    /// <summary>Mean 0 and variance 1 for <paramref name="channels"/> channels.</summary>
    public BatchNormStatistics(int channels, float momentum = 0.1f, float epsilon = 1e-5f)
    {
        if (momentum is < 0f or > 1f) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1]");
        if (!(epsilon > 0f)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive");
        RunningMean = new Tensor(new Shape(channels));
        RunningVariance = new Tensor(new Shape(channels));
        Array.Fill(RunningVariance.Data, 1f);
        Momentum = momentum;
        Epsilon = epsilon;
    }

    /// <summary>Running mean per channel.</summary>
    public Tensor RunningMean { get; }

    /// <summary>Running (unbiased) variance per channel.</summary>
    public Tensor RunningVariance { get; }

    /// <summary>Weight of the newest batch in the running averages (PyTorch convention; default 0.1).</summary>
    public float Momentum { get; }

    /// <summary>ε added to the variance (default 1e-5, as ONNX and PyTorch).</summary>
    public float Epsilon { get; }
}
