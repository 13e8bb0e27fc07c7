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
        int samples = args.Int("samples", 9);
        if (threads < 1) throw new ArgumentException("--threads must be ≥ 1");

        bool haveBlas = OpenBlas.IsAvailable;
        if (haveBlas) OpenBlas.SetThreads(threads);
        else Console.WriteLine("OpenBLAS not found (libopenblas.so.0): install it with `apt-get install -y libopenblas0-pthread`; showing Elide only.");

        var pool = threads > 1 ? new WorkerPool(threads) : null;
        Console.WriteLine($"SGEMM C = A·B (row-major, no transpose), {threads} thread(s), {KernelInfo.InstructionSet}, median of {samples}");
        if (haveBlas) Console.WriteLine($"OpenBLAS core: {OpenBlas.CoreName} (OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "unset"})");
        Console.WriteLine($"{"size",6} {"Elide GFLOP/s",14} {"OpenBLAS GFLOP/s",17} {"ratio",7}");
        foreach (int size in sizes)
        {
            var (elide, blas) = Measure(size, pool, haveBlas, samples);
            string blasText = haveBlas ? $"{blas,17:F1}" : $"{"n/a",17}";
            string ratio = haveBlas ? $"{elide / blas,7:F2}" : $"{"",7}";
            Console.WriteLine($"{size,6} {elide,14:F1} {blasText} {ratio}");
        }
        pool?.Dispose();
        return 0;
    }

    private static (double Elide, double Blas) Measure(int size, WorkerPool? pool, bool haveBlas, int samples)
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
            Action elide = () => Gemm.Sgemm(false, false, n, n, n, 1f, xa, n, xb, n, 0f, xc, n, pool);
            Action blas = () => OpenBlas.Sgemm(false, false, n, n, n, 1f, xa, n, xb, n, 0f, xc, n);
            for (int i = 0; i < 3; i++) { elide(); if (haveBlas) blas(); }
            int elideCalls = Timing.CallsPerSample(elide, 50);
            int blasCalls = haveBlas ? Timing.CallsPerSample(blas, 50) : 0;
            var elideTimes = new List<double>();
            var blasTimes = new List<double>();
            for (int s = 0; s < samples; s++)
            {
                elideTimes.Add(Timing.Sample(elide, elideCalls));
                if (haveBlas) blasTimes.Add(Timing.Sample(blas, blasCalls));
            }
            double elideRate = flops / Timing.Median(elideTimes) / 1e9;
            double blasRate = haveBlas ? flops / Timing.Median(blasTimes) / 1e9 : double.NaN;
            return (elideRate, blasRate);
        }
    }
}
