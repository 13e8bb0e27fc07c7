using System.Runtime.InteropServices;
using Elide.Server.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elide.Server.Tests;

/// <summary>CPU lists, and the checks of --engine-cpus / --io-cpus (the pinning itself is tested end to end in the CLI tests).</summary>
public sealed class CpuPartitionTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-3,6", new[] { 0, 1, 2, 3, 6 })]
    [InlineData(" 2 , 0 ", new[] { 0, 2 })]
    [InlineData("1,1-2", new[] { 1, 2 })]
    [InlineData("1023", new[] { 1023 })]
    public void ParsesCpuListsAsTasksetWritesThem(string list, int[] cpus) => Assert.Equal(cpus, CpuPartition.ParseList(list, "--engine-cpus"));

    [Theory]
    [InlineData("", "should be a number")]
    [InlineData("a", "should be a number")]
    [InlineData("-1", "should be a number")]
    [InlineData("1-2-3", "should be a number")]
    [InlineData("3-1", "runs backwards")]
    [InlineData("1024", "beyond")]
    public void MalformedListsAreRefusedNamingTheOption(string list, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => CpuPartition.ParseList(list, "--io-cpus"));
        Assert.Contains("--io-cpus", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 3, 6 }, "0-3,6")]
    [InlineData(new[] { 5 }, "5")]
    [InlineData(new[] { 3, 1, 2, 1 }, "1-3")]
    [InlineData(new int[0], "")]
    public void FormatsListsWithRanges(int[] cpus, string list)
    {
        Assert.Equal(list, CpuPartition.FormatList(cpus));
        if (cpus.Length > 0) Assert.Equal(cpus.Distinct().Order(), CpuPartition.ParseList(list, "x"));
    }

    [Fact]
    public void IoCpusAloneOverlapsAndTooManyThreadsAreRefused()
    {
        var ok = new ServerOptions { Threads = 1 };
        Assert.Contains("needs --engine-cpus", Assert.Throws<ArgumentException>(() => (ok with { IoCpus = [1] }).Validate()).Message);
        Assert.Contains("overlap on CPU 1", Assert.Throws<ArgumentException>(() => (ok with { EngineCpus = [0, 1], IoCpus = [1, 2] }).Validate()).Message);
        Assert.Contains("--threads 2 exceeds", Assert.Throws<ArgumentException>(() => (ok with { EngineCpus = [0], Threads = 2 }).Validate()).Message);
        Assert.Contains("at least one CPU", Assert.Throws<ArgumentException>(() => (ok with { EngineCpus = [] }).Validate()).Message);
        (ok with { EngineCpus = [0], IoCpus = [1] }).Validate();
        (ok with { EngineCpus = [0, 1], Threads = 2 }).Validate();
    }

    [Fact]
    public void TheIoSideDefaultsToTheOtherAllowedCpusAndCpusOutsideTheAllowedSetAreRefused()
    {
        int[] allowed = [0, 1, 2, 3];
        var options = new ServerOptions { Threads = 1 };
        Assert.Null(options.ResolveCpuPartition(allowed));
        var (engine, io) = (options with { EngineCpus = [0] }).ResolveCpuPartition(allowed)!.Value;
        Assert.Equal([0], engine);
        Assert.Equal([1, 2, 3], io);
        Assert.Equal([3], (options with { EngineCpus = [0], IoCpus = [3] }).ResolveCpuPartition(allowed)!.Value.Io);
        Assert.Contains("leave one for HTTP", Assert.Throws<ArgumentException>(() => (options with { EngineCpus = [0, 1, 2, 3] }).ResolveCpuPartition(allowed)).Message);
        var outside = Assert.Throws<ArgumentException>(() => (options with { EngineCpus = [7] }).ResolveCpuPartition(allowed));
        Assert.Contains("--engine-cpus 7: the process may only run on CPUs 0-3", outside.Message);
        Assert.Contains("--io-cpus", Assert.Throws<ArgumentException>(() => (options with { EngineCpus = [0], IoCpus = [9] }).ResolveCpuPartition(allowed)).Message);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int gettid();

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, string name, nint arg3, nint arg4, nint arg5);

    private const int PrSetName = 15; // prctl(PR_SET_NAME): the calling thread's name, as /proc/…/comm shows it

    /// <summary>A thread swept before it took its engine name (the runtime names a new thread just after creating
    /// it) is pinned again, to the engine side, once the name shows.</summary>
    [Fact]
    public void AThreadNamedAfterASweepIsMovedToTheEngineSide()
    {
        if (!OperatingSystem.IsLinux()) return;
        int[] all = CpuPartition.AllowedCpus();
        // Both sides on every CPU the process may use: the test sees the side a thread is pinned to without
        // confining the test process's threads.
        var partition = new CpuPartition(all, all, NullLogger<CpuPartition>.Instance);
        int tid = 0;
        using var started = new ManualResetEventSlim();
        using var rename = new ManualResetEventSlim();
        using var renamed = new ManualResetEventSlim();
        using var finish = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            tid = gettid();
            started.Set();
            rename.Wait();
            Assert.Equal(0, prctl(PrSetName, CpuPartition.EngineThreadPrefix + "late", 0, 0, 0));
            renamed.Set();
            finish.Wait();
        }) { IsBackground = true };
        thread.Start();
        try
        {
            Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
            partition.Sweep();
            Assert.False(partition.PinnedAsEngine(tid));
            rename.Set();
            Assert.True(renamed.Wait(TimeSpan.FromSeconds(10)));
            Assert.StartsWith(CpuPartition.EngineThreadPrefix, File.ReadAllText($"/proc/self/task/{tid}/comm"));
            partition.Sweep();
            Assert.True(partition.PinnedAsEngine(tid));
        }
        finally
        {
            rename.Set();
            finish.Set();
            thread.Join();
        }
    }

    [Fact]
    public void AllowedCpusOfTheCallingThreadAreTheProcessorsItMayUse()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Throws<PlatformNotSupportedException>(() => CpuPartition.AllowedCpus());
            return;
        }
        var cpus = CpuPartition.AllowedCpus();
        Assert.NotEmpty(cpus);
        Assert.Contains(Thread.GetCurrentProcessorId(), cpus); // the CPU running this line is one it may use
    }
}
