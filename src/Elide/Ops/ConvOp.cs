using Elide.Graph;
using Elide.Kernels;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>
/// 2-D convolution (ONNX Conv on NCHW). Inputs: X [N,C,H,W], W [M, C/group, kH, kW], optional B [M], and — after
/// fusion only — an optional residual R with the output's shape: Y = act(conv(X, W) + B + R).
/// </summary>
/// <remarks>Output size per ONNX: ⌊(H + padTop + padBottom − dilation·(k−1) − 1) / stride⌋ + 1.</remarks>
public sealed class ConvOp : Op
{
    /// <summary>Stride (height, width).</summary>
    public (int H, int W) Strides { get; init; } = (1, 1);

    /// <summary>Padding (top, left, bottom, right).</summary>
    public (int Top, int Left, int Bottom, int Right) Pads { get; init; }

    /// <summary>Dilation (height, width).</summary>
    public (int H, int W) Dilations { get; init; } = (1, 1);

    /// <summary>Number of groups (C and M must both be divisible by it).</summary>
    public int Group { get; init; } = 1;

    /// <summary>Activation fused into the output (after bias and residual).</summary>
    public Activation Activation { get; init; } = Activation.None;

    /// <summary>True when input 3 is a residual added before the activation (set by the fusion pass).</summary>
    public bool HasResidual { get; init; }

    /// <inheritdoc/>
    public override string Name => "Conv";

    /// <summary>The convolution geometry for concrete input and weight shapes.</summary>
    public Conv2dGeometry Geometry(Shape x, Shape w) => new(
        x[0], x[1], x[2], x[3], w[0], w[2], w[3], Strides.H, Strides.W,
        Pads.Top, Pads.Left, Pads.Bottom, Pads.Right, Dilations.H, Dilations.W, Group);

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        var w = In(node, inputs, 1);
        Require(node, x.Rank == 4, $"expects a 4-D NCHW input, got {x}");
        Require(node, w.Rank == 4, $"expects 4-D weights [M, C/group, kH, kW], got {w}");
        Require(node, Group >= 1 && x[1] % Group == 0 && w[0] % Group == 0,
            $"group {Group} must divide input channels {x[1]} and output channels {w[0]}");
        Require(node, w[1] * Group == x[1], $"weights {w} with group {Group} expect {w[1] * Group} input channels, input {x} has {x[1]}");
        Require(node, Strides.H >= 1 && Strides.W >= 1 && Dilations.H >= 1 && Dilations.W >= 1, "strides and dilations must be ≥ 1");
        Require(node, Pads.Top >= 0 && Pads.Left >= 0 && Pads.Bottom >= 0 && Pads.Right >= 0, "pads must be ≥ 0");
        if (inputs.Length > 2 && inputs[2] is { } b)
            Require(node, b.Rank == 1 && b[0] == w[0], $"bias {b} must be [{w[0]}]");
        int oh = OutputSize(x[2], w[2], Strides.H, Pads.Top + Pads.Bottom, Dilations.H);
        int ow = OutputSize(x[3], w[3], Strides.W, Pads.Left + Pads.Right, Dilations.W);
        Require(node, oh >= 1 && ow >= 1, $"kernel {w[2]}x{w[3]} does not fit input {x} with the given padding and dilation");
        var y = new Shape(x[0], w[0], oh, ow);
        if (HasResidual)
        {
            var r = In(node, inputs, 3);
            Require(node, r.Equals(y), $"residual {r} must match the output {y}");
        }
        return [y];
    }

    /// <summary>ONNX output length of a convolution or pooling window along one axis.</summary>
    public static int OutputSize(int input, int kernel, int stride, int padTotal, int dilation) =>
        input < 0 ? -1 : (input + padTotal - dilation * (kernel - 1) - 1) / stride + 1;

    /// <inheritdoc/>
    public override long MultiplyAccumulates(Shape?[] inputs, Shape[] outputs)
    {
        var w = inputs[1]!;
        return outputs[0].ElementCount * w[1] * w[2] * w[3];
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var x = inputs[0]!;
        var w = inputs[1]!;
        var bias = inputs.Length > 2 ? inputs[2] : null;
        var residual = HasResidual ? inputs[3] : null;
        var y = outputs[0];
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int m = w.Shape[0], cg = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        int oh = y.Shape[2], ow = y.Shape[3], mg = m / Group;
        for (int b = 0; b < n; b++)
        for (int oc = 0; oc < m; oc++)
        {
            int g = oc / mg;
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                double sum = bias?.Data[oc] ?? 0.0;
                for (int ic = 0; ic < cg; ic++)
                for (int ky = 0; ky < kh; ky++)
                {
                    int iy = oy * Strides.H - Pads.Top + ky * Dilations.H;
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < kw; kx++)
                    {
                        int ix = ox * Strides.W - Pads.Left + kx * Dilations.W;
                        if (ix < 0 || ix >= wd) continue;
                        sum += (double)x.Data[((b * c + g * cg + ic) * h + iy) * wd + ix] * w.Data[((oc * cg + ic) * kh + ky) * kw + kx];
                    }
                }
                int o = ((b * m + oc) * oh + oy) * ow + ox;
                if (residual is not null) sum += residual.Data[o];
                y.Data[o] = Activation.Apply((float)sum);
            }
        }
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new ConvStep(this, node, builder);

    /// <inheritdoc/>
    public override string Describe()
    {
        var s = $"Conv s{Strides.H}x{Strides.W} p{Pads.Top},{Pads.Left},{Pads.Bottom},{Pads.Right}";
        if (Dilations != (1, 1)) s += $" d{Dilations.H}x{Dilations.W}";
        if (Group != 1) s += $" g{Group}";
        if (HasResidual) s += " +residual";
        if (Activation.Kind != ActivationKind.None) s += $" +{Activation.Kind}";
        return s;
    }
}
