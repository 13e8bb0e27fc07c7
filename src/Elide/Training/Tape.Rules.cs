using Elide.Kernels;
using Elide.Ops;
using Elide.Tensors;
using CrossEntropyKernel = Elide.Kernels.SoftmaxCrossEntropy;

namespace Elide.Training;

/// <summary>
/// The table of differentiable ops: each computes its value eagerly and records one backward rule mapping the
/// result's gradient ∂y to its inputs' gradients. The arithmetic lives in Elide.Kernels (Backward folder); this
/// file only states which kernel computes which gradient.
/// </summary>
public sealed partial class Tape
{
    private int Threads => Pool?.Threads ?? 1;

    /// <summary>
    /// y = conv(x, W) + b with the attributes of <paramref name="attributes"/> (strides, asymmetric pads, dilations,
    /// groups). ∂x = convᵀ(∂y, W); ∂W = ∂y ⋆ x summed over the batch; ∂b = Σ ∂y.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or attributes are invalid, or the op carries a fused activation or residual.</exception>
    public unsafe Variable Conv2d(Variable x, Variable weight, Variable? bias, ConvOp attributes)
    {
        var g = ConvGeometry(x, weight, bias, attributes);
        var y = Like(new Shape(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth));
        var kernel = new Conv2dKernel(g, weight.Value.Data, bias is null ? ReadOnlySpan<float>.Empty : bias.Value.Data, Activation.None);
        var ws = Workspace(kernel.WorkspaceFloats);
        fixed (float* px = x.Value.Data, py = y.Data, pws = ws) kernel.Run(px, py, null, pws, Pool);
        ConvolutionCount++;
        return Result(y, dy =>
        {
            fixed (float* pdy = dy, pw = weight.Value.Data, px = x.Value.Data)
            {
                if (x.RequiresGradient)
                {
                    var dx = Allocate(x.Value.Length, clear: false);
                    if (Conv2dBackward.TryDataGradientGeometry(g, out var transposed))
                    {
                        // Stride 1: ∂X is a forward convolution of ∂Y, run by the (faster) inference kernel.
                        var flipped = Allocate(weight.Value.Length, clear: false);
                        Conv2dBackward.DataGradientWeights(g, weight.Value.Data, flipped);
                        var dataKernel = new Conv2dKernel(transposed, flipped, ReadOnlySpan<float>.Empty, Activation.None);
                        var scratch = Workspace(dataKernel.WorkspaceFloats);
                        fixed (float* pdx = dx, pws = scratch) dataKernel.Run(pdy, pdx, null, pws, Pool);
                    }
                    else
                    {
                        var scratch = Workspace(Conv2dBackward.BackwardDataWorkspaceFloats(g, Threads));
                        fixed (float* pdx = dx, pws = scratch) Conv2dBackward.BackwardData(g, pdy, pw, pdx, pws, Pool);
                    }
                    Accumulate(x, dx, owned: true);
                }
                if (weight.RequiresGradient || bias is { RequiresGradient: true })
                {
                    var dw = Allocate(weight.Value.Length, clear: false);
                    var db = bias is null ? null : Allocate(bias.Value.Length, clear: false);
                    var scratch = Workspace(Conv2dBackward.BackwardWeightsWorkspaceFloats(g, Threads));
                    fixed (float* pdw = dw, pdb = db, pws = scratch) Conv2dBackward.BackwardWeights(g, px, pdy, pdw, pdb, pws, Pool);
                    if (weight.RequiresGradient) Accumulate(weight, dw, owned: true);
                    if (bias is { RequiresGradient: true }) Accumulate(bias, db!, owned: true);
                }
            }
        }, x, weight, bias);
    }

