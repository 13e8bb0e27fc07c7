using Elide.Kernels;
using Elide.Kernels.Threading;

namespace Elide.Bench;

/// <summary>
/// <c>gemm</c>: square SGEMM GFLOP/s of Elide against OpenBLAS cblas_sgemm in the same process, the two alternating
/// sample by sample so machine noise hits both alike.
/// </summary>
public static unsafe class GemmBench
{
    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(BenchArgs args)
    {
        int threads = args.Int("threads", 1);
        int[] sizes = args.IntList("sizes", [256, 512, 1024, 2048]);
        int samples = args.Int("samples", 21);
        string trans = args.Text("trans", "NN").ToUpperInvariant();
        if (threads < 1) throw new ArgumentException("--threads must be ≥ 1");
        if (trans.Length != 2 || trans.Any(ch => ch != 'N' && ch != 'T'))
            throw new ArgumentException($"--trans must be NN, NT, TN or TT, got '{trans}'");
        bool transA = trans[0] == 'T', transB = trans[1] == 'T';

        bool haveBlas = OpenBlas.IsAvailable;
        if (haveBlas) OpenBlas.SetThreads(threads);
        else Console.WriteLine("OpenBLAS not found (libopenblas.so.0): install it with `apt-get install -y libopenblas0-pthread`; showing Elide only.");

        var pool = threads > 1 ? new WorkerPool(threads) : null;
        Console.WriteLine($"SGEMM C = op(A)·op(B), row-major, op = {trans}, {threads} thread(s), {KernelInfo.InstructionSet}, median of {samples}");
        string? coreType = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        if (haveBlas) Console.WriteLine($"OpenBLAS core: {OpenBlas.CoreName} (OPENBLAS_CORETYPE={coreType ?? "unset"})");
        if (haveBlas && coreType != null)
            Console.WriteLine("note: OPENBLAS_CORETYPE pins OpenBLAS's kernel family; to compare against its own choice run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`.");
        Console.WriteLine($"micro-kernel alone ({GemmTiling.MR}x{GemmTiling.NR}, kc {GemmTiling.KC}, operands in L1): {MicroKernelRate(samples):F1} GFLOP/s");
        Console.WriteLine("GFLOP/s: median of samples (best sample); ratio = median over adjacent Elide/OpenBLAS sample pairs");
        Console.WriteLine($"{"size",6} {"Elide",16} {"OpenBLAS",16} {"ratio",7}");
        foreach (int size in sizes)
        {
            var r = Measure(size, transA, transB, pool, haveBlas, samples);
            string blasText = haveBlas ? $"{r.Blas,7:F1} ({r.BlasBest,6:F1})" : $"{"n/a",16}";
            string ratio = haveBlas ? $"{r.Ratio,7:F2}" : $"{"",7}";
            Console.WriteLine($"{size,6} {r.Elide,7:F1} ({r.ElideBest,6:F1}) {blasText} {ratio}");
        }
        pool?.Dispose();
        return 0;
    }

    /// <summary>The register-blocked inner kernel on one packed A panel and one B panel that stay in L1: the
    /// ceiling the full GEMM can approach.</summary>
    private static double MicroKernelRate(int samples)
    {
        const int kc = GemmTiling.KC;
        var a = GC.AllocateArray<float>(kc * GemmTiling.MR + 16, pinned: true);
        var b = GC.AllocateArray<float>(kc * GemmTiling.NR + 16, pinned: true);
        var c = GC.AllocateArray<float>(GemmTiling.MR * GemmTiling.NR + 16, pinned: true);
        fixed (float* pa = a, pb = b, pc = c)
        {
            float* xa = pa, xb = pb, xc = pc;
            Action run = () =>
            {
                for (int i = 0; i < 100; i++)
                    GemmMicroKernel.Full(kc, xa, new PackedPanelB(xb), xc, GemmTiling.NR, 1f, 1f);
            };
            for (int i = 0; i < 100; i++) run();
            int calls = Timing.CallsPerSample(run, 10);
            var times = new List<double>();
            for (int s = 0; s < samples; s++) times.Add(Timing.Sample(run, calls));
            return 100.0 * 2 * kc * GemmTiling.MR * GemmTiling.NR / Timing.Median(times) / 1e9;
        }
    }

    private readonly record struct Result(double Elide, double ElideBest, double Blas, double BlasBest, double Ratio);

    private static Result Measure(int size, bool transA, bool transB, WorkerPool? pool, bool haveBlas, int samples)
    {
        int n = size;
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        var random = new Random(42);
        for (int i = 0; i < a.Length; i++) { a[i] = random.NextSingle() - 0.5f; b[i] = random.NextSingle() - 0.5f; }
        double flops = 2.0 * n * n * n;
        fixed (float* pa = a, pb = b, pc = c)
        {
            float* xa = pa, xb = pb, xc = pc;
            Action elide = () => Gemm.Sgemm(transA, transB, n, n, n, 1f, xa, n, xb, n, 0f, xc, n, pool);
            Action blas = () => OpenBlas.Sgemm(transA, transB, n, n, n, 1f, xa, n, xb, n, 0f, xc, n);
            for (int i = 0; i < 3; i++) { elide(); if (haveBlas) blas(); }
            int elideCalls = Timing.CallsPerSample(elide, 10);
            int blasCalls = haveBlas ? Timing.CallsPerSample(blas, 10) : 0;
            var elideTimes = new List<double>();
            var blasTimes = new List<double>();
            var ratios = new List<double>();
            for (int s = 0; s < samples; s++)
            {
                elideTimes.Add(Timing.Sample(elide, elideCalls));
                if (!haveBlas) continue;
                blasTimes.Add(Timing.Sample(blas, blasCalls));
                ratios.Add(blasTimes[^1] / elideTimes[^1]);
            }
            return haveBlas
                ? new Result(flops / Timing.Median(elideTimes) / 1e9, flops / elideTimes.Min() / 1e9,
                    flops / Timing.Median(blasTimes) / 1e9, flops / blasTimes.Min() / 1e9, Timing.Median(ratios))
                : new Result(flops / Timing.Median(elideTimes) / 1e9, flops / elideTimes.Min() / 1e9, double.NaN, double.NaN, double.NaN);
        }
    }
}
