namespace Elide.Data;

/// <summary>
/// Assembles shuffled, augmented, standardized training batches from an <see cref="ImageDataset"/>, prefetching
/// them on a background worker so augmentation overlaps the consumer's compute.
/// </summary>
/// <remarks>
/// <para>Determinism: the sample order of epoch e is a Fisher–Yates shuffle of [0, Count) driven by
/// <c>DeterministicRandom.ForStream(Seed, 0x53687566 ("Shuf"), e)</c>; image i of epoch e is augmented with its own
/// stream <c>ForStream(Seed, 0x4175676D ("Augm"), e, i)</c>. Nothing depends on thread timing or on
/// <see cref="BatchLoaderOptions.PrefetchDepth"/>, so identical (Seed, epoch) give identical batches.</para>
/// <para>Memory: the loader owns PrefetchDepth + 2 batch buffers (one being filled, up to PrefetchDepth queued,
/// one held by the consumer) and one order array; epochs reuse them, so steady state allocates no buffers.</para>
/// <para>Usage: <c>foreach (Batch b in loader.Epoch(e, token)) Train(b);</c>. One epoch at a time per loader.</para>
/// </remarks>
public sealed class BatchLoader : IDisposable
{
    internal const ulong ShuffleTag = 0x53687566;  // "Shuf"
    internal const ulong AugmentTag = 0x4175676D;  // "Augm"
    private const int MaxPrefetchDepth = 64;

    private readonly object gate = new();
    // Never disposed: it has no timer, and epochs link to its token, possibly after the loader is disposed.
    private readonly CancellationTokenSource disposal = new();
    private readonly int[] order;
    private Batch[]? buffers;
    private EpochBatches? active;
    private bool disposed;

    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">BatchSize is less than 1, or PrefetchDepth is outside [0, 64].</exception>
    /// <exception cref="ArgumentException">The standardization's channel count differs from the images'.</exception>
    public BatchLoader(ImageDataset dataset, BatchLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new BatchLoaderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(options.PrefetchDepth, nameof(options.PrefetchDepth));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.PrefetchDepth, MaxPrefetchDepth, nameof(options.PrefetchDepth));
        if (options.Standardization is { } standardization && standardization.Channels != dataset.Shape.Channels)
            throw new ArgumentException(
                $"Standardization has {standardization.Channels} channels but '{dataset.Name}' has {dataset.Shape.Channels}.", nameof(options));
        Dataset = dataset;
        Options = options;
        order = new int[dataset.Count];
        BatchesPerEpoch = options.DropLast
            ? dataset.Count / options.BatchSize
            : (int)(((long)dataset.Count + options.BatchSize - 1) / options.BatchSize);
    }

    /// <summary>The images batches are drawn from.</summary>
    public ImageDataset Dataset { get; }

    /// <summary>The options this loader was created with.</summary>
    public BatchLoaderOptions Options { get; }

    /// <summary>Batches in every epoch: ⌊Count / BatchSize⌋ with DropLast, ⌈Count / BatchSize⌉ without.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the dataset (a fresh array).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative.</exception>
    public int[] SampleOrder(int epoch)
    {
        var result = new int[Dataset.Count];
        FillOrder(result, epoch);
        return result;
    }

    /// <summary>
    /// Starts epoch <paramref name="epoch"/>: the worker begins prefetching at once. Enumerate the result (once),
    /// then dispose it (foreach does) before starting the next epoch. Each yielded batch is valid until the next
    /// MoveNext.
    /// </summary>
    /// <param name="epoch">Epoch number, at least 0; it selects the shuffle and the augmentations.</param>
    /// <param name="cancellationToken">Stops the epoch: a waiting or later MoveNext throws
    /// <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">Another epoch of this loader has not been disposed.</exception>
    /// <exception cref="ObjectDisposedException">The loader is disposed.</exception>
    public EpochBatches Epoch(int epoch, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (active is not null)
                throw new InvalidOperationException(
                    $"Epoch {active.EpochNumber} of this loader is still open; dispose it (finish or leave its foreach) before starting epoch {epoch}.");
            buffers ??= CreateBuffers();
            FillOrder(order, epoch);
            active = new EpochBatches(this, epoch, order, buffers, cancellationToken, disposal.Token);
            return active;
        }
    }

    /// <summary>Stops the worker of any open epoch (waiting for it to exit) and makes the loader unusable. A consumer
    /// blocked in MoveNext on another thread gets <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        EpochBatches? open;
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
            open = active;
        }
        disposal.Cancel();
        open?.WaitForWorker();
    }

    internal bool IsDisposed => disposal.IsCancellationRequested;

    /// <summary>Assembles batch <paramref name="batchIndex"/> of an epoch into <paramref name="batch"/>.</summary>
    internal void Fill(Batch batch, int[] sampleOrder, int epoch, int batchIndex, CancellationToken cancellationToken)
    {
        int batchSize = Options.BatchSize;
        int start = batchIndex * batchSize;
        int count = Math.Min(batchSize, sampleOrder.Length - start);
        batch.Begin(epoch, batchIndex, count);
        IImageAugmentation? augmentation = Options.Augmentation;
        for (int slot = 0; slot < count; slot++)
        {
            // Checked per image so disposal is prompt even with large batches or slow augmentations.
            cancellationToken.ThrowIfCancellationRequested();
            int sample = sampleOrder[start + slot];
            DeterministicRandom random = augmentation is null
                ? default
                : DeterministicRandom.ForStream(Options.Seed, AugmentTag, (ulong)epoch, (ulong)sample);
            batch.Load(slot, Dataset, sample, augmentation, random, Options.Standardization);
        }
    }

    internal void Release(EpochBatches epoch)
    {
        lock (gate)
        {
            if (ReferenceEquals(active, epoch))
                active = null;
        }
    }

    private void FillOrder(int[] destination, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        for (int i = 0; i < destination.Length; i++)
            destination[i] = i;
        if (Options.Shuffle)
            DeterministicRandom.ForStream(Options.Seed, ShuffleTag, (ulong)epoch).Shuffle(destination.AsSpan());
    }

    private Batch[] CreateBuffers()
    {
        int capacity = Math.Max(1, Math.Min(Options.BatchSize, Dataset.Count));
        int count = Options.PrefetchDepth == 0 ? 1 : Options.PrefetchDepth + 2;
        var result = new Batch[count];
        for (int i = 0; i < count; i++)
            result[i] = new Batch(Dataset.Shape, capacity);
        return result;
    }
}
