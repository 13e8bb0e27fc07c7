using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>
/// A fully connected layer Y = X·Wᵀ + b with X [N, K], W [M, K] (PyTorch/ONNX Gemm transB layout), b [M], and its
/// gradients ∂X = ∂Y·W, ∂W = ∂Yᵀ·X, ∂b = Σ_n ∂Y[n, ·]. The <c>…Scalar</c> methods are the definitions; the others
/// are single GEMM calls.
/// </summary>
public static unsafe class LinearKernels
{
    /// <summary>Definition of the forward pass. <paramref name="b"/> may be empty (no bias).</summary>
    public static void ForwardScalar(int n, int k, int m, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y)
    {
        for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
        {
            float s = b.IsEmpty ? 0f : b[j];
            for (int p = 0; p < k; p++) s += x[i * k + p] * w[j * k + p];
            y[i * m + j] = s;
        }
    }

    /// <summary>Definition of the backward pass: writes ∂X (unless empty), ∂W, and ∂b (unless empty).</summary>
    public static void BackwardScalar(int n, int k, int m, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dw, Span<float> db)
    {
        if (!dx.IsEmpty)
        {
            for (int i = 0; i < n; i++)
            for (int p = 0; p < k; p++)
            {
                float s = 0f;
                for (int j = 0; j < m; j++) s += dy[i * m + j] * w[j * k + p];
                dx[i * k + p] = s;
            }
        }
        for (int j = 0; j < m; j++)
        for (int p = 0; p < k; p++)
        {
            float s = 0f;
            for (int i = 0; i < n; i++) s += dy[i * m + j] * x[i * k + p];
            dw[j * k + p] = s;
        }
        if (!db.IsEmpty)
        {
            for (int j = 0; j < m; j++)
            {
                float s = 0f;
                for (int i = 0; i < n; i++) s += dy[i * m + j];
                db[j] = s;
            }
        }
    }

    /// <summary>Y = X·Wᵀ (+ b when <paramref name="b"/> is not null), one GEMM.</summary>
    public static void Forward(int n, int k, int m, float* x, float* w, float* b, float* y, WorkerPool? pool)
    {
        Gemm.Sgemm(false, true, n, m, k, 1f, x, k, w, k, 0f, y, m, pool);
        if (b == null) return;
        for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) y[(long)i * m + j] += b[j];
    }

    /// <summary>∂X = ∂Y·W (skipped when <paramref name="dx"/> is null), ∂W = ∂Yᵀ·X, ∂b = column sums of ∂Y (when not null).</summary>
    public static void Backward(int n, int k, int m, float* x, float* w, float* dy, float* dx, float* dw, float* db, WorkerPool? pool)
    {
        if (dx != null) Gemm.Sgemm(false, false, n, k, m, 1f, dy, m, w, k, 0f, dx, k, pool);
        Gemm.Sgemm(true, false, m, k, n, 1f, dy, m, x, k, 0f, dw, k, pool);
        if (db == null) return;
        for (int j = 0; j < m; j++) db[j] = 0f;
        for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) db[j] += dy[(long)i * m + j];
    }
}
