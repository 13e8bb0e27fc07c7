using Elide.Graph;
using Elide.Kernels;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Planning;

// The fast execution steps, one small class per op family. Each is built once per plan (weights prepacked,
// shapes resolved) and allocates nothing when executed.

/// <summary>Convolution with fused bias, residual and activation, on the kernel library's per-shape best method.</summary>
internal sealed unsafe class ConvStep : IExecutionStep
{
    private readonly Conv2dKernel kernel;
    private readonly int input, output, residual;

    public ConvStep(ConvOp op, Node node, StepBuilder b)
    {
        var x = b.ShapeOf(node.Input(0));
        var w = b.ConstantOf(node, node.Input(1));
        var bias = node.OptionalInput(2) is { } bv ? b.ConstantOf(node, bv).Data : [];
        kernel = new Conv2dKernel(op.Geometry(x, w.Shape), w.Data, bias, op.Activation);
        input = b.SlotOf(node.Input(0));
        output = b.SlotOf(node.Outputs[0]);
        residual = op.HasResidual ? b.SlotOf(node.Input(3)) : -1;
        b.RequestWorkspace(kernel.WorkspaceFloats);
    }

    public string Method => kernel.Method;

    public void Execute(ExecutionFrame f) =>
        kernel.Run(f[input], f[output], residual < 0 ? null : f[residual], f.Workspace, f.Pool);
}

/// <summary>Standalone batch normalization as a per-channel affine map.</summary>
internal sealed unsafe class BatchNormStep : IExecutionStep
{
    private readonly float[] multiplier, addend;
    private readonly int input, output, batch, channels, spatial;

    public BatchNormStep(BatchNormOp op, Node node, StepBuilder b)
    {
        (multiplier, addend) = op.ToAffine(b.ConstantOf(node, node.Input(1)), b.ConstantOf(node, node.Input(2)),
            b.ConstantOf(node, node.Input(3)), b.ConstantOf(node, node.Input(4)));
        var x = b.ShapeOf(node.Input(0));
        (batch, channels, spatial) = (x[0], x[1], (int)x.Product(2, x.Rank));
        input = b.SlotOf(node.Input(0));
        output = b.SlotOf(node.Outputs[0]);
    }

    public void Execute(ExecutionFrame f)
    {
        fixed (float* m = multiplier)
        fixed (float* a = addend)
            NormalizationKernels.ChannelAffine(batch, channels, spatial, f[input], m, a, f[output], Activation.None, f.Pool);
    }
}

/// <summary>A pointwise activation.</summary>
internal sealed unsafe class ActivationStep(Activation activation, Node node, StepBuilder b) : IExecutionStep
{
    private readonly int input = b.SlotOf(node.Input(0)), output = b.SlotOf(node.Outputs[0]);
    private readonly int length = (int)b.ShapeOf(node.Outputs[0]).ElementCount;

    public void Execute(ExecutionFrame f) => ActivationKernels.Apply(activation, f[input], f[output], length, f.Pool);
}

/// <summary>Pointwise math (Abs, Neg, Sqrt, Reciprocal, Exp, Log).</summary>
internal sealed unsafe class UnaryStep(UnaryOperation operation, Node node, StepBuilder b) : IExecutionStep
{
    private readonly int input = b.SlotOf(node.Input(0)), output = b.SlotOf(node.Outputs[0]);
    private readonly int length = (int)b.ShapeOf(node.Outputs[0]).ElementCount;

    public void Execute(ExecutionFrame f) => UnaryKernels.Apply(operation, f[input], f[output], length, f.Pool);
}

/// <summary>Broadcasting binary arithmetic with an optional fused activation; constant operands are read from their tensors.</summary>
internal sealed unsafe class BinaryStep : IExecutionStep
{
    private readonly BinaryOp op;
    private readonly int a, b, output;
    private readonly float[]? constA, constB;
    private readonly int[] shapeA, shapeB, shapeY;

    public BinaryStep(BinaryOp op, Node node, StepBuilder builder)
    {
        this.op = op;
        var va = node.Input(0);
        var vb = node.Input(1);
        constA = va.Constant?.Data;
        constB = vb.Constant?.Data;
        a = constA is null ? builder.SlotOf(va) : -1;
        b = constB is null ? builder.SlotOf(vb) : -1;
        output = builder.SlotOf(node.Outputs[0]);
        shapeA = builder.ShapeOf(va).ToArray();
        shapeB = builder.ShapeOf(vb).ToArray();
        shapeY = builder.ShapeOf(node.Outputs[0]).ToArray();
    }

    public void Execute(ExecutionFrame f)
    {
        fixed (float* ca = constA)
        fixed (float* cb = constB)
            BinaryKernels.Apply(op.Operation, constA is null ? f[a] : ca, shapeA, constB is null ? f[b] : cb, shapeB, f[output], op.Activation, f.Pool);
    }
}

