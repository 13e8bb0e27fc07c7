using System.Diagnostics;
using Elide.Server.Hosting;

namespace Elide.Cli.Tests;

/// <summary>`elide serve --engine-cpus`: checked on a real server process, whose threads are read from /proc.</summary>
public class ServeCpuPartitionTests
{
    [Theory]
    [InlineData("not a CPU list", "--engine-cpus", "0,x")]
    [InlineData("needs --engine-cpus", "--io-cpus", "0")]
    [InlineData("overlap", "--engine-cpus", "0", "--io-cpus", "0")]
    [InlineData("--threads 2 exceeds", "--engine-cpus", "0", "--threads", "2")]
    public void BadPartitionsGiveAClearError(string problem, params string[] args)
    {
        var (exit, stdout, stderr) = InProcessCli.Run(["serve", "-m", "resnet8", "--port", "0", .. args]);
        Assert.NotEqual(0, exit);
        Assert.Contains(problem, stderr + stdout);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Fact]
    public async Task EngineThreadsRunOnTheEngineCpusAndEveryOtherThreadOnTheIoCpus()
    {
        if (!OperatingSystem.IsLinux()) return; // thread affinity is a Linux feature; the option refuses elsewhere
        var allowed = CpuPartition.AllowedCpus();
        Assert.True(allowed.Length >= 2, $"this test needs two CPUs to partition, the process may use {CpuPartition.FormatList(allowed)}");
        int engine = allowed[0], io = allowed[^1];
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Elide.Cli.dll"), "serve", "-m", "resnet8", "--port", "0", "--max-batch", "2",
                     "--reload-poll-ms", "0", "--engine-cpus", engine.ToString(), "--io-cpus", io.ToString() })
            psi.ArgumentList.Add(a);
        using var server = Process.Start(psi)!;
        try
        {
            var listening = new TaskCompletionSource();
            var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
            server.OutputDataReceived += (_, e) => { if (e.Data is null) return; log.Enqueue(e.Data); if (e.Data.Contains("Now listening")) listening.TrySetResult(); };
            server.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            var started = await Task.WhenAny(listening.Task, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(started == listening.Task, "server did not start: " + string.Join('\n', log));
            Assert.Contains(log, l => l.Contains($"engine threads on CPUs {engine}, HTTP and runtime threads on CPUs {io}"));
            Assert.Contains(log, l => l.Contains("latency feedback on")); // the partition's default

            // New threads are pinned by the next sweep (every 100 ms), so look until the picture is right or time is up.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            string problem;
            do
            {
                problem = Misplaced(server.Id, engine, io);
                if (problem.Length == 0) break;
                await Task.Delay(100);
            } while (DateTime.UtcNow < deadline);
            Assert.True(problem.Length == 0, problem);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }
    }

    /// <summary>What is wrong with the threads' placement ("" when nothing is): the batch thread must exist and run only
    /// on the engine CPU, every thread not named elide-… only on the I/O CPU.</summary>
    private static string Misplaced(int pid, int engine, int io)
    {
        var wrong = new List<string>();
        bool batchSeen = false;
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string name;
            int[] cpus;
            try
            {
                name = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                cpus = CpuPartition.AllowedCpus(int.Parse(Path.GetFileName(dir)));
            }
            catch (Exception e) when (e is IOException or InvalidOperationException) { continue; } // exited meanwhile
            bool isEngine = name.StartsWith(CpuPartition.EngineThreadPrefix, StringComparison.Ordinal);
            batchSeen |= name.StartsWith("elide-batch", StringComparison.Ordinal);
            int want = isEngine ? engine : io;
            if (cpus is not [var only] || only != want) wrong.Add($"{name} on {CpuPartition.FormatList(cpus)} (want {want})");
        }
        if (!batchSeen) wrong.Add("no elide-batch thread");
        return string.Join("; ", wrong);
    }
}
