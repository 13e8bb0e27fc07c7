using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>
/// Per-channel normalization over NCHW tensors viewed as [batch, channels, spatial] (spatial = H·W, or the product of
/// all dimensions after the channel one; 1 for [N, C] inputs).
/// </summary>
/// <remarks>
/// NaN in any input propagates to the outputs it touches; a channel whose variance + ε is negative gives NaN (the
/// square root of a negative number), as in the ONNX reference. x and y may be the same memory.
/// </remarks>
public static class NormalizationKernels
{
    [ThreadStatic] private static NormalizationTask? cachedTask;

    /// <summary>
    /// ONNX BatchNormalization in inference mode:
    /// y[n,c,s] = scale[c]·(x[n,c,s] − mean[c]) / √(variance[c] + ε) + bias[c].
    /// </summary>
    /// <remarks>Computed as (x − mean)·k + bias with k = scale/√(var + ε) per channel, which costs the same as the folded
    /// x·k + (bias − mean·k) but does not cancel when x ≈ mean.</remarks>
    /// <exception cref="ArgumentException">A size is negative, or a span's length does not match the sizes.</exception>
    public static unsafe void BatchNormInference(int batch, int channels, int spatial, ReadOnlySpan<float> x,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance,
        float epsilon, Span<float> y)
    {
        CheckTensor(batch, channels, spatial, x.Length, y.Length);
        CheckChannels(channels, scale.Length, nameof(scale));
        CheckChannels(channels, bias.Length, nameof(bias));
        CheckChannels(channels, mean.Length, nameof(mean));
        CheckChannels(channels, variance.Length, nameof(variance));
        CheckAlias(x, y);
        fixed (float* px = x) fixed (float* ps = scale) fixed (float* pb = bias) fixed (float* pm = mean)
        fixed (float* pv = variance) fixed (float* py = y)
            BatchNormInference(batch, channels, spatial, px, ps, pb, pm, pv, epsilon, py, null);
    }

    /// <summary>Pointer form of BatchNormInference, split across <paramref name="pool"/> over the batch·channels planes
    /// when the tensor has at least 64K elements. Assumes valid input.</summary>
    public static unsafe void BatchNormInference(int batch, int channels, int spatial, float* x, float* scale, float* bias,
        float* mean, float* variance, float epsilon, float* y, WorkerPool? pool)
    {
        var job = new Job
        {
            Batch = batch, Channels = channels, Spatial = spatial, X = x, Y = y,
            Scale = scale, Bias = bias, Mean = mean, Variance = variance, Epsilon = epsilon, IsBatchNorm = true,
        };
        Run(job, pool);
    }

    /// <summary>y[n,c,s] = activation(x[n,c,s]·multiplier[c] + addend[c]) — a folded BatchNorm or a per-channel Mul+Add
    /// (multiplier 1 for a bias, addend 0 for a scale), with an optional fused activation.</summary>
    /// <exception cref="ArgumentException">A size is negative, or a span's length does not match the sizes.</exception>
    public static unsafe void ChannelAffine(int batch, int channels, int spatial, ReadOnlySpan<float> x,
        ReadOnlySpan<float> multiplier, ReadOnlySpan<float> addend, Span<float> y, in Activation activation = default)
    {
        CheckTensor(batch, channels, spatial, x.Length, y.Length);
        CheckChannels(channels, multiplier.Length, nameof(multiplier));
        CheckChannels(channels, addend.Length, nameof(addend));
        CheckAlias(x, y);
        fixed (float* px = x) fixed (float* pm = multiplier) fixed (float* pa = addend) fixed (float* py = y)
            ChannelAffine(batch, channels, spatial, px, pm, pa, py, activation, null);
    }

    /// <summary>Pointer form of ChannelAffine, split across <paramref name="pool"/> over the batch·channels planes when
    /// the tensor has at least 64K elements. Assumes valid input.</summary>
    public static unsafe void ChannelAffine(int batch, int channels, int spatial, float* x, float* multiplier, float* addend,
        float* y, in Activation activation, WorkerPool? pool)
    {
        var job = new Job
        {
            Batch = batch, Channels = channels, Spatial = spatial, X = x, Y = y,
            Scale = multiplier, Bias = addend, Activation = activation,
        };
        Run(job, pool);
    }

    private static void Run(in Job job, WorkerPool? pool)
    {
        long total = (long)job.Batch * job.Channels * job.Spatial;
        if (total == 0) return;
        // With spatial = 1 the work is split by batch rows (each row is one vector pass over the channels).
        int units = job.Spatial == 1 ? job.Batch : job.Batch * job.Channels;
        if (pool is null || pool.Threads == 1 || total < ActivationKernels.ParallelThreshold || units < 2)
        {
            Execute(job, 0, units);
            return;
        }
        var task = cachedTask ?? new NormalizationTask();
        cachedTask = null;
        task.Job = job;
        task.Units = units;
        task.Parts = Math.Min(pool.Threads, units);
        try { pool.Run(task.Parts, task); }
        finally { cachedTask = task; }
    }