/// <summary>Max or average pooling.</summary>
internal sealed unsafe class PoolStep(PoolOp op, Node node, StepBuilder b) : IExecutionStep
{
    private readonly Pool2dGeometry geometry = op.Geometry(b.ShapeOf(node.Input(0)));
    private readonly int input = b.SlotOf(node.Input(0)), output = b.SlotOf(node.Outputs[0]);

    public void Execute(ExecutionFrame f)
    {
        if (op.Kind == PoolKind.Max) PoolingKernels.MaxPool2d(geometry, f[input], f[output], f.Pool);
        else PoolingKernels.AveragePool2d(geometry, op.CountIncludePad, f[input], f[output], f.Pool);
    }
}

/// <summary>Global average or max pooling.</summary>
internal sealed unsafe class GlobalPoolStep(GlobalPoolOp op, Node node, StepBuilder b) : IExecutionStep
{
    private readonly int input = b.SlotOf(node.Input(0)), output = b.SlotOf(node.Outputs[0]);
    private readonly int planes = b.ShapeOf(node.Input(0))[0] * b.ShapeOf(node.Input(0))[1];
    private readonly int spatial = (int)b.ShapeOf(node.Input(0)).Product(2, b.ShapeOf(node.Input(0)).Rank);

    public void Execute(ExecutionFrame f)
    {
        if (op.Kind == PoolKind.Max) PoolingKernels.GlobalMaxPool(planes, spatial, f[input], f[output], f.Pool);
        else PoolingKernels.GlobalAveragePool(planes, spatial, f[input], f[output], f.Pool);
    }
}

/// <summary>Gemm: C broadcast into the output, one SGEMM, then the activation.</summary>
internal sealed unsafe class GemmStep : IExecutionStep
{
    private readonly GemmOp op;
    private readonly int a, b, output, m, n, k;
    private readonly float[]? constA, constB, cRows;

    public GemmStep(GemmOp op, Node node, StepBuilder builder)
    {
        this.op = op;
        var sa = builder.ShapeOf(node.Input(0));
        var sb = builder.ShapeOf(node.Input(1));
        var sy = builder.ShapeOf(node.Outputs[0]);
        (m, n, k) = (sy[0], sy[1], op.TransA ? sa[0] : sa[1]);
        constA = node.Input(0).Constant?.Data;
        constB = node.Input(1).Constant?.Data;
        a = constA is null ? builder.SlotOf(node.Input(0)) : -1;
        b = constB is null ? builder.SlotOf(node.Input(1)) : -1;
        output = builder.SlotOf(node.Outputs[0]);
        if (node.OptionalInput(2) is { } c && op.Beta != 0f)
        {
            // Pre-broadcast β·C to the full [M, N] once so each run starts from a copy.
            var ct = builder.ConstantOf(node, c);
            cRows = new float[m * n];
            var index = new int[2];
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                index[0] = i; index[1] = j;
                cRows[i * n + j] = op.Beta * ct.Data[BinaryOp.BroadcastIndex(ct.Shape, index)];
            }
        }
    }

    public void Execute(ExecutionFrame f)
    {
        float* y = f[output];
        if (cRows is not null) cRows.AsSpan().CopyTo(new Span<float>(y, m * n));
        fixed (float* pa = constA)
        fixed (float* pb = constB)
        {
            float* xa = constA is null ? f[a] : pa;
            float* xb = constB is null ? f[b] : pb;
            Gemm.Sgemm(op.TransA, op.TransB, m, n, k, op.Alpha, xa, op.TransA ? m : k, xb, op.TransB ? k : n,
                cRows is null ? 0f : 1f, y, n, f.Pool);
        }
        if (op.Activation.Kind != ActivationKind.None)
        {
            var span = new Span<float>(y, m * n);
            ActivationKernels.Apply(op.Activation, span, span);
        }
    }
}

/// <summary>Batched NumPy matmul as one SGEMM per broadcast batch entry.</summary>
internal sealed unsafe class MatMulStep : IExecutionStep
{
    private readonly int a, b, output, m, n, k;
    private readonly float[]? constA, constB;
    private readonly (int A, int B)[] batchOffsets;

    public MatMulStep(Node node, StepBuilder builder)
    {
        var sa = builder.ShapeOf(node.Input(0));
        var sb = builder.ShapeOf(node.Input(1));
        var pa = sa.Rank > 1 ? sa : new Shape(1, sa[0]);
        var pb = sb.Rank > 1 ? sb : new Shape(sb[0], 1);
        (m, k, n) = (pa[^2], pa[^1], pb[^1]);
        var batchA = new Shape(pa.ToArray()[..^2]);
        var batchB = new Shape(pb.ToArray()[..^2]);
        var batch = BinaryOp.Broadcast(batchA, batchB);
        batchOffsets = new (int, int)[batch.ElementCount];
        var index = new int[batch.Rank];
        for (int t = 0; t < batchOffsets.Length; t++)
        {
            int rem = t;
            for (int d = batch.Rank - 1; d >= 0; d--) { index[d] = rem % batch[d]; rem /= batch[d]; }
            batchOffsets[t] = (BinaryOp.BroadcastIndex(batchA, index) * m * k, BinaryOp.BroadcastIndex(batchB, index) * k * n);
        }
        constA = node.Input(0).Constant?.Data;
        constB = node.Input(1).Constant?.Data;
        a = constA is null ? builder.SlotOf(node.Input(0)) : -1;
        b = constB is null ? builder.SlotOf(node.Input(1)) : -1;
        output = builder.SlotOf(node.Outputs[0]);
    }

