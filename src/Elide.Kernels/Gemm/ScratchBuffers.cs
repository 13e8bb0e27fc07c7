using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Elide.Kernels;

/// <summary>
/// Per-thread, 64-byte aligned, pinned scratch for packing. Grows to the largest request seen and is then reused,
/// so steady-state kernel calls allocate nothing.
/// </summary>
/// <remarks>
/// With <c>ELIDE_GUARD_SCRATCH=1</c> (Linux; the CI runs the kernel tests this way), every buffer is a fresh mapping
/// that ends at an inaccessible page, rounded only to the 64-byte alignment, and a grown buffer's old mapping is
/// unmapped: a kernel that reads or writes past what it asked for, or keeps a pointer across a growth, faults at once
/// instead of touching whatever the allocator placed next.
/// </remarks>
internal sealed unsafe class ScratchBuffers
{
    [ThreadStatic] private static ScratchBuffers? current;

    /// <summary>Whether scratch buffers end at guard pages (read once, from ELIDE_GUARD_SCRATCH).</summary>
    public static readonly bool Guarded = Environment.GetEnvironmentVariable("ELIDE_GUARD_SCRATCH") == "1"
        && OperatingSystem.IsLinux();

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
        private byte* mapping;   // guarded mode: the current mapping and its length
        private nuint mappingLength;

        public float* Get(long floats)
        {
            if (Guarded) return GetGuarded(floats);
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

        private float* GetGuarded(long floats)
        {
            // Exactly what was asked for (to 64 bytes) before the guard, so a request of another size remaps. No
            // managed allocation: the steady-state allocation tests hold in this mode too.
            if (mapping == null || floats != capacity)
            {
                if (mapping != null) GuardPages.Unmap(mapping, mappingLength);
                mapping = null;
                aligned = (float*)GuardPages.Map((nuint)Math.Max(floats, 1) * sizeof(float), 64, out mapping, out mappingLength);
                capacity = floats;
            }
            return aligned;
        }
    }
}
