using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Elide.Kernels;

/// <summary>
/// Per-thread, 64-byte aligned, pinned scratch for packing. Grows to the largest request seen and is then reused,
/// so steady-state kernel calls allocate nothing.
/// </summary>
internal sealed unsafe class ScratchBuffers
{
    [ThreadStatic] private static ScratchBuffers? current;

    private readonly Slot packA = new();
    private readonly Slot packB = new();
    private readonly Slot tiles = new();

    /// <summary>The calling thread's buffers.</summary>
    public static ScratchBuffers ForCurrentThread => current ??= new ScratchBuffers();

    /// <summary>At least <paramref name="floats"/> floats for packed A blocks.</summary>
    public float* PackA(long floats) => packA.Get(floats);

    /// <summary>At least <paramref name="floats"/> floats for packed B panels.</summary>
    public float* PackB(long floats) => packB.Get(floats);

    /// <summary>At least <paramref name="floats"/> floats for accumulator tiles.</summary>
    public float* Tiles(long floats) => tiles.Get(floats);

    private sealed class Slot
    {
        private float[]? array;
        private float* aligned;
        private long capacity;

        public float* Get(long floats)
        {
            if (floats > capacity)
            {
                // Pinned on the POH, so the address stays valid for the life of the array.
                array = GC.AllocateUninitializedArray<float>(checked((int)floats + 16), pinned: true);
                nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
                aligned = (float*)((start + 63) & ~(nint)63);
                capacity = floats;
            }
            return aligned;
        }
    }
}
