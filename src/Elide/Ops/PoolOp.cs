using Elide.Graph;
using Elide.Kernels;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>The reduction a pooling window applies.</summary>
public enum PoolKind
{
    /// <summary>Maximum over the window.</summary>
    Max,
    /// <summary>Mean over the window.</summary>
    Average,
}

/// <summary>
/// 2-D windowed pooling (ONNX MaxPool / AveragePool on NCHW). Output size as for convolution, with ceil_mode
/// rounding up; as in ONNX and PyTorch, a window that would start entirely inside the end padding is dropped.
/// </summary>
public sealed class PoolOp : Op
{
    /// <summary>Max or average.</summary>
    public PoolKind Kind { get; init; }

    /// <summary>Window (height, width).</summary>
    public (int H, int W) Kernel { get; init; } = (1, 1);

    /// <summary>Stride (height, width).</summary>
    public (int H, int W) Strides { get; init; } = (1, 1);

    /// <summary>Padding (top, left, bottom, right).</summary>
    public (int Top, int Left, int Bottom, int Right) Pads { get; init; }

    /// <summary>Dilation (MaxPool only).</summary>
    public (int H, int W) Dilations { get; init; } = (1, 1);

    /// <summary>Round the output size up instead of down.</summary>
    public bool CeilMode { get; init; }

    /// <summary>AveragePool: count padded positions in the divisor.</summary>
    public bool CountIncludePad { get; init; }

    /// <inheritdoc/>
    public override string Name => Kind == PoolKind.Max ? "MaxPool" : "AveragePool";

    /// <summary>Output length along one axis (ONNX rules with ceil mode).</summary>
    public static int OutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceil)
    {
        int span = input + padBegin + padEnd - dilation * (kernel - 1) - 1;
        if (span < 0) return 0;
        int outSize = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        // A window must start inside the input or the begin padding.
        if (ceil && (outSize - 1) * stride >= input + padBegin) outSize--;
        return outSize;
    }

    /// <summary>The kernel geometry for a concrete input shape.</summary>
    public Pool2dGeometry Geometry(Shape x) => new(x[0], x[1], x[2], x[3], Kernel.H, Kernel.W, Strides.H, Strides.W,
        Pads.Top, Pads.Left, Pads.Bottom, Pads.Right, Dilations.H, Dilations.W, CeilMode);

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        Require(node, x.Rank == 4, $"expects a 4-D NCHW input, got {x}");
        Require(node, Kernel.H >= 1 && Kernel.W >= 1 && Strides.H >= 1 && Strides.W >= 1, "kernel and strides must be ≥ 1");
        Require(node, Pads.Top < Kernel.H && Pads.Bottom < Kernel.H && Pads.Left < Kernel.W && Pads.Right < Kernel.W,
            $"pads {Pads} must be smaller than the kernel {Kernel}");
        int oh = OutputSize(x[2], Kernel.H, Strides.H, Pads.Top, Pads.Bottom, Dilations.H, CeilMode);
        int ow = OutputSize(x[3], Kernel.W, Strides.W, Pads.Left, Pads.Right, Dilations.W, CeilMode);
        Require(node, oh >= 1 && ow >= 1, $"window {Kernel} does not fit input {x}");
        return [new Shape(x[0], x[1], oh, ow)];
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var x = inputs[0]!;
        var y = outputs[0];
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3], oh = y.Shape[2], ow = y.Shape[3];
        for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            double acc = Kind == PoolKind.Max ? double.NegativeInfinity : 0;
            int count = 0;
            bool nan = false;
            for (int ky = 0; ky < Kernel.H; ky++)
            for (int kx = 0; kx < Kernel.W; kx++)
            {
                int iy = oy * Strides.H - Pads.Top + ky * Dilations.H;
                int ix = ox * Strides.W - Pads.Left + kx * Dilations.W;
                bool inPaddedArea = iy < h + Pads.Bottom && ix < w + Pads.Right;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                {
                    if (CountIncludePad && inPaddedArea) count++;
                    continue;
                }
                float v = x.Data[(p * h + iy) * w + ix];
                nan |= float.IsNaN(v);
                if (Kind == PoolKind.Max) acc = Math.Max(acc, v);
                else acc += v;
                count++;
            }
            y.Data[(p * oh + oy) * ow + ox] = nan ? float.NaN : Kind == PoolKind.Max ? (float)acc : (float)(acc / Math.Max(count, 1));
        }
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new PoolStep(this, node, builder);

    /// <inheritdoc/>
    public override string Describe() => $"{Name} k{Kernel.H}x{Kernel.W} s{Strides.H}x{Strides.W} p{Pads.Top},{Pads.Left},{Pads.Bottom},{Pads.Right}{(CeilMode ? " ceil" : "")}";
}