    public void Execute(ExecutionFrame f)
    {
        fixed (float* pa = constA)
        fixed (float* pb = constB)
        {
            float* xa = constA is null ? f[a] : pa;
            float* xb = constB is null ? f[b] : pb;
            float* y = f[output];
            for (int t = 0; t < batchOffsets.Length; t++)
                Gemm.Sgemm(false, false, m, n, k, 1f, xa + batchOffsets[t].A, k, xb + batchOffsets[t].B, n, 0f, y + (long)t * m * n, n, f.Pool);
        }
    }
}

/// <summary>N-d transpose.</summary>
internal sealed unsafe class TransposeStep(TransposeOp op, Node node, StepBuilder b) : IExecutionStep
{
    private readonly int input = b.SlotOf(node.Input(0)), output = b.SlotOf(node.Outputs[0]);
    private readonly int[] shape = b.ShapeOf(node.Input(0)).ToArray();
    private readonly int[] permutation = op.PermutationFor(b.ShapeOf(node.Input(0)).Rank);

    public void Execute(ExecutionFrame f) => LayoutKernels.Transpose(f[input], shape, permutation, f[output]);
}

/// <summary>Concatenation: each input copied into its slice of the output, one block copy per outer index.</summary>
internal sealed unsafe class ConcatStep : IExecutionStep
{
    private readonly (int Slot, float[]? Constant, long Block)[] parts;
    private readonly int output;
    private readonly long outer, outBlock;

    public ConcatStep(ConcatOp op, Node node, StepBuilder b)
    {
        var y = b.ShapeOf(node.Outputs[0]);
        int axis = y.NormalizeAxis(op.Axis);
        outer = y.Product(0, axis);
        long inner = y.Product(axis + 1, y.Rank);
        outBlock = y[axis] * inner;
        parts = node.Inputs.Select(v => (v!.Constant is null ? b.SlotOf(v) : -1, v.Constant?.Data, b.ShapeOf(v)[axis] * inner)).ToArray();
        output = b.SlotOf(node.Outputs[0]);
    }

    public void Execute(ExecutionFrame f)
    {
        float* y = f[output];
        long offset = 0;
        foreach (var (slot, constant, block) in parts)
        {
            fixed (float* pc = constant)
            {
                float* x = constant is null ? f[slot] : pc;
                for (long o = 0; o < outer; o++)
                    Buffer.MemoryCopy(x + o * block, y + o * outBlock + offset, block * sizeof(float), block * sizeof(float));
            }
            offset += block;
        }
    }
}

/// <summary>Split / single-axis slice: each output copied out of its slice of the input.</summary>
internal sealed unsafe class SplitStep : IExecutionStep
{
    private readonly (int Slot, long Block, long Offset)[] parts;
    private readonly int input;
    private readonly long outer, inBlock;

    public SplitStep(SplitOp op, Node node, StepBuilder b)
    {
        var x = b.ShapeOf(node.Input(0));
        int axis = x.NormalizeAxis(op.Axis);
        outer = x.Product(0, axis);
        long inner = x.Product(axis + 1, x.Rank);
        inBlock = x[axis] * inner;
        long offset = op.Start * inner;
        parts = new (int, long, long)[node.Outputs.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = (b.SlotOf(node.Outputs[i]), op.Sizes[i] * inner, offset);
            offset += op.Sizes[i] * inner;
        }
        input = b.SlotOf(node.Input(0));
    }

    public void Execute(ExecutionFrame f)
    {
        float* x = f[input];
        foreach (var (slot, block, offset) in parts)
        {
            float* y = f[slot];
            for (long o = 0; o < outer; o++)
                Buffer.MemoryCopy(x + o * inBlock + offset, y + o * block, block * sizeof(float), block * sizeof(float));
        }
    }
}

/// <summary>Softmax / LogSoftmax along one axis.</summary>
internal sealed unsafe class SoftmaxStep : IExecutionStep
{
    private readonly SoftmaxOp op;
    private readonly int input, output, outer, axisSize, inner;

    public SoftmaxStep(SoftmaxOp op, Node node, StepBuilder b)
    {
        this.op = op;
        (outer, axisSize, inner) = op.Extents(b.ShapeOf(node.Input(0)));
        input = b.SlotOf(node.Input(0));
        output = b.SlotOf(node.Outputs[0]);
    }

    public void Execute(ExecutionFrame f)
    {
        if (op.Log) SoftmaxKernels.LogSoftmax(outer, axisSize, inner, f[input], f[output], f.Pool);
        else SoftmaxKernels.Softmax(outer, axisSize, inner, f[input], f[output], f.Pool);
    }
}
