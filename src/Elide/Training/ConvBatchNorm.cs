using Elide.Graph;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Training;

/// <summary>A bias-free convolution followed by batch normalization: the unit every CIFAR ResNet layer is built from.</summary>
public sealed class ConvBatchNorm
{
    /// <summary>Creates the layer from its initial values (taken over, not copied).</summary>
    public ConvBatchNorm(string name, ConvOp convolution, Tensor weight, Tensor scale, Tensor shift, BatchNormStatistics statistics)
    {
        Name = name;
        Convolution = convolution;
        Weight = new Parameter(name + ".weight", weight, weightDecay: true);
        Scale = new Parameter(name + ".bn.weight", scale, weightDecay: false);
        Shift = new Parameter(name + ".bn.bias", shift, weightDecay: false);
        Statistics = statistics;
    }

    /// <summary>Name of the convolution node; the BatchNorm node is named <c>Name + ".bn"</c>.</summary>
    public string Name { get; }

    /// <summary>Convolution attributes (stride, padding).</summary>
    public ConvOp Convolution { get; }

    /// <summary>Convolution weights [M, C, k, k].</summary>
    public Parameter Weight { get; }

    /// <summary>BatchNorm γ.</summary>
    public Parameter Scale { get; }

    /// <summary>BatchNorm β.</summary>
    public Parameter Shift { get; }

    /// <summary>BatchNorm running statistics.</summary>
    public BatchNormStatistics Statistics { get; }

    /// <summary>The three parameters.</summary>
    public IEnumerable<Parameter> Parameters => [Weight, Scale, Shift];

    /// <summary>BN(conv(x)) with batch statistics (training) or running statistics (evaluation).</summary>
    public Variable Forward(Tape tape, Variable x, bool training) =>
        tape.BatchNorm(tape.Conv2d(x, Weight, null, Convolution), Scale, Shift, Statistics, training);

    /// <summary>
    /// Adds Conv and BatchNormalization nodes (inference semantics) to <paramref name="graph"/>. The BatchNorm's γ and
    /// β are multiplied by <paramref name="outputScale"/>, which scales the layer's output exactly:
    /// s·(γ·x̂ + β) = (s·γ)·x̂ + s·β.
    /// </summary>
    internal Value Export(ComputeGraph graph, Value input, double outputScale)
    {
        var c = Convolution;
        var conv = graph.Apply(Name, new ConvOp { Strides = c.Strides, Pads = c.Pads, Dilations = c.Dilations, Group = c.Group },
            input, graph.AddConstant(Name + ".weight", Weight.Value.Clone()));
        var scale = Scale.Value.Clone();
        var shift = Shift.Value.Clone();
        for (int i = 0; i < scale.Length; i++)
        {
            scale.Data[i] = (float)(scale.Data[i] * outputScale);
            shift.Data[i] = (float)(shift.Data[i] * outputScale);
        }
        string bn = Name + ".bn";
        return graph.Apply(bn, new BatchNormOp { Epsilon = Statistics.Epsilon }, conv,
            graph.AddConstant(bn + ".weight", scale), graph.AddConstant(bn + ".bias", shift),
            graph.AddConstant(bn + ".running_mean", Statistics.RunningMean.Clone()),
            graph.AddConstant(bn + ".running_var", Statistics.RunningVariance.Clone()));
    }
}
