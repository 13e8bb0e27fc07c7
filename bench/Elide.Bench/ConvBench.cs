namespace Elide.Bench;

/// <summary><c>conv</c>: per-layer convolution throughput (filled in with the convolution kernels).</summary>
public static class ConvBench
{
    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(BenchArgs args)
    {
        Console.WriteLine("conv: not built yet");
        return 1;
    }
}
