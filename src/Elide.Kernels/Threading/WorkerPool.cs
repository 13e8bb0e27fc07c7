using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Elide.Kernels.Threading;

/// <summary>One unit of parallel work: <see cref="Execute"/> is called once for every index in [0, count).</summary>
/// <remarks>Kernels implement this on a class instance they keep, so a steady-state run allocates nothing.</remarks>
public interface IParallelTask
{
    /// <summary>Runs work item <paramref name="index"/>. Must be safe to call concurrently for different indices.</summary>
    void Execute(int index);
}

/// <summary>
/// A fixed set of worker threads that run <see cref="IParallelTask"/>s with the calling thread taking part.
/// </summary>
/// <remarks>
/// Why not <c>Parallel.For</c>: it allocates per call and wakes pool threads through the .NET thread pool, which
/// costs tens of microseconds; a batch-1 ResNet layer takes about that long. Workers here spin briefly after each
/// run (so back-to-back layers start in well under a microsecond) and then block, so an idle engine burns no CPU.
/// Work is claimed through one 64-bit state word (generation in the high half, next index in the low half), so a
/// worker that wakes late for an old run can never claim an index of a newer one.
/// A pool never oversubscribes: it owns <c>Threads - 1</c> workers and the caller is the last one.
/// Calls from inside a running task execute inline (no nested fan-out).
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    private static readonly object SharedGate = new();
    private static readonly Dictionary<int, WorkerPool> SharedPools = new();

    [ThreadStatic] private static bool insideTask;

    private readonly Thread[] workers;
    private readonly object runLock = new();
    private readonly object wakeGate = new();
    private readonly long spinTicks;

    private IParallelTask? task;
    private int count;
    private long state;          // (generation << 32) | nextIndex
    private int remaining;
    private int wakeGeneration;
    private volatile bool disposed;
    private ExceptionDispatchInfo? error;

    /// <summary>Creates a pool that runs work on <paramref name="threads"/> threads (the caller included).</summary>
    /// <param name="threads">Total threads, at least 1. 1 means everything runs on the caller.</param>
    /// <param name="spinMicroseconds">How long an idle worker polls for new work before it blocks.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public WorkerPool(int threads, int spinMicroseconds = 200)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        spinTicks = (long)(spinMicroseconds * (Stopwatch.Frequency / 1_000_000.0));
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"elide-worker-{i + 1}" };
            workers[i].Start();
        }
    }

    /// <summary>Total threads that execute work, the calling thread included.</summary>
    public int Threads { get; }

    /// <summary>A process-wide pool with the given thread count, created on first use and never disposed.</summary>
    public static WorkerPool Shared(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        lock (SharedGate)
        {
            if (!SharedPools.TryGetValue(threads, out var pool))
            {
                pool = new WorkerPool(threads);
                SharedPools[threads] = pool;
            }
            return pool;
        }
    }

    /// <summary>The shared pool with one thread per logical processor.</summary>
    public static WorkerPool Default => Shared(Environment.ProcessorCount);

    /// <summary>Runs <paramref name="work"/>.Execute(i) for every i in [0, <paramref name="taskCount"/>) and waits.</summary>
    /// <exception cref="AggregateException">Never: the first exception thrown by a work item is rethrown as is.</exception>
    public void Run(int taskCount, IParallelTask work)
    {
        if (taskCount <= 0) return;
        if (taskCount == 1 || workers.Length == 0 || insideTask)
        {
            for (int i = 0; i < taskCount; i++) work.Execute(i);
            return;
        }
        ObjectDisposedException.ThrowIf(disposed, this);
        lock (runLock)
        {
            task = work;
            count = taskCount;
            error = null;
            Volatile.Write(ref remaining, taskCount);
            long generation = (Volatile.Read(ref state) >> 32) + 1;
            Volatile.Write(ref state, generation << 32);
            lock (wakeGate)
            {
                wakeGeneration++;
                Monitor.PulseAll(wakeGate);
            }

            insideTask = true;
            try { Drain((int)generation); }
            finally { insideTask = false; }

            // Busy-wait: the other items finish within microseconds; SpinWait.SpinOnce would start yielding
            // the core after a few iterations and a descheduled caller costs a whole scheduler slice.
            while (Volatile.Read(ref remaining) != 0) Thread.SpinWait(8);
            // Close the generation before the fields are reused: a worker that read this generation's state
            // just before the next Run writes a larger count would otherwise win its CAS on the stale state and
            // run an index of the next task twice. Once closed, that CAS fails.
            Volatile.Write(ref state, (generation << 32) | int.MaxValue);
            task = null;
            error?.Throw();
        }
    }

    /// <summary>Convenience overload for non-hot paths: allocates a wrapper per call.</summary>
    public void For(int taskCount, Action<int> body) => Run(taskCount, new ActionTask(body));

    /// <summary>Splits [0, total) into at most <see cref="Threads"/> contiguous ranges of roughly equal size.</summary>
    public static (int Start, int End) Range(int index, int parts, int total)
    {
        long start = (long)total * index / parts;
        long end = (long)total * (index + 1) / parts;
        return ((int)start, (int)end);
    }

    private void Drain(int generation)
    {
        while (true)
        {
            long s = Volatile.Read(ref state);
            if ((int)(s >> 32) != generation) return;
            int index = (int)s;
            if (index >= count) return;
            if (Interlocked.CompareExchange(ref state, s + 1, s) != s) continue;
            try { task!.Execute(index); }
            catch (Exception e) { Interlocked.CompareExchange(ref error, ExceptionDispatchInfo.Capture(e), null); }
            Interlocked.Decrement(ref remaining);
        }
    }

    private void WorkerLoop()
    {
        insideTask = true;
        int seenWake = 0;
        while (!disposed)
        {
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref wakeGeneration) == seenWake && !disposed)
            {
                if (Stopwatch.GetTimestamp() - start > spinTicks)
                {
                    lock (wakeGate)
                    {
                        while (wakeGeneration == seenWake && !disposed) Monitor.Wait(wakeGate);
                    }
                    break;
                }
                Thread.SpinWait(16); // a pure spin (no yield) so the worker stays on its core between layers
            }
            if (disposed) return;
            seenWake = Volatile.Read(ref wakeGeneration);
            Drain((int)(Volatile.Read(ref state) >> 32));
        }
    }

    /// <summary>Stops the workers. Shared pools are never disposed.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        lock (wakeGate) Monitor.PulseAll(wakeGate);
        foreach (var t in workers) t.Join();
    }

    private sealed class ActionTask(Action<int> body) : IParallelTask
    {
        public void Execute(int index) => body(index);
    }
}
