using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Elide.Server.Hosting;

/// <summary>
/// Keeps the engine and the HTTP side of the server on separate CPUs (Linux thread affinity): the threads the engine
/// owns — batch threads (<c>elide-batch-…</c>) and kernel workers (<c>elide-worker-…</c>), recognised by their
/// <c>elide-</c> name prefix — run on the engine CPUs; every other thread of the process (Kestrel, the .NET thread
/// pool, timers, the garbage collector's) runs on the I/O CPUs.
/// </summary>
/// <remarks>
/// Why: on a core shared with the HTTP side, a batch that takes 6 ms alone took 9.5 ms at the median and 26 ms at the
/// p99 under twice the server's capacity, because request parsing and response writing preempt it; the batch-time
/// spread, not the queue, made the latency tail (docs/serving.md). Threads are created at any time (the thread pool
/// grows, a hot reload starts a new batch thread, and a new thread inherits its creator's affinity), so the process's
/// threads are swept every <see cref="SweepInterval"/>; a thread is pinned when first seen and again if its side
/// changes (the runtime names a new thread just after creating it, so a sweep can find an engine thread still
/// unnamed and send it to the I/O CPUs).
/// </remarks>
public sealed class CpuPartition : IHostedService, IDisposable
{
    /// <summary>How often new threads are looked for.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Thread-name prefix of the threads the engine owns.</summary>
    public const string EngineThreadPrefix = "elide-";

    private const int MaskWords = 16; // 1024 CPUs, the size of glibc's cpu_set_t
    private readonly ulong[] engineMask, ioMask;
    private readonly ILogger logger;
    private readonly object gate = new();
    private Dictionary<int, bool> pinned = []; // thread id → pinned as an engine thread
    private Timer? timer;

    /// <param name="engineCpus">CPUs for the engine's threads.</param>
    /// <param name="ioCpus">CPUs for every other thread.</param>
    /// <param name="logger">Where the partition and failures to pin are reported.</param>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    public CpuPartition(IReadOnlyCollection<int> engineCpus, IReadOnlyCollection<int> ioCpus, ILogger<CpuPartition> logger)
    {
        RequireLinux();
        engineMask = MaskOf(engineCpus);
        ioMask = MaskOf(ioCpus);
        EngineCpus = engineCpus;
        IoCpus = ioCpus;
        this.logger = logger;
    }

    /// <summary>CPUs of the engine's threads.</summary>
    public IReadOnlyCollection<int> EngineCpus { get; }

    /// <summary>CPUs of all other threads.</summary>
    public IReadOnlyCollection<int> IoCpus { get; }

    /// <summary>Threads pinned by the last sweep, engine and I/O (for tests and logs).</summary>
    public (int Engine, int Io) LastSweep { get; private set; }