    private static void Execute(in Job job, int start, int end)
    {
        if (job.IsBatchNorm)
        {
            BatchNormUnits(job, start, end);
        }
        else
        {
            var visitor = new AffineVisitor { Job = job, Start = start, End = end };
            ActivationDispatch.Accept(job.Activation, ref visitor);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BatchNormUnits(in Job job, int start, int end)
    {
        int channels = job.Channels, spatial = job.Spatial;
        if (spatial == 1)
        {
            for (int n = start; n < end; n++)
            {
                float* x = job.X + (nint)n * channels, y = job.Y + (nint)n * channels;
                int c = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    var eps = Vector512.Create(job.Epsilon);
                    for (; c <= channels - 16; c += 16)
                    {
                        var k = Vector512.Load(job.Scale + c) / Vector512.Sqrt(Vector512.Load(job.Variance + c) + eps);
                        Vector512.FusedMultiplyAdd(Vector512.Load(x + c) - Vector512.Load(job.Mean + c), k, Vector512.Load(job.Bias + c)).Store(y + c);
                    }
                }
                if (Vector256.IsHardwareAccelerated)
                {
                    var eps = Vector256.Create(job.Epsilon);
                    for (; c <= channels - 8; c += 8)
                    {
                        var k = Vector256.Load(job.Scale + c) / Vector256.Sqrt(Vector256.Load(job.Variance + c) + eps);
                        Vector256.FusedMultiplyAdd(Vector256.Load(x + c) - Vector256.Load(job.Mean + c), k, Vector256.Load(job.Bias + c)).Store(y + c);
                    }
                }
                for (; c < channels; c++)
                    y[c] = (x[c] - job.Mean[c]) * (job.Scale[c] / MathF.Sqrt(job.Variance[c] + job.Epsilon)) + job.Bias[c];
            }
            return;
        }

        for (int plane = start; plane < end; plane++)
        {
            int c = plane % channels;
            float k = job.Scale[c] / MathF.Sqrt(job.Variance[c] + job.Epsilon);
            float mean = job.Mean[c], bias = job.Bias[c];
            float* x = job.X + (nint)plane * spatial, y = job.Y + (nint)plane * spatial;
            int s = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> vk = Vector512.Create(k), vm = Vector512.Create(mean), vb = Vector512.Create(bias);
                for (; s <= spatial - 16; s += 16)
                    Vector512.FusedMultiplyAdd(Vector512.Load(x + s) - vm, vk, vb).Store(y + s);
            }
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> vk = Vector256.Create(k), vm = Vector256.Create(mean), vb = Vector256.Create(bias);
                for (; s <= spatial - 8; s += 8)
                    Vector256.FusedMultiplyAdd(Vector256.Load(x + s) - vm, vk, vb).Store(y + s);
            }
            for (; s < spatial; s++)
                y[s] = (x[s] - mean) * k + bias;
        }
    }

    private unsafe struct AffineVisitor : IActivationVisitor
    {
        public Job Job;
        public int Start, End;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Visit<TActivation>(TActivation act) where TActivation : struct, IUnaryOperator
        {
            int channels = Job.Channels, spatial = Job.Spatial;
            if (spatial == 1)
            {
                for (int n = Start; n < End; n++)
                    AffineRow(act, Job.X + (nint)n * channels, Job.Scale, Job.Bias, Job.Y + (nint)n * channels, channels);
                return;
            }
            for (int plane = Start; plane < End; plane++)
            {
                int c = plane % channels;
                AffinePlane(act, Job.X + (nint)plane * spatial, Job.Scale[c], Job.Bias[c], Job.Y + (nint)plane * spatial, spatial);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AffinePlane<TActivation>(TActivation act, float* x, float m, float a, float* y, int n)
        where TActivation : struct, IUnaryOperator
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> vm = Vector512.Create(m), va = Vector512.Create(a);
            for (; i <= n - 16; i += 16)
                act.Invoke(Vector512.FusedMultiplyAdd(Vector512.Load(x + i), vm, va)).Store(y + i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vm = Vector256.Create(m), va = Vector256.Create(a);
            for (; i <= n - 8; i += 8)
                act.Invoke(Vector256.FusedMultiplyAdd(Vector256.Load(x + i), vm, va)).Store(y + i);
        }
        for (; i < n; i++)
            y[i] = act.Invoke(x[i] * m + a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AffineRow<TActivation>(TActivation act, float* x, float* m, float* a, float* y, int n)
        where TActivation : struct, IUnaryOperator
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
                act.Invoke(Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(m + i), Vector512.Load(a + i))).Store(y + i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
                act.Invoke(Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(m + i), Vector256.Load(a + i))).Store(y + i);
        }
        for (; i < n; i++)
            y[i] = act.Invoke(x[i] * m[i] + a[i]);
    }

    private static void CheckTensor(int batch, int channels, int spatial, int xLength, int yLength)
    {
        if (batch < 0 || channels < 0 || spatial < 0)
            throw new ArgumentException($"Sizes must not be negative (batch {batch}, channels {channels}, spatial {spatial}).");
        long count = (long)batch * channels * spatial;
        if (xLength != count)
            throw new ArgumentException($"x has {xLength} elements but {batch}×{channels}×{spatial} = {count}.", "x");
        if (yLength != count)
            throw new ArgumentException($"y has {yLength} elements but {batch}×{channels}×{spatial} = {count}.", "y");
    }

    private static void CheckAlias(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException("x and y overlap at different offsets; they must be disjoint or identical.", nameof(y));
    }

    private static void CheckChannels(int channels, int length, string name)
    {
        if (length != channels)
            throw new ArgumentException($"{name} has {length} elements but there are {channels} channels.", name);
    }

    private unsafe struct Job
    {
        public int Batch, Channels, Spatial;
        public float* X, Y, Scale, Bias, Mean, Variance;
        public float Epsilon;
        public bool IsBatchNorm;
        public Activation Activation;
    }

    private sealed class NormalizationTask : IParallelTask
    {
        public Job Job;
        public int Units, Parts;

        public void Execute(int index)
        {
            var (start, end) = WorkerPool.Range(index, Parts, Units);
            NormalizationKernels.Execute(Job, start, end);
        }
    }
}
