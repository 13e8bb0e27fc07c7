using System.Runtime.InteropServices;

namespace Elide.Bench;

/// <summary>Debian's OpenBLAS (<c>apt-get install -y libopenblas0-pthread</c>) through its CBLAS interface.</summary>
public static unsafe partial class OpenBlas
{
    private const string Library = "libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    /// <summary>Whether the library can be loaded.</summary>
    public static bool IsAvailable { get; } = NativeLibrary.TryLoad(Library, out _);

    /// <summary>cblas_sgemm in row-major order.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b,
        int ldb, float beta, float* c, int ldc) =>
        cblas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>Sets OpenBLAS's thread count.</summary>
    public static void SetThreads(int threads) => openblas_set_num_threads(threads);

    /// <summary>The kernel family OpenBLAS picked at load time (e.g. "Haswell", "SkylakeX").</summary>
    public static string CoreName => Marshal.PtrToStringAnsi(openblas_get_corename()) ?? "?";

    [LibraryImport(Library)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library)]
    private static partial void openblas_set_num_threads(int threads);

    [LibraryImport(Library)]
    private static partial IntPtr openblas_get_corename();
}
