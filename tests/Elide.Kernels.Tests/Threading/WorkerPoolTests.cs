using Elide.Kernels.Threading;

namespace Elide.Kernels.Tests.Threading;

public class WorkerPoolTests
{
    private sealed class CountingTask(int size) : IParallelTask
    {
        public readonly int[] Hits = new int[size];
        public void Execute(int index) => Interlocked.Increment(ref Hits[index]);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 5)]
    [InlineData(2, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 1000)]
    public void EveryIndexRunsExactlyOnce(int threads, int count)
    {
        using var pool = new WorkerPool(threads, spinMicroseconds: 50);
        for (int round = 0; round < 200; round++)
        {
            var task = new CountingTask(count);
            pool.Run(count, task);
            Assert.All(task.Hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void WorkAfterWorkersBlockedStillRuns()
    {
        using var pool = new WorkerPool(2, spinMicroseconds: 1);
        Thread.Sleep(20); // workers give up spinning and block
        var task = new CountingTask(64);
        pool.Run(64, task);
        Assert.All(task.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void FirstExceptionIsRethrownAndPoolStaysUsable()
    {
        using var pool = new WorkerPool(2);
        var ex = Assert.Throws<InvalidOperationException>(() =>
            pool.For(10, i => { if (i == 3) throw new InvalidOperationException("item 3"); }));
        Assert.Equal("item 3", ex.Message);
        var task = new CountingTask(10);
        pool.Run(10, task);
        Assert.All(task.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void NestedRunExecutesInline()
    {
        using var pool = new WorkerPool(2);
        var inner = new int[16];
        pool.For(4, i => pool.For(4, j => Interlocked.Increment(ref inner[i * 4 + j])));
        Assert.All(inner, h => Assert.Equal(1, h));
    }

    [Fact]
    public async Task ConcurrentCallersAreSerialized()
    {
        using var pool = new WorkerPool(2);
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int r = 0; r < 100; r++)
            {
                var t = new CountingTask(33);
                pool.Run(33, t);
                Assert.All(t.Hits, h => Assert.Equal(1, h));
            }
        })).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(10, 3)]
    [InlineData(2, 5)]
    public void RangesCoverTotalWithoutOverlap(int total, int parts)
    {
        int next = 0;
        for (int i = 0; i < parts; i++)
        {
            var (s, e) = WorkerPool.Range(i, parts, total);
            Assert.Equal(next, s);
            Assert.True(e >= s);
            next = e;
        }
        Assert.Equal(total, next);
    }

    [Fact]
    public void GrowingTaskCountsBackToBackNeverRunAnIndexTwice()
    {
        // Regression: a late worker could claim an index of the next, larger run through the previous
        // generation's state, running it twice and ending the run early.
        using var pool = new WorkerPool(2, spinMicroseconds: 500);
        for (int round = 0; round < 20_000; round++)
        {
            int count = round % 2 == 0 ? 2 : 2 + round % 61;
            var task = new CountingTask(count);
            pool.Run(count, task);
            for (int i = 0; i < count; i++) Assert.Equal(1, task.Hits[i]);
        }
    }
}
