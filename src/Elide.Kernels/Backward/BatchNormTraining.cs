using System.Runtime.CompilerServices;
using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>
/// Training-mode batch normalization over [N, C, S] (S = spatial size), Ioffe &amp; Szegedy 2015, Alg. 1 and §3:
/// per channel c, over the M = N·S values of the batch,
/// μ = (1/M)·Σx, σ² = (1/M)·Σ(x − μ)² (biased), x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β.
/// Backward: ∂β = Σ∂y, ∂γ = Σ∂y·x̂, ∂x = γ/√(σ² + ε) · (∂y − ∂β/M − x̂·∂γ/M).
/// Running averages follow PyTorch's convention: r ← (1 − momentum)·r + momentum·batch value, with the unbiased
/// variance σ²·M/(M − 1) entering the running variance.
/// The <c>…Scalar</c> methods are the definitions (double accumulation); the fast ones vectorize each plane and
/// split channels across the pool.
/// </summary>
public static unsafe class BatchNormTraining
{
    /// <summary>Definition of the forward pass: writes y, and the batch mean and biased variance per channel.</summary>
    public static void ForwardScalar(int batch, int channels, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, float epsilon, Span<float> y, Span<float> mean, Span<float> variance)
    {
        long count = (long)batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
            for (int i = 0; i < spatial; i++) sum += x[(n * channels + c) * spatial + i];
            double mu = sum / Math.Max(count, 1);
            double squares = 0;
            for (int n = 0; n < batch; n++)
            for (int i = 0; i < spatial; i++)
            {
                double d = x[(n * channels + c) * spatial + i] - mu;
                squares += d * d;
            }
            double var = squares / Math.Max(count, 1);
            double inv = 1.0 / Math.Sqrt(var + epsilon);
            for (int n = 0; n < batch; n++)
            for (int i = 0; i < spatial; i++)
            {
                int o = (n * channels + c) * spatial + i;
                y[o] = (float)(gamma[c] * (x[o] - mu) * inv + beta[c]);
            }
            mean[c] = (float)mu;
            variance[c] = (float)var;
        }
    }

    /// <summary>Definition of the backward pass: writes ∂x, ∂γ, ∂β from x, ∂y and the forward's batch statistics.</summary>
    public static void BackwardScalar(int batch, int channels, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float epsilon,
        Span<float> dx, Span<float> dGamma, Span<float> dBeta)
    {
        long count = (long)batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double inv = 1.0 / Math.Sqrt((double)variance[c] + epsilon);
            double sumDy = 0, sumDyXhat = 0;
            for (int n = 0; n < batch; n++)
            for (int i = 0; i < spatial; i++)
            {
                int o = (n * channels + c) * spatial + i;
                sumDy += dy[o];
                sumDyXhat += dy[o] * (x[o] - mean[c]) * inv;
            }
            for (int n = 0; n < batch; n++)
            for (int i = 0; i < spatial; i++)
            {
                int o = (n * channels + c) * spatial + i;
                double xhat = (x[o] - mean[c]) * inv;
                dx[o] = (float)(gamma[c] * inv * (dy[o] - sumDy / count - xhat * sumDyXhat / count));
            }
            dGamma[c] = (float)sumDyXhat;
            dBeta[c] = (float)sumDy;
        }
    }

    /// <summary>
    /// Running-average update from one batch of <paramref name="count"/> values per channel (count = N·S):
    /// runningMean ← (1 − m)·runningMean + m·mean; runningVariance ← (1 − m)·runningVariance + m·variance·count/(count − 1).
    /// </summary>
    public static void UpdateRunningStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, long count, float momentum,
        Span<float> runningMean, Span<float> runningVariance)
    {
        double unbias = count > 1 ? count / (double)(count - 1) : 1.0;
        for (int c = 0; c < mean.Length; c++)
        {
            runningMean[c] = (float)((1.0 - momentum) * runningMean[c] + momentum * (double)mean[c]);
            runningVariance[c] = (float)((1.0 - momentum) * runningVariance[c] + momentum * variance[c] * unbias);
        }
    }

    /// <summary>Fast forward: same contract as <see cref="ForwardScalar"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(int batch, int channels, int spatial, float* x, float* gamma, float* beta, float epsilon,
        float* y, float* mean, float* variance, WorkerPool? pool)
    {
        nint xa = (nint)x, ga = (nint)gamma, ba = (nint)beta, ya = (nint)y, ma = (nint)mean, va = (nint)variance;
        ForEachChannel(channels, batch * spatial, pool, c =>
            ForwardChannel(batch, channels, spatial, c, (float*)xa, (float*)ga, (float*)ba, epsilon, (float*)ya, (float*)ma, (float*)va));
    }

    /// <summary>Fast backward: same contract as <see cref="BackwardScalar"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(int batch, int channels, int spatial, float* x, float* dy, float* gamma, float* mean, float* variance,
        float epsilon, float* dx, float* dGamma, float* dBeta, WorkerPool? pool)
    {
        nint xa = (nint)x, dya = (nint)dy, ga = (nint)gamma, ma = (nint)mean, va = (nint)variance;
        nint dxa = (nint)dx, dga = (nint)dGamma, dba = (nint)dBeta;
        ForEachChannel(channels, batch * spatial, pool, c =>
            BackwardChannel(batch, channels, spatial, c, (float*)xa, (float*)dya, (float*)ga, (float*)ma, (float*)va, epsilon,
                (float*)dxa, (float*)dga, (float*)dba));
    }

    private static void ForEachChannel(int channels, long perChannel, WorkerPool? pool, Action<int> body)
    {
        // Fan out only when each thread gets enough work to repay the wake-up (tens of thousands of values).
        if (pool is null || pool.Threads == 1 || channels * perChannel < 32_768)
        {
            for (int c = 0; c < channels; c++) body(c);
            return;
        }
        pool.For(channels, body);
    }

    private static void ForwardChannel(int batch, int channels, int spatial, int c, float* x, float* gamma, float* beta, float epsilon,
        float* y, float* mean, float* variance)
    {
        long count = (long)batch * spatial;
        double sum = 0;
        for (int n = 0; n < batch; n++) sum += PlaneMath.Sum(x + ((long)n * channels + c) * spatial, spatial);
        float mu = (float)(sum / Math.Max(count, 1));
        double squares = 0;
        for (int n = 0; n < batch; n++) squares += PlaneMath.SumSquaredDeviation(x + ((long)n * channels + c) * spatial, spatial, mu);
        double var = squares / Math.Max(count, 1);
        double inv = 1.0 / Math.Sqrt(var + epsilon);
        float scale = (float)(gamma[c] * inv);
        for (int n = 0; n < batch; n++)
        {
            long o = ((long)n * channels + c) * spatial;
            PlaneMath.CenteredAffine(x + o, spatial, mu, scale, beta[c], y + o);
        }
        mean[c] = mu;
        variance[c] = (float)var;
    }

    private static void BackwardChannel(int batch, int channels, int spatial, int c, float* x, float* dy, float* gamma, float* mean,
        float* variance, float epsilon, float* dx, float* dGamma, float* dBeta)
    {
        long count = (long)batch * spatial;
        double inv = 1.0 / Math.Sqrt((double)variance[c] + epsilon);
        double sumDy = 0, sumDyCentered = 0;
        for (int n = 0; n < batch; n++)
        {
            long o = ((long)n * channels + c) * spatial;
            sumDy += PlaneMath.Sum(dy + o, spatial);
            sumDyCentered += PlaneMath.SumProductCentered(dy + o, x + o, spatial, mean[c]);
        }
        double sumDyXhat = sumDyCentered * inv;
        // ∂x = a·∂y + b·(x − μ) + c with a = γ·inv, b = −a·inv·Σ∂y·x̂/M, c = −a·Σ∂y/M.
        double a = gamma[c] * inv;
        double b = count > 0 ? -a * inv * sumDyXhat / count : 0;
        double constant = count > 0 ? -a * sumDy / count : 0;
        for (int n = 0; n < batch; n++)
        {
            long o = ((long)n * channels + c) * spatial;
            PlaneMath.CenteredLinearCombination((float)a, dy + o, (float)b, x + o, mean[c], (float)constant, spatial, dx + o);
        }
        dGamma[c] = (float)sumDyXhat;
        dBeta[c] = (float)sumDy;
    }
}
