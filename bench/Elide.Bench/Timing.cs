using System.Diagnostics;

namespace Elide.Bench;

/// <summary>Median-of-samples timing. Each sample repeats the action enough times to last a few milliseconds.</summary>
public static class Timing
{
    /// <summary>Calls per sample so that one sample lasts about <paramref name="targetMs"/> (measured once).</summary>
    public static int CallsPerSample(Action action, double targetMs = 20)
    {
        var watch = Stopwatch.StartNew();
        action();
        double ms = Math.Max(watch.Elapsed.TotalMilliseconds, 1e-3);
        return (int)Math.Clamp(targetMs / ms, 1, 100_000);
    }

    /// <summary>Seconds per call of one sample of <paramref name="calls"/> calls.</summary>
    public static double Sample(Action action, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
}