    /// <summary>
    /// Parses a CPU list as <c>taskset -c</c> and <c>/sys/devices/system/cpu/online</c> write it: numbers and
    /// inclusive ranges separated by commas (<c>0</c>, <c>0-3</c>, <c>0,2-3</c>).
    /// </summary>
    /// <param name="list">The list.</param>
    /// <param name="option">The option it came from, named in errors.</param>
    /// <exception cref="ArgumentException">Malformed, empty, or a CPU beyond 1023.</exception>
    public static int[] ParseList(string list, string option)
    {
        var cpus = new SortedSet<int>();
        foreach (var part in list.Split(',', StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw new ArgumentException($"{option} '{list}' is not a CPU list: '{part}' should be a number or a range like 0-3");
            int lo = int.Parse(bounds[0], CultureInfo.InvariantCulture), hi = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
            if (hi < lo) throw new ArgumentException($"{option} '{list}': range {part} runs backwards");
            if (hi >= MaskWords * 64) throw new ArgumentException($"{option} '{list}': CPU {hi} is beyond the {MaskWords * 64} supported");
            for (int c = lo; c <= hi; c++) cpus.Add(c);
        }
        return [.. cpus];
    }

    /// <summary>Formats CPUs as a list with ranges (<c>0-3,6</c>).</summary>
    public static string FormatList(IEnumerable<int> cpus)
    {
        var sorted = cpus.Distinct().Order().ToList();
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(i == j ? sorted[i].ToString(CultureInfo.InvariantCulture) : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    /// <summary>The CPUs the calling thread may run on now.</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    public static int[] AllowedCpus() => AllowedCpus(0);

    /// <summary>The CPUs thread <paramref name="tid"/> of this process may run on.</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    /// <exception cref="InvalidOperationException">The kernel refused (no such thread).</exception>
    public static int[] AllowedCpus(int tid)
    {
        RequireLinux();
        var mask = new ulong[MaskWords];
        if (sched_getaffinity(tid, MaskWords * sizeof(ulong), mask) != 0)
            throw new InvalidOperationException($"sched_getaffinity({tid}) failed: errno {Marshal.GetLastPInvokeError()}");
        var cpus = new List<int>();
        for (int c = 0; c < MaskWords * 64; c++) if ((mask[c / 64] >> (c % 64) & 1) != 0) cpus.Add(c);
        return [.. cpus];
    }

    /// <summary>
    /// Pins every thread of the process not pinned before, or pinned to the other side under the name it had then:
    /// <see cref="EngineThreadPrefix"/> threads to the engine CPUs, the rest to the I/O CPUs. Threads that exit
    /// meanwhile are skipped. Returns how many it pinned.
    /// </summary>
    public int Sweep()
    {
        lock (gate)
        {
            var seen = new Dictionary<int, bool>();
            int engine = 0, io = 0;
            foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int tid)) continue;
                string name;
                try { name = File.ReadAllText(Path.Combine(dir, "comm")); }
                catch (IOException) { continue; } // exited between listing and reading
                bool isEngine = name.StartsWith(EngineThreadPrefix, StringComparison.Ordinal);
                seen[tid] = isEngine;
                if (pinned.TryGetValue(tid, out bool wasEngine) && wasEngine == isEngine) continue;
                if (sched_setaffinity(tid, MaskWords * sizeof(ulong), isEngine ? engineMask : ioMask) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != 3 /* ESRCH: exited */)
                        logger.LogWarning("Could not pin thread {Tid} ({Name}) to CPUs {Cpus}: errno {Errno}", tid, name.Trim(),
                            FormatList(isEngine ? EngineCpus : IoCpus), errno);
                    seen.Remove(tid);
                    continue;
                }
                if (isEngine) engine++; else io++;
            }
            pinned = seen;
            LastSweep = (engine, io);
            return engine + io;
        }
    }

    /// <summary>The side thread <paramref name="tid"/> was last pinned to (true: engine), or null if it was not.</summary>
    internal bool? PinnedAsEngine(int tid)
    {
        lock (gate) return pinned.TryGetValue(tid, out bool engine) ? engine : null;
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Sweep();
        logger.LogInformation("CPU partition: engine threads on CPUs {Engine}, HTTP and runtime threads on CPUs {Io}", FormatList(EngineCpus), FormatList(IoCpus));
        timer = new Timer(_ => Sweep(), null, SweepInterval, SweepInterval);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        timer?.Dispose();
        timer = null;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose() => timer?.Dispose();

    private static ulong[] MaskOf(IReadOnlyCollection<int> cpus)
    {
        if (cpus.Count == 0) throw new ArgumentException("a CPU set of a partition is empty");
        var mask = new ulong[MaskWords];
        foreach (int c in cpus)
        {
            if (c is < 0 or >= MaskWords * 64) throw new ArgumentOutOfRangeException(nameof(cpus), $"CPU {c} is outside 0..{MaskWords * 64 - 1}");
            mask[c / 64] |= 1UL << (c % 64);
        }
        return mask;
    }

    private static void RequireLinux()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("CPU partitioning (--engine-cpus, --io-cpus) uses Linux thread affinity (sched_setaffinity) and is not available on this system");
    }

    // glibc: int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask); a thread id is accepted as pid.
    [DllImport("libc", SetLastError = true)]
    private static extern int sched_setaffinity(int pid, nint cpusetsize, ulong[] mask);

    [DllImport("libc", SetLastError = true)]
    private static extern int sched_getaffinity(int pid, nint cpusetsize, ulong[] mask);
}
