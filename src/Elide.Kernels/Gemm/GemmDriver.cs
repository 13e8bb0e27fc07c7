using System.Runtime.CompilerServices;
using Elide.Kernels.Threading;
using static Elide.Kernels.GemmTiling;

namespace Elide.Kernels;

/// <summary>One GEMM call: C = alpha·op(A)·op(B) + beta·C, then the epilogue. Plain data, copied into worker tasks.</summary>
internal unsafe struct GemmJob
{
    public int M, N, K;
    public float Alpha, Beta;

    /// <summary>op(A)(i, p) = A[i·ARowStride + p·AColStride]; unused when <see cref="PackedA"/> is set.</summary>
    public float* A;
    public nint ARowStride, AColStride;

    /// <summary>Prepacked A panels (panel q at PackedA + q·MR·K), or null to pack A on the fly.</summary>
    public float* PackedA;

    /// <summary>op(B)(p, j) = B[p·BRowStride + j·BColStride].</summary>
    public float* B;
    public nint BRowStride, BColStride;

    /// <summary>Read full NR-wide B panels straight from B (requires BColStride == 1) instead of packing them.</summary>
    public bool ReadBInPlace;

    public float* C;
    public int Ldc;
    public GemmEpilogue Epilogue;
}

/// <summary>
/// The BLIS loop nest around <see cref="GemmMicroKernel"/> (Van Zee &amp; van de Geijn 2015, Fig. 1): columns in NC
/// blocks, depth in KC blocks (pack B), rows in MC blocks (pack A), then NR×MR micro-tiles. Threads split the
/// columns (or the rows when C is narrow), each with its own pack buffers, the caller taking part.
/// </summary>
internal static unsafe class GemmDriver
{
    /// <summary>
    /// Below this many multiply-adds a call stays on one thread: waking a worker and splitting the packing costs a
    /// few microseconds, which is what ~0.5 M MACs take at 100+ GFLOP/s.
    /// </summary>
    internal const long ParallelThresholdMacs = 1L << 19;

    [ThreadStatic] private static GemmTask? cachedTask;

    /// <summary>Runs <paramref name="job"/>, in parallel on <paramref name="pool"/> when large enough.</summary>
    public static void Run(in GemmJob job, WorkerPool? pool)
    {
        if (job.M == 0 || job.N == 0) return;
        if (job.K == 0 || job.Alpha == 0f)
        {
            ScaleOnly(job);
            return;
        }
        int threads = pool?.Threads ?? 1;
        long macs = (long)job.M * job.N * job.K;
        int colPanels = (job.N + NR - 1) / NR;
        int rowPanels = (job.M + MR - 1) / MR;
        if (threads <= 1 || macs < ParallelThresholdMacs || (colPanels < 2 && rowPanels < 2))
        {
            RunBlock(job, 0, job.M, 0, job.N);
            return;
        }
        bool splitColumns = colPanels >= 2 * threads || colPanels >= rowPanels;
        int parts = Math.Min(threads, splitColumns ? colPanels : rowPanels);
        var task = cachedTask ??= new GemmTask();
        task.Job = job;
        task.Parts = parts;
        task.SplitColumns = splitColumns;
        pool!.Run(parts, task);
        task.Job = default;
    }

    /// <summary>C = beta·C (C not read when beta is 0), then the epilogue: the K = 0 or alpha = 0 case.</summary>
    private static void ScaleOnly(in GemmJob job)
    {
        for (int i = 0; i < job.M; i++)
        {
            float* row = job.C + (nint)i * job.Ldc;
            if (job.Beta == 0f) new Span<float>(row, job.N).Clear();
            else if (job.Beta != 1f)
                for (int j = 0; j < job.N; j++) row[j] *= job.Beta;
        }
        if (!job.Epilogue.IsNone) job.Epilogue.ApplyBlock(job.C, job.Ldc, 0, job.M, 0, job.N);
    }

