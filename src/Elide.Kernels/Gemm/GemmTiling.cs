namespace Elide.Kernels;

/// <summary>
/// Register and cache blocking of the packed GEMM (Goto &amp; van de Geijn, "Anatomy of High-Performance Matrix
/// Multiplication", TOMS 2008; the BLIS five-loop structure, Van Zee &amp; van de Geijn, TOMS 2015).
/// </summary>
/// <remarks>
/// One micro-tile is <see cref="MR"/> rows × <see cref="NR"/> columns of C held in registers: with Vector512 that is
/// 8 rows × 2 vectors = 16 accumulators (of 32 zmm registers), enough independent FMA chains to cover a 4-cycle FMA
/// latency on two FMA pipes, and each broadcast A element feeds two FMAs. 8 rows also divide the channel counts
/// that matter for convolutions (16, 32, 64) with no wasted rows, which a 14-row tile would not.
/// The same packed layout is used by every instruction set so packed weights are portable between fallbacks.
/// </remarks>
internal static class GemmTiling
{
    /// <summary>Rows of C per micro-tile (rows of a packed A panel).</summary>
    public const int MR = 8;

    /// <summary>Columns of C per micro-tile (columns of a packed B panel).</summary>
    public const int NR = 32;

    /// <summary>Depth of one K block: a KC×NR B panel (32 KiB) stays in the 48 KiB L1 while A panels stream from L2.</summary>
    public const int KC = 256;

    /// <summary>Rows of one packed A block: MC×KC floats (128 KiB) sit in L2 (1–1.25 MiB), leaving room for the B
    /// panels streaming through it; 128 measured best of 64–256 on 2048² (Zen 5, 1 MiB L2).</summary>
    public const int MC = 128;

    /// <summary>Columns of one packed B block: KC×NC floats (2 MiB) are meant for L3.</summary>
    public const int NC = 2048;

    /// <summary>Rounds <paramref name="value"/> up to a multiple of <paramref name="step"/>.</summary>
    public static int RoundUp(int value, int step) => (value + step - 1) / step * step;
}
