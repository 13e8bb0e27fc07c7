using Elide.Kernels.Threading;

namespace Elide.Kernels;

/// <summary>Single-precision matrix multiplication on row-major matrices (BLAS SGEMM semantics).</summary>
/// <remarks>
/// Packed, register-blocked GEMM in the BLIS style (see <see cref="GemmDriver"/> and <see cref="GemmMicroKernel"/>).
/// Results match a plain sum up to float rounding: the order of the K-sum differs by K block and FMA use.
/// Threads split C into disjoint blocks, so results do not depend on the thread count.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>C = alpha·op(A)·op(B) + beta·C, row-major with leading dimensions.</summary>
    /// <remarks>op(A) is m×k: A stored m×k (or k×m when <paramref name="transA"/>); op(B) is k×n: B stored k×n (or n×k
    /// when <paramref name="transB"/>). When <paramref name="beta"/> is 0, C is not read (it may hold NaN); when
    /// alpha is 0 or k is 0, A and B are not read.</remarks>
    /// <exception cref="ArgumentException">A size is negative or a leading dimension is smaller than its row.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, WorkerPool? pool = null)
    {
        ValidateShape(transA, transB, m, n, k, lda, ldb, ldc);
        var job = new GemmJob
        {
            M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            A = a, ARowStride = transA ? 1 : lda, AColStride = transA ? lda : 1,
            B = b, BRowStride = transB ? 1 : ldb, BColStride = transB ? ldb : 1,
            C = c, Ldc = ldc,
        };
        GemmDriver.Run(job, pool);
    }

    /// <summary>C = alpha·op(A)·op(B) + beta·C on spans; see the pointer overload.</summary>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is too small, or a span is
    /// shorter than its matrix needs (the message names which).</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, WorkerPool? pool = null)
    {
        ValidateShape(transA, transB, m, n, k, lda, ldb, ldc);
        RequireLength(a.Length, transA ? k : m, transA ? m : k, lda, "a");
        RequireLength(b.Length, transB ? n : k, transB ? k : n, ldb, "b");
        RequireLength(c.Length, m, n, ldc, "c");
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, pool);
    }

    /// <summary>
    /// C[m×n] = A·B with prepacked A (m = <see cref="PackedMatrix.Rows"/>, k = <see cref="PackedMatrix.Depth"/>),
    /// then C = act(C + RowBias + Residual) from <paramref name="epilogue"/>. C is not read.
    /// </summary>
    /// <param name="a">Prepacked left operand.</param>
    /// <param name="b">B, k×n row-major with row stride <paramref name="ldb"/>.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="ldb">Row stride of B, at least n.</param>
    /// <param name="c">C, m×n row-major with row stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C, at least n.</param>
    /// <param name="epilogue">Bias, residual and activation fused into the store.</param>
    /// <param name="pool">Threads to use, or null for the calling thread only.</param>
    /// <exception cref="ArgumentException">n is negative, a stride is too small, or the residual is C itself.</exception>
    public static void Multiply(PackedMatrix a, float* b, int n, int ldb, float* c, int ldc, in GemmEpilogue epilogue,
        WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (n < 0) throw new ArgumentException($"n must be ≥ 0, got {n}.", nameof(n));
        if (ldb < Math.Max(1, n)) throw new ArgumentException($"ldb must be ≥ max(1, n = {n}), got {ldb}.", nameof(ldb));
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"ldc must be ≥ max(1, n = {n}), got {ldc}.", nameof(ldc));
        if (epilogue.Residual != null && epilogue.Residual == c)
            throw new ArgumentException("the epilogue residual must not be C itself (C is written before the residual is read).", nameof(epilogue));
        var job = new GemmJob
        {
            M = a.Rows, N = n, K = a.Depth, Alpha = 1f, Beta = 0f,
            PackedA = a.Data,
            B = b, BRowStride = ldb, BColStride = 1,
            // Few rows of C reuse each B panel only a few times, so copying B into panels costs more than it saves;
            // rows 4 KiB apart would alias in L1 sets, so those are packed regardless.
            ReadBInPlace = a.Rows <= 128 && ldb % 1024 != 0,
            C = c, Ldc = ldc, Epilogue = epilogue,
        };
        GemmDriver.Run(job, pool);
    }

    private static void ValidateShape(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 0) throw new ArgumentException($"m must be ≥ 0, got {m}.", nameof(m));
        if (n < 0) throw new ArgumentException($"n must be ≥ 0, got {n}.", nameof(n));
        if (k < 0) throw new ArgumentException($"k must be ≥ 0, got {k}.", nameof(k));
        int aCols = transA ? m : k, bCols = transB ? k : n;
        if (lda < Math.Max(1, aCols))
            throw new ArgumentException($"lda must be ≥ max(1, {aCols}) for {(transA ? "transposed " : "")}A of {m}×{k}, got {lda}.", nameof(lda));
        if (ldb < Math.Max(1, bCols))
            throw new ArgumentException($"ldb must be ≥ max(1, {bCols}) for {(transB ? "transposed " : "")}B of {k}×{n}, got {ldb}.", nameof(ldb));
        if (ldc < Math.Max(1, n))
            throw new ArgumentException($"ldc must be ≥ max(1, {n}) for C of {m}×{n}, got {ldc}.", nameof(ldc));
    }

    private static void RequireLength(int length, int rows, int cols, int ld, string name)
    {
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"{name} holds {length} floats but a {rows}×{cols} matrix with leading dimension {ld} needs {needed}.", name);
    }
}
