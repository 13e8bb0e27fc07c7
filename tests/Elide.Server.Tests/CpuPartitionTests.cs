using Elide.Server.Hosting;

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
