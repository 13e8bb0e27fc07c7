using System.Collections;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace Elide.Data;

/// <summary>
/// The batches of one epoch of a <see cref="BatchLoader"/>, produced ahead by a background worker into a bounded
/// channel. It is its own (single-use) enumerator; disposing it stops the worker and returns the buffers.
/// </summary>
/// <remarks>
/// Two channels circulate the loader's buffers: <c>free</c> (buffers the worker may fill) and <c>filled</c>
/// (bounded to PrefetchDepth, in batch order). The consumer hands its previous batch back to <c>free</c> on each
/// MoveNext. A worker exception is captured, the channel completed, and the exception rethrown on the consumer
/// after the batches produced before it. With PrefetchDepth 0 there is no worker: MoveNext fills the batch itself.
/// </remarks>
public sealed class EpochBatches : IEnumerable<Batch>, IEnumerator<Batch>
{
    private readonly BatchLoader loader;
    private readonly int[] order;
    private readonly CancellationToken userToken;
    private readonly CancellationTokenSource stop;
    private readonly Batch[] buffers;
    private readonly Channel<Batch>? free;
    private readonly Channel<Batch>? filled;
    private readonly Task? worker;
    private ExceptionDispatchInfo? fault;
    private Batch? current;
    private int delivered;
    private bool enumeratorTaken;
    private int disposedFlag;

    internal EpochBatches(BatchLoader loader, int epoch, int[] order, Batch[] buffers,
        CancellationToken userToken, CancellationToken disposalToken)
    {
        this.loader = loader;
        this.order = order;
        this.buffers = buffers;
        this.userToken = userToken;
        EpochNumber = epoch;
        BatchCount = loader.BatchesPerEpoch;
        stop = CancellationTokenSource.CreateLinkedTokenSource(userToken, disposalToken);
        int depth = loader.Options.PrefetchDepth;
        if (depth > 0 && BatchCount > 0)
        {
            free = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            foreach (Batch buffer in buffers)
                free.Writer.TryWrite(buffer);
            filled = Channel.CreateBounded<Batch>(new BoundedChannelOptions(depth)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            worker = Task.Run(ProduceAsync);
        }
    }

    /// <summary>The epoch number.</summary>
    public int EpochNumber { get; }

    /// <summary>How many batches this epoch yields.</summary>
    public int BatchCount { get; }

    /// <summary>The current batch; valid until the next <see cref="MoveNext"/>.</summary>
    /// <exception cref="InvalidOperationException">Enumeration has not started or has ended.</exception>
    public Batch Current => current ?? throw new InvalidOperationException("No current batch: call MoveNext first.");

    object IEnumerator.Current => Current;

    /// <summary>Completes when the worker has exited (already complete when there is none). For tests.</summary>
    internal Task WorkerCompletion => worker ?? Task.CompletedTask;

    /// <summary>Returns this object; an epoch can be enumerated once.</summary>
    /// <exception cref="InvalidOperationException">Called a second time.</exception>
    public IEnumerator<Batch> GetEnumerator()
    {
        if (enumeratorTaken)
            throw new InvalidOperationException($"Epoch {EpochNumber} can be enumerated only once; start a new epoch instead.");
        enumeratorTaken = true;
        return this;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Advances to the next batch, waiting for the worker if it has not produced it yet.</summary>
    /// <returns>False after the last batch.</returns>
    /// <exception cref="OperationCanceledException">The epoch's cancellation token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">This epoch or its loader was disposed.</exception>
    /// <remarks>Any exception thrown while assembling a batch (e.g. by an augmentation) is rethrown here.</remarks>
    public bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposedFlag) != 0, this);
        if (current is not null)
        {
            free?.Writer.TryWrite(current);
            current = null;
        }
        if (delivered == BatchCount)
            return false;
        if (filled is null)
            fault?.Throw(); // (with a worker, Receive rethrows it only after the batches produced before it)
        ThrowIfStopped();
        current = filled is null ? FillHere() : Receive();
        delivered++;
        return true;
    }

    /// <summary>Not supported: start a new epoch instead.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public void Reset() => throw new NotSupportedException("Start a new epoch instead of resetting one.");

    /// <summary>Stops the worker (waiting for it to exit) and releases the loader for the next epoch.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposedFlag, 1) != 0)
            return;
        stop.Cancel();
        WaitForWorker();
        current = null;
        stop.Dispose();
        loader.Release(this);
    }

    internal void WaitForWorker()
    {
        // ProduceAsync catches everything, so this never throws.
        worker?.GetAwaiter().GetResult();
    }

    private Batch FillHere()
    {
        ThrowIfStopped();
        Batch batch = buffers[0];
        try
        {
            loader.Fill(batch, order, EpochNumber, delivered, stop.Token);
        }
        catch (OperationCanceledException)
        {
            ThrowIfStopped();
            throw;
        }
        catch (Exception e)
        {
            // Like the worker: once assembling failed, the epoch stays failed instead of skipping a batch.
            fault = ExceptionDispatchInfo.Capture(e);
            throw;
        }
        return batch;
    }

    private Batch Receive()
    {
        ChannelReader<Batch> reader = filled!.Reader;
        while (true)
        {
            if (reader.TryRead(out Batch? batch))
                return batch;
            bool more;
            try
            {
                ValueTask<bool> wait = reader.WaitToReadAsync(stop.Token);
                more = wait.IsCompleted ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                ThrowIfStopped();
                throw;
            }
            if (!more)
            {
                // Completed early: the worker failed or was stopped (it completes the channel only then, or after
                // writing every batch, which TryRead above would have returned).
                fault?.Throw();
                ThrowIfStopped();
                throw new InvalidOperationException($"The loader's worker ended after {delivered} of {BatchCount} batches.");
            }
        }
    }

    private void ThrowIfStopped()
    {
        userToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(loader.IsDisposed, loader);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposedFlag) != 0, this);
    }

    private async Task ProduceAsync()
    {
        CancellationToken token = stop.Token;
        try
        {
            for (int index = 0; index < BatchCount; index++)
            {
                Batch batch = await free!.Reader.ReadAsync(token).ConfigureAwait(false);
                loader.Fill(batch, order, EpochNumber, index, token);
                await filled!.Writer.WriteAsync(batch, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped by disposal or cancellation: the consumer reports that, not this.
        }
        catch (Exception e)
        {
            fault = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            filled!.Writer.TryComplete();
        }
    }
}