    /// <summary>
    /// Batch normalization over [N, C, ...]. Training: normalizes with the batch mean and biased variance and
    /// updates <paramref name="statistics"/>; evaluation: y = γ·(x − running mean)/√(running var + ε) + β.
    /// Gradients per <see cref="BatchNormTraining"/> (training) or of the fixed affine map (evaluation).
    /// </summary>
    /// <exception cref="ArgumentException">x is not [N, C, ...] or a parameter is not [C].</exception>
    public unsafe Variable BatchNorm(Variable x, Variable scale, Variable shift, BatchNormStatistics statistics, bool training)
    {
        Require(x.Shape.Rank >= 2, $"BatchNorm expects [N,C,...], got {x.Shape}");
        int n = x.Shape[0], c = x.Shape[1], s = (int)x.Shape.Product(2, x.Shape.Rank);
        foreach (var p in new[] { scale.Value, shift.Value, statistics.RunningMean, statistics.RunningVariance })
            Require(p.Shape.Rank == 1 && p.Shape[0] == c, $"BatchNorm parameter {p.Shape} does not match {c} channels of {x.Shape}");
        float eps = statistics.Epsilon;
        var y = Like(x);
        var mean = new float[c];
        var variance = new float[c];
        if (training)
        {
            fixed (float* px = x.Value.Data, pg = scale.Value.Data, pb = shift.Value.Data, py = y.Data, pm = mean, pv = variance)
                BatchNormTraining.Forward(n, c, s, px, pg, pb, eps, py, pm, pv, Pool);
            BatchNormTraining.UpdateRunningStatistics(mean, variance, (long)n * s, statistics.Momentum,
                statistics.RunningMean.Data, statistics.RunningVariance.Data);
        }
        else
        {
            statistics.RunningMean.Data.CopyTo(mean, 0);
            statistics.RunningVariance.Data.CopyTo(variance, 0);
            for (int ch = 0; ch < c; ch++)
            {
                float a = (float)(scale.Value.Data[ch] / Math.Sqrt((double)variance[ch] + eps)), b = shift.Value.Data[ch];
                for (int i = 0; i < n; i++)
                for (int j = 0, o = (i * c + ch) * s; j < s; j++, o++) y.Data[o] = (x.Value.Data[o] - mean[ch]) * a + b;
            }
        }
        return Result(y, dy =>
        {
            var dx = Allocate(x.Value.Length, clear: false);
            var dGamma = new float[c];
            var dBeta = new float[c];
            if (training)
            {
                fixed (float* px = x.Value.Data, pdy = dy, pg = scale.Value.Data, pm = mean, pv = variance, pdx = dx, pdg = dGamma, pdb = dBeta)
                    BatchNormTraining.Backward(n, c, s, px, pdy, pg, pm, pv, eps, pdx, pdg, pdb, Pool);
            }
            else
            {
                for (int ch = 0; ch < c; ch++)
                {
                    double inv = 1.0 / Math.Sqrt((double)variance[ch] + eps), sumDy = 0, sumDyXhat = 0;
                    float a = (float)(scale.Value.Data[ch] * inv);
                    for (int i = 0; i < n; i++)
                    for (int j = 0, o = (i * c + ch) * s; j < s; j++, o++)
                    {
                        dx[o] = dy[o] * a;
                        sumDy += dy[o];
                        sumDyXhat += dy[o] * (x.Value.Data[o] - mean[ch]) * inv;
                    }
                    dGamma[ch] = (float)sumDyXhat;
                    dBeta[ch] = (float)sumDy;
                }
            }
            if (x.RequiresGradient) Accumulate(x, dx, owned: true);
            if (scale.RequiresGradient) Accumulate(scale, dGamma, owned: true);
            if (shift.RequiresGradient) Accumulate(shift, dBeta, owned: true);
        }, x, scale, shift);
    }

    /// <summary>y = max(x, 0); ∂x = ∂y where y &gt; 0.</summary>
    public unsafe Variable Relu(Variable x)
    {
        var y = Like(x);
        fixed (float* px = x.Value.Data, py = y.Data) PlaneMath.Relu(px, py, y.Length);
        return Result(y, dy =>
        {
            var dx = Allocate(dy.Length, clear: false);
            fixed (float* py = y.Data, pdy = dy, pdx = dx) ReluBackward.Backward(py, pdy, pdx, dx.Length);
            Accumulate(x, dx, owned: true);
        }, x);
    }

    /// <summary>y = a + b (equal shapes); ∂a = ∂b = ∂y.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public unsafe Variable Add(Variable a, Variable b)
    {
        Require(a.Shape.Equals(b.Shape), $"Add expects equal shapes, got {a.Shape} and {b.Shape}");
        var y = Like(a);
        fixed (float* pa = a.Value.Data, pb = b.Value.Data, py = y.Data) PlaneMath.Add(pa, pb, py, y.Length);
        return Result(y, dy =>
        {
            if (a.RequiresGradient) Accumulate(a, dy, owned: false);
            if (b.RequiresGradient) Accumulate(b, dy, owned: false);
        }, a, b);
    }

    /// <summary>y = factor·x; ∂x = factor·∂y.</summary>
    public unsafe Variable Scale(Variable x, float factor)
    {
        var y = Like(x);
        fixed (float* px = x.Value.Data, py = y.Data) PlaneMath.Scale(px, factor, py, y.Length);
        return Result(y, dy =>
        {
            var dx = Allocate(dy.Length, clear: false);
            fixed (float* pdy = dy, pdx = dx) PlaneMath.Scale(pdy, factor, pdx, dx.Length);
            Accumulate(x, dx, owned: true);
        }, x);
    }

