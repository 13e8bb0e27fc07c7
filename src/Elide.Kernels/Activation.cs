namespace Elide.Kernels;

/// <summary>Pointwise activations that kernels can fuse into their output stage.</summary>
public enum ActivationKind
{
    /// <summary>y = x.</summary>
    None,
    /// <summary>y = max(x, 0).</summary>
    Relu,
    /// <summary>y = x if x ≥ 0 else Alpha·x.</summary>
    LeakyRelu,
    /// <summary>y = min(max(x, Alpha), Beta) (ONNX Clip with min = Alpha, max = Beta).</summary>
    Clip,
    /// <summary>y = 1 / (1 + e^−x).</summary>
    Sigmoid,
    /// <summary>y = tanh(x).</summary>
    Tanh,
    /// <summary>y = x · max(0, min(1, x/6 + 1/2)) (ONNX HardSwish).</summary>
    HardSwish,
    /// <summary>y = max(0, min(1, Alpha·x + Beta)) (ONNX HardSigmoid; defaults 0.2, 0.5).</summary>
    HardSigmoid,
}

/// <summary>An activation with its parameters. <see cref="Apply"/> is the scalar definition every vector kernel is checked against.</summary>
/// <param name="Kind">Which function.</param>
/// <param name="Alpha">LeakyRelu slope, Clip minimum, or HardSigmoid slope.</param>
/// <param name="Beta">Clip maximum or HardSigmoid offset.</param>
public readonly record struct Activation(ActivationKind Kind, float Alpha = 0f, float Beta = 0f)
{
    /// <summary>No activation.</summary>
    public static Activation None => new(ActivationKind.None);

    /// <summary>ReLU.</summary>
    public static Activation Relu => new(ActivationKind.Relu);

    /// <summary>The scalar definition. NaN propagates for every kind (max/min with NaN return NaN here).</summary>
    public float Apply(float x) => Kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => float.IsNaN(x) ? x : Math.Max(x, 0f),
        ActivationKind.LeakyRelu => x >= 0f || float.IsNaN(x) ? x : Alpha * x,
        ActivationKind.Clip => float.IsNaN(x) ? x : Math.Min(Math.Max(x, Alpha), Beta),
        ActivationKind.Sigmoid => 1f / (1f + MathF.Exp(-x)),
        ActivationKind.Tanh => MathF.Tanh(x),
        ActivationKind.HardSwish => float.IsNaN(x) ? x : x * Math.Clamp(x / 6f + 0.5f, 0f, 1f),
        ActivationKind.HardSigmoid => float.IsNaN(x) ? x : Math.Clamp(Alpha * x + Beta, 0f, 1f),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown activation"),
    };
}
