namespace Elide.Training;

/// <summary>
/// The float arrays of training steps (activations, gradients, kernel scratch), kept from one step to the next.
/// </summary>
/// <remarks>
/// Every training step of a network builds the same tensors with the same lengths, so handing last step's arrays out
/// again removes nearly all allocation from the training loop. Fresh arrays are not free even when the collector
/// keeps up: a ResNet-32 step at batch 128 allocates about 1 GB, and the operating system zero-fills every new page
/// (measured: 16–18% of training time in the kernel's page clearing before this class existed).
/// A <see cref="Tape"/> rents from these buffers; <see cref="ReclaimAll"/> takes everything back, so call it only
/// when nothing of the previous step is used any more (after the optimizer step and after gradients are cleared).
/// Not thread-safe: one training loop owns one instance.
/// </remarks>
public sealed class StepBuffers
{
    private readonly Dictionary<int, Stack<float[]>> free = [];
    private readonly List<float[]> lent = [];
    private float[] workspace = [];

    /// <summary>Number of arrays handed out since the last <see cref="ReclaimAll"/>.</summary>
    public int LentCount => lent.Count;

    /// <summary>Arrays allocated fresh since this instance was created (stays constant once steps repeat).</summary>
    public long AllocatedArrays { get; private set; }

    /// <summary>An array of exactly <paramref name="length"/> floats, zeroed when <paramref name="clear"/> (otherwise with stale contents).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative.</exception>
    public float[] Rent(int length, bool clear)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        float[] array;
        if (free.TryGetValue(length, out var stack) && stack.Count > 0)
        {
            array = stack.Pop();
            if (clear) Array.Clear(array);
        }
        else
        {
            array = clear ? new float[length] : GC.AllocateUninitializedArray<float>(length);
            AllocatedArrays++;
        }
        lent.Add(array);
        return array;
    }

    /// <summary>Takes back every array handed out by <see cref="Rent"/>; their contents may be overwritten from now on.</summary>
    public void ReclaimAll()
    {
        foreach (var array in lent)
        {
            if (!free.TryGetValue(array.Length, out var stack)) free[array.Length] = stack = new Stack<float[]>();
            stack.Push(array);
        }
        lent.Clear();
    }

    /// <summary>A scratch array of at least <paramref name="floats"/> floats for one kernel call at a time (contents undefined).</summary>
    internal float[] Workspace(long floats)
    {
        if (workspace.LongLength < floats)
            workspace = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(floats, workspace.LongLength * 3 / 2)));
        return workspace;
    }
}