    /// <summary>
    /// Max or average pooling with the attributes of <paramref name="attributes"/> (kernel, strides, pads, dilations,
    /// ceil mode, count_include_pad). Max: ∂y goes to the first maximum of each window; average: ∂y/count to each
    /// counted position.
    /// </summary>
    /// <exception cref="ArgumentException">x is not 4-D or the window does not fit.</exception>
    public Variable Pool2d(Variable x, PoolOp attributes)
    {
        Require(x.Shape.Rank == 4, $"{attributes.Name} expects [N,C,H,W], got {x.Shape}");
        var a = attributes;
        int oh = PoolOp.OutputSize(x.Shape[2], a.Kernel.H, a.Strides.H, a.Pads.Top, a.Pads.Bottom, a.Dilations.H, a.CeilMode);
        int ow = PoolOp.OutputSize(x.Shape[3], a.Kernel.W, a.Strides.W, a.Pads.Left, a.Pads.Right, a.Dilations.W, a.CeilMode);
        Require(oh >= 1 && ow >= 1 && a.Strides.H >= 1 && a.Strides.W >= 1, $"{attributes.Describe()} does not fit input {x.Shape}");
        var g = new PoolWindow2d(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], oh, ow, a.Kernel.H, a.Kernel.W, a.Strides.H, a.Strides.W,
            a.Pads.Top, a.Pads.Left, a.Pads.Bottom, a.Pads.Right, a.Dilations.H, a.Dilations.W);
        var y = Like(new Shape(g.Batch, g.Channels, oh, ow));
        if (a.Kind == PoolKind.Max)
        {
            var argmax = new int[y.Length];
            PoolingTraining.MaxForward(g, x.Value.Data, y.Data, argmax, Pool);
            return Result(y, dy =>
            {
                var dx = Allocate(x.Value.Length, clear: true);
                PoolingTraining.MaxBackward(g, dy, argmax, dx, Pool);
                Accumulate(x, dx, owned: true);
            }, x);
        }
        PoolingTraining.AverageForward(g, a.CountIncludePad, x.Value.Data, y.Data, Pool);
        return Result(y, dy =>
        {
            var dx = Allocate(x.Value.Length, clear: true);
            PoolingTraining.AverageBackward(g, a.CountIncludePad, dy, dx, Pool);
            Accumulate(x, dx, owned: true);
        }, x);
    }

    /// <summary>y[n, c, 1, …] = mean of x[n, c, …]; ∂x = ∂y/S spread evenly.</summary>
    public Variable GlobalAveragePool(Variable x)
    {
        Require(x.Shape.Rank >= 3, $"GlobalAveragePool expects [N,C,spatial...], got {x.Shape}");
        var dims = x.Shape.ToArray();
        for (int i = 2; i < dims.Length; i++) dims[i] = 1;
        int planes = x.Shape[0] * x.Shape[1], spatial = (int)x.Shape.Product(2, x.Shape.Rank);
        var y = Like(new Shape(dims));
        PoolingTraining.GlobalAverageForward(planes, spatial, x.Value.Data, y.Data);
        return Result(y, dy =>
        {
            var dx = Allocate(x.Value.Length, clear: false);
            PoolingTraining.GlobalAverageBackward(planes, spatial, dy, dx);
            Accumulate(x, dx, owned: true);
        }, x);
    }

    /// <summary>[d0, …, d(axis−1), d(axis), …] → [Π before axis, Π from axis] sharing the data; ∂x = ∂y reshaped.</summary>
    public Variable Flatten(Variable x, int axis = 1)
    {
        Require(axis >= 0 && axis <= x.Shape.Rank, $"Flatten axis {axis} is out of range for {x.Shape}");
        var y = x.Value.Reshape(new Shape((int)x.Shape.Product(0, axis), (int)x.Shape.Product(axis, x.Shape.Rank)));
        return Result(y, dy => Accumulate(x, dy, owned: false), x);
    }

    /// <summary>y = x·Wᵀ + b for x [N, K], W [M, K], b [M]; ∂x = ∂y·W, ∂W = ∂yᵀ·x, ∂b = Σ_n ∂y.</summary>
    /// <exception cref="ArgumentException">The shapes do not line up.</exception>
    public unsafe Variable Linear(Variable x, Variable weight, Variable? bias)
    {
        Require(x.Shape.Rank == 2 && weight.Shape.Rank == 2 && x.Shape[1] == weight.Shape[1],
            $"Linear expects x [N,K] and W [M,K], got {x.Shape} and {weight.Shape}");
        Require(bias is null || (bias.Shape.Rank == 1 && bias.Shape[0] == weight.Shape[0]), $"Linear bias {bias?.Shape} must be [{weight.Shape[0]}]");
        int n = x.Shape[0], k = x.Shape[1], m = weight.Shape[0];
        var y = Like(new Shape(n, m));
        fixed (float* px = x.Value.Data, pw = weight.Value.Data, pb = bias?.Value.Data, py = y.Data)
            LinearKernels.Forward(n, k, m, px, pw, pb, py, Pool);
        return Result(y, dy =>
        {
            var dx = x.RequiresGradient ? Allocate(x.Value.Length, clear: false) : null;
            var dw = Allocate(weight.Value.Length, clear: false);
            var db = bias is null ? null : Allocate(m, clear: false);
            fixed (float* px = x.Value.Data, pw = weight.Value.Data, pdy = dy, pdx = dx, pdw = dw, pdb = db)
                LinearKernels.Backward(n, k, m, px, pw, pdy, pdx, pdw, pdb, Pool);
            if (dx is not null) Accumulate(x, dx, owned: true);
            if (weight.RequiresGradient) Accumulate(weight, dw, owned: true);
            if (bias is { RequiresGradient: true }) Accumulate(bias, db!, owned: true);
        }, x, weight, bias);
    }

    /// <summary>
    /// Mean softmax cross-entropy of logits [N, K] against <paramref name="labels"/> with label smoothing ε (a scalar);
    /// ∂logits = (softmax − q)/N with q = (1 − ε)·onehot + ε/K.
    /// </summary>
    /// <exception cref="ArgumentException">Logits are not [N, K] or the label count is not N.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, K) or ε is outside [0, 1].</exception>
    public Variable SoftmaxCrossEntropy(Variable logits, int[] labels, float labelSmoothing = 0f)
    {
        Require(logits.Shape.Rank == 2 && labels.Length == logits.Shape[0],
            $"SoftmaxCrossEntropy expects logits [N,K] and N labels, got {logits.Shape} and {labels.Length} labels");
        int n = logits.Shape[0], k = logits.Shape[1];
        var probabilities = new float[logits.Value.Length];
        var labelsCopy = (int[])labels.Clone();
        double loss = CrossEntropyKernel.Forward(n, k, logits.Value.Data, labelsCopy, labelSmoothing, probabilities);
        var y = new Tensor(Shape.Scalar, [(float)loss]);
        return Result(y, dy =>
        {
            var dz = new float[probabilities.Length];
            CrossEntropyKernel.Backward(n, k, probabilities, labelsCopy, labelSmoothing, dy[0], dz);
            Accumulate(logits, dz, owned: true);
        }, logits);
    }

    private static Conv2dGeometry ConvGeometry(Variable x, Variable w, Variable? bias, ConvOp a)
    {
        Require(a.Activation.Kind == ActivationKind.None && !a.HasResidual, "Conv2d on the tape takes no fused activation or residual: apply them as separate ops");
        Require(x.Shape.Rank == 4 && w.Shape.Rank == 4, $"Conv2d expects x [N,C,H,W] and W [M,C/group,kH,kW], got {x.Shape} and {w.Shape}");
        Require(a.Group >= 1 && x.Shape[1] % a.Group == 0 && w.Shape[0] % a.Group == 0 && w.Shape[1] * a.Group == x.Shape[1],
            $"Conv2d group {a.Group} does not fit x {x.Shape} and W {w.Shape}");
        Require(a.Strides.H >= 1 && a.Strides.W >= 1 && a.Dilations.H >= 1 && a.Dilations.W >= 1 && a.Pads.Top >= 0 && a.Pads.Left >= 0
            && a.Pads.Bottom >= 0 && a.Pads.Right >= 0, $"Conv2d attributes are invalid: {a.Describe()}");
        Require(bias is null || (bias.Shape.Rank == 1 && bias.Shape[0] == w.Shape[0]), $"Conv2d bias {bias?.Shape} must be [{w.Shape[0]}]");
        var g = a.Geometry(x.Shape, w.Shape);
        Require(g.OutHeight >= 1 && g.OutWidth >= 1, $"Conv2d kernel {w.Shape} does not fit input {x.Shape} ({a.Describe()})");
        return g;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message);
    }
}
