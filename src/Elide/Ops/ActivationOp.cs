using Elide.Graph;
using Elide.Kernels;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>A pointwise activation (ONNX Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSwish, HardSigmoid).</summary>
/// <param name="activation">The function and its parameters; <see cref="Activation.Apply"/> defines it.</param>
public sealed class ActivationOp(Activation activation) : Op
{
    /// <summary>The function.</summary>
    public Activation Activation { get; } = activation;

    /// <inheritdoc/>
    public override string Name => Activation.Kind switch
    {
        ActivationKind.None => "Identity",
        ActivationKind.Relu => "Relu",
        ActivationKind.LeakyRelu => "LeakyRelu",
        ActivationKind.Clip => "Clip",
        ActivationKind.Sigmoid => "Sigmoid",
        ActivationKind.Tanh => "Tanh",
        ActivationKind.HardSwish => "HardSwish",
        ActivationKind.HardSigmoid => "HardSigmoid",
        _ => Activation.Kind.ToString(),
    };

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs) => [In(node, inputs, 0)];

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var x = inputs[0]!.Data;
        for (int i = 0; i < x.Length; i++) outputs[0].Data[i] = Activation.Apply(x[i]);
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new ActivationStep(Activation, node, builder);
}
