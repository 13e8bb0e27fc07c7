using Elide.Data;

namespace Elide.Tests.Data;

public class BatchLoaderTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);
    private static readonly ImageShape SmallShape = new(3, 6, 5);

    private static ImageDataset Dataset(int count = 103) => ImageDatasetTests.Numbered(count, SmallShape, 7);

    private sealed record Snapshot(int Index, int[] Samples, int[] Labels, float[] Images);

    private static List<Snapshot> ReadEpoch(BatchLoader loader, int epoch)
    {
        var result = new List<Snapshot>();
        foreach (Batch batch in loader.Epoch(epoch))
            result.Add(new Snapshot(batch.Index, batch.SampleIndices.ToArray(), batch.Labels.ToArray(), batch.Images.ToArray()));
        return result;
    }

    private static void AssertSame(List<Snapshot> expected, List<Snapshot> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int b = 0; b < expected.Count; b++)
        {
            Assert.Equal(expected[b].Index, actual[b].Index);
            Assert.Equal(expected[b].Samples, actual[b].Samples);
            Assert.Equal(expected[b].Labels, actual[b].Labels);
            Assert.Equal(expected[b].Images, actual[b].Images);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void EveryIndexExactlyOncePerEpochWithPartialLastBatch(int prefetch)
    {
        ImageDataset dataset = Dataset();
        using var loader = new BatchLoader(dataset, new BatchLoaderOptions { BatchSize = 10, DropLast = false, PrefetchDepth = prefetch, Seed = 1 });
        Assert.Equal(11, loader.BatchesPerEpoch);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            List<Snapshot> batches = ReadEpoch(loader, epoch);
            Assert.Equal(Enumerable.Range(0, 11), batches.Select(b => b.Index));
            Assert.All(batches.Take(10), b => Assert.Equal(10, b.Samples.Length));
            Assert.Equal(3, batches[^1].Samples.Length);
            Assert.Equal(Enumerable.Range(0, 103), batches.SelectMany(b => b.Samples).Order());
            Assert.Equal(loader.SampleOrder(epoch), batches.SelectMany(b => b.Samples));
        }
    }

    [Fact]
    public void DropLastSkipsThePartialBatchOnly()
    {
        using var loader = new BatchLoader(Dataset(), new BatchLoaderOptions { BatchSize = 10, DropLast = true, Seed = 2 });
        List<Snapshot> batches = ReadEpoch(loader, 0);
        Assert.Equal(10, batches.Count);
        int[] samples = batches.SelectMany(b => b.Samples).ToArray();
        Assert.Equal(100, samples.Distinct().Count());
        Assert.Equal(loader.SampleOrder(0)[..100], samples);
    }

    [Fact]
    public void BatchesCarryTheDatasetsImagesAndLabels()
    {
        ImageDataset dataset = Dataset();
        using var loader = new BatchLoader(dataset, new BatchLoaderOptions { BatchSize = 8, Seed = 3 });
        foreach (Batch batch in loader.Epoch(0))
        {
            Assert.Equal(8 * SmallShape.Size, batch.Images.Length);
            for (int slot = 0; slot < batch.Count; slot++)
            {
                int sample = batch.SampleIndices[slot];
                Assert.Equal(dataset.Label(sample), batch.Labels[slot]);
                Assert.Equal(dataset.Image(sample).ToArray(), batch.Images.Slice(slot * SmallShape.Size, SmallShape.Size).ToArray());
            }
        }
    }

    [Fact]
    public void OrderDependsOnSeedAndEpochOnlyAndShuffleCanBeOff()
    {
        ImageDataset dataset = Dataset();
        using var a = new BatchLoader(dataset, new BatchLoaderOptions { Seed = 10 });
        using var b = new BatchLoader(dataset, new BatchLoaderOptions { Seed = 10, BatchSize = 3, PrefetchDepth = 0 });
        using var c = new BatchLoader(dataset, new BatchLoaderOptions { Seed = 11 });
        Assert.Equal(a.SampleOrder(4), b.SampleOrder(4));
        Assert.NotEqual(a.SampleOrder(4), a.SampleOrder(5));
        Assert.NotEqual(a.SampleOrder(4), c.SampleOrder(4));
        using var sequential = new BatchLoader(dataset, new BatchLoaderOptions { Shuffle = false, BatchSize = 50, DropLast = false });
        Assert.Equal(Enumerable.Range(0, 103), sequential.SampleOrder(7));
        Assert.Equal(Enumerable.Range(0, 103), ReadEpoch(sequential, 7).SelectMany(s => s.Samples));
    }

    [Fact]
    public void IdenticalBatchesForIdenticalSeedAndEpochWhateverThePrefetchDepth()
    {
        ImageDataset dataset = Dataset();
        var standardization = ChannelStandardization.Compute(dataset);
        BatchLoaderOptions Options(int depth, ulong seed = 42) => new()
        {
            BatchSize = 7,
            DropLast = false,
            PrefetchDepth = depth,
            Seed = seed,
            Augmentation = new RandomCropFlip(padding: 2),
            Standardization = standardization,
        };
        List<Snapshot> reference;
        using (var loader = new BatchLoader(dataset, Options(0)))
        {
            ReadEpoch(loader, 0);
            reference = ReadEpoch(loader, 1);
        }
        foreach (int depth in new[] { 1, 2, 5 })
        {
            using var loader = new BatchLoader(dataset, Options(depth));
            AssertSame(reference, ReadEpoch(loader, 1));   // epoch 1 first: no dependence on history
            AssertSame(reference, ReadEpoch(loader, 1));
        }
        using (var other = new BatchLoader(dataset, Options(2, seed: 43)))
            Assert.NotEqual(reference[0].Images, ReadEpoch(other, 1)[0].Images);
    }

    [Fact]
    public void AugmentationMatchesTheNaiveReferenceForTheDocumentedStreams()
    {
        ImageDataset dataset = Dataset(40);
        const ulong seed = 1234;
        const int padding = 2, epoch = 3;
        var augmentation = new RandomCropFlip(padding);
        using var loader = new BatchLoader(dataset, new BatchLoaderOptions { BatchSize = 16, DropLast = false, Seed = seed, Augmentation = augmentation });
        int flipped = 0, shifted = 0;
        foreach (Batch batch in loader.Epoch(epoch))
        {
            for (int slot = 0; slot < batch.Count; slot++)
            {
                int sample = batch.SampleIndices[slot];
                // Documented stream: ForStream(Seed, "Augm", epoch, sample); draws dy, dx in [0, 2p], then a coin.
                var random = DeterministicRandom.ForStream(seed, 0x4175676D, epoch, (ulong)sample);
                var crop = new CropFlip(random.NextInt(2 * padding + 1), random.NextInt(2 * padding + 1), random.NextBool());
                flipped += crop.Flip ? 1 : 0;
                shifted += crop.OffsetX != padding || crop.OffsetY != padding ? 1 : 0;
                float[] expected = RandomCropFlipTests.NaiveCropFlip(dataset.Image(sample), SmallShape, padding, crop);
                Assert.Equal(expected, batch.Images.Slice(slot * SmallShape.Size, SmallShape.Size).ToArray());
            }
        }
        Assert.InRange(flipped, 1, 39);
        Assert.InRange(shifted, 1, 40);
    }

    [Fact]
    public void BuffersAreReusedFromASmallPool()
    {
        using var loader = new BatchLoader(Dataset(), new BatchLoaderOptions { BatchSize = 2, PrefetchDepth = 2 });
        var seen = new HashSet<Batch>(ReferenceEqualityComparer.Instance);
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (Batch batch in loader.Epoch(epoch))
                seen.Add(batch);
        Assert.InRange(seen.Count, 1, 4); // PrefetchDepth + 2
    }

    [Fact]
    public void SynchronousEpochAllocatesNothingPerBatch()
    {
        ImageDataset dataset = Dataset();
        var options = new BatchLoaderOptions
        {
            BatchSize = 4,
            PrefetchDepth = 0,
            Augmentation = new RandomCropFlip(1),
            Standardization = ChannelStandardization.Compute(dataset),
        };
        using var loader = new BatchLoader(dataset, options);
        ReadEpoch(loader, 0); // warm up
        using EpochBatches epoch = loader.Epoch(1);
        IEnumerator<Batch> batches = epoch.GetEnumerator();
        Assert.True(batches.MoveNext());
        long before = GC.GetAllocatedBytesForCurrentThread();
        int count = 1;
        while (batches.MoveNext())
            count++;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(25, count);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void WorkerExceptionsSurfaceOnTheConsumerAfterEarlierBatches(int prefetch)
    {
        var failing = new FailingAugmentation(failOnCall: 23);
        using var loader = new BatchLoader(Dataset(), new BatchLoaderOptions { BatchSize = 5, PrefetchDepth = prefetch, Augmentation = failing });
        int received = 0;
        using EpochBatches epoch = loader.Epoch(0);
        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            while (epoch.MoveNext())
                received++;
        });
        Assert.Equal("augmentation failed on call 23", error.Message);
        Assert.Equal(4, received); // batches 0..3 hold calls 1..20; call 23 is in batch 4
        // It stays failed rather than skipping the broken batch.
        Assert.Equal("augmentation failed on call 23", Assert.Throws<InvalidOperationException>(() => epoch.MoveNext()).Message);
    }

    [Fact]
    public void DisposingAnEpochStopsItsWorker()
    {
        var counting = new CountingAugmentation();
        using var loader = new BatchLoader(Dataset(1000), new BatchLoaderOptions { BatchSize = 1, PrefetchDepth = 2, Augmentation = counting });
        EpochBatches epoch = loader.Epoch(0);
        using (epoch)
        {
            foreach (Batch _ in epoch)
                break;
        }
        Assert.True(epoch.WorkerCompletion.IsCompleted);
        int produced = counting.Calls;
        // One held by the consumer, two queued, one in flight: at most a handful of the 1,000 images were made.
        Assert.InRange(produced, 1, 5);
        Assert.Equal(produced, counting.Calls);
        Assert.Throws<ObjectDisposedException>(() => epoch.MoveNext());
        // The loader is free for the next epoch.
        Assert.Equal(1000, ReadEpoch(loader, 1).Count);
    }

    [Fact]
    public async Task CancellationUnblocksAWaitingConsumerWhileTheWorkerIsStillBusy()
    {
        var gate = new GateAugmentation(blockOnCall: 3);
        using var loader = new BatchLoader(Dataset(), new BatchLoaderOptions { BatchSize = 1, PrefetchDepth = 1, Augmentation = gate });
        using var cancellation = new CancellationTokenSource();
        EpochBatches epoch = loader.Epoch(0, cancellation.Token);
        // The consumer does not dispose the epoch here: disposal waits for the worker, and this test is about the
        // consumer being answered while the worker is still stuck.
        Task consumer = Task.Run(() =>
        {
            while (epoch.MoveNext()) { }
        });
        Assert.True(gate.Entered.Wait(HangGuard));
        cancellation.Cancel();
        // The worker is still stuck inside the augmentation, yet the consumer gets its answer.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer.WaitAsync(HangGuard));
        Assert.False(epoch.WorkerCompletion.IsCompleted);
        gate.Release.Set();
        epoch.Dispose();
        Assert.True(epoch.WorkerCompletion.IsCompleted);
    }

    [Fact]
    public async Task DisposingTheLoaderUnblocksAWaitingConsumer()
    {
        var gate = new GateAugmentation(blockOnCall: 3);
        var loader = new BatchLoader(Dataset(), new BatchLoaderOptions { BatchSize = 1, PrefetchDepth = 1, Augmentation = gate });
        EpochBatches epoch = loader.Epoch(0);
        // The consumer does not dispose the epoch here: disposal waits for the worker, and this test is about the
        // consumer being answered while the worker is still stuck.
        Task consumer = Task.Run(() =>
        {
            while (epoch.MoveNext()) { }
        });
        Assert.True(gate.Entered.Wait(HangGuard));
        Task disposal = Task.Run(loader.Dispose);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => consumer.WaitAsync(HangGuard));
        Assert.False(disposal.IsCompleted); // Dispose waits for the worker, which is still in the gate
        gate.Release.Set();
        await disposal.WaitAsync(HangGuard);
        Assert.True(epoch.WorkerCompletion.IsCompleted);
        epoch.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.Epoch(1));
    }

    [Fact]
    public void CancelledBeforeStartThrowsOnFirstMoveNext()
    {
        using var loader = new BatchLoader(Dataset(), new BatchLoaderOptions { BatchSize = 10 });
        using EpochBatches epoch = loader.Epoch(0, new CancellationToken(canceled: true));
        Assert.Throws<OperationCanceledException>(() => epoch.MoveNext());
    }

    [Fact]
    public void OneOpenEpochAtATimeAndEachEnumeratedOnce()
    {
        using var loader = new BatchLoader(Dataset(), new BatchLoaderOptions { BatchSize = 10 });
        EpochBatches first = loader.Epoch(0);
        Assert.Throws<InvalidOperationException>(() => loader.Epoch(1));
        first.GetEnumerator();
        Assert.Throws<InvalidOperationException>(() => first.GetEnumerator());
        Assert.Throws<InvalidOperationException>(() => first.Current);
        first.Dispose();
        using EpochBatches second = loader.Epoch(1);
        Assert.Equal(1, second.EpochNumber);
        Assert.Equal(10, second.BatchCount);
    }

    [Fact]
    public void OptionsAreValidated()
    {
        ImageDataset dataset = Dataset();
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(dataset, new BatchLoaderOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(dataset, new BatchLoaderOptions { PrefetchDepth = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(dataset, new BatchLoaderOptions { PrefetchDepth = 65 }));
        Assert.Throws<ArgumentException>(() => new BatchLoader(dataset, new BatchLoaderOptions { Standardization = new ChannelStandardization([0f], [1f]) }));
        using var loader = new BatchLoader(dataset);
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Epoch(-1));
    }

    [Fact]
    public void EmptyDatasetAndBatchLargerThanDataset()
    {
        using var empty = new BatchLoader(Dataset(0), new BatchLoaderOptions { DropLast = false });
        Assert.Empty(ReadEpoch(empty, 0));
        using var large = new BatchLoader(Dataset(5), new BatchLoaderOptions { BatchSize = 64, DropLast = false });
        Assert.Equal(5, Assert.Single(ReadEpoch(large, 0)).Samples.Length);
        using var dropped = new BatchLoader(Dataset(5), new BatchLoaderOptions { BatchSize = 64, DropLast = true });
        Assert.Empty(ReadEpoch(dropped, 0));
    }

    private sealed class CountingAugmentation : IImageAugmentation
    {
        private int calls;

        public int Calls => Volatile.Read(ref calls);

        public void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, ref DeterministicRandom random)
        {
            Interlocked.Increment(ref calls);
            source.CopyTo(destination);
        }
    }

    private sealed class FailingAugmentation(int failOnCall) : IImageAugmentation
    {
        private int calls;

        public void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, ref DeterministicRandom random)
        {
            if (Interlocked.Increment(ref calls) == failOnCall)
                throw new InvalidOperationException($"augmentation failed on call {failOnCall}");
            source.CopyTo(destination);
        }
    }

    private sealed class GateAugmentation(int blockOnCall) : IImageAugmentation
    {
        private int calls;

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, ref DeterministicRandom random)
        {
            if (Interlocked.Increment(ref calls) == blockOnCall)
            {
                Entered.Set();
                Release.Wait(HangGuard);
            }
            source.CopyTo(destination);
        }
    }
}