    /// <summary>Computes C[rowStart..rowEnd, colStart..colEnd]; rowStart is a multiple of MR, colStart of NR.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunBlock(in GemmJob job, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        var scratch = ScratchBuffers.ForCurrentThread;
        bool hasEpilogue = !job.Epilogue.IsNone;
        for (int jc = colStart; jc < colEnd; jc += NC)
        {
            int nc = Math.Min(NC, colEnd - jc);
            for (int pc = 0; pc < job.K; pc += KC)
            {
                int kc = Math.Min(KC, job.K - pc);
                float beta = pc == 0 ? job.Beta : 1f;
                bool lastDepth = pc + kc == job.K;
                float* bSource = job.B + pc * job.BRowStride + jc * job.BColStride;

                // Either pack the whole KC×NC block of B, or read full panels in place and pack only the ragged one.
                float* bPacked;
                int fullInPlace = job.ReadBInPlace ? nc / NR * NR : 0;
                if (job.ReadBInPlace)
                {
                    bPacked = scratch.PackB((long)kc * NR);
                    if (fullInPlace < nc)
                        GemmPacking.PackB(bSource + fullInPlace, job.BRowStride, 1, kc, nc - fullInPlace, bPacked);
                }
                else
                {
                    bPacked = scratch.PackB((long)kc * RoundUp(nc, NR));
                    GemmPacking.PackB(bSource, job.BRowStride, job.BColStride, kc, nc, bPacked);
                }

                for (int ic = rowStart; ic < rowEnd; ic += MC)
                {
                    int mc = Math.Min(MC, rowEnd - ic);
                    float* aBlock;
                    nint aPanelStride;
                    if (job.PackedA != null)
                    {
                        aBlock = job.PackedA + (nint)ic * job.K + (nint)pc * MR;
                        aPanelStride = (nint)MR * job.K;
                    }
                    else
                    {
                        aBlock = scratch.PackA((long)RoundUp(mc, MR) * kc);
                        GemmPacking.PackA(job.A + ic * job.ARowStride + pc * job.AColStride, job.ARowStride,
                            job.AColStride, mc, kc, aBlock);
                        aPanelStride = (nint)MR * kc;
                    }

                    for (int jr = 0; jr < nc; jr += NR)
                    {
                        int nr = Math.Min(NR, nc - jr);
                        bool inPlace = jr < fullInPlace;
                        float* bPanel = job.ReadBInPlace ? bPacked : bPacked + (nint)jr * kc;
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            int mr = Math.Min(MR, mc - ir);
                            float* aPanel = aBlock + ir / MR * aPanelStride;
                            float* cTile = job.C + (nint)(ic + ir) * job.Ldc + jc + jr;
                            if (inPlace)
                                GemmMicroKernel.Tile(kc, aPanel, new StridedPanelB(bSource + jr, (int)job.BRowStride),
                                    cTile, job.Ldc, mr, nr, job.Alpha, beta);
                            else
                                GemmMicroKernel.Tile(kc, aPanel, new PackedPanelB(bPanel), cTile, job.Ldc, mr, nr,
                                    job.Alpha, beta);
                            // The tile was just written and is still in L1: finish it now.
                            if (lastDepth && hasEpilogue)
                                job.Epilogue.ApplyBlock(cTile, job.Ldc, ic + ir, mr, jc + jr, nr);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The per-thread share of a parallel GEMM.</summary>
    private sealed class GemmTask : IParallelTask
    {
        public GemmJob Job;
        public int Parts;
        public bool SplitColumns;

        public void Execute(int index)
        {
            if (SplitColumns)
            {
                var (start, end) = WorkerPool.Range(index, Parts, (Job.N + NR - 1) / NR);
                RunBlock(Job, 0, Job.M, start * NR, Math.Min(Job.N, end * NR));
            }
            else
            {
                var (start, end) = WorkerPool.Range(index, Parts, (Job.M + MR - 1) / MR);
                RunBlock(Job, start * MR, Math.Min(Job.M, end * MR), 0, Job.N);
            }
        }
    }
}
