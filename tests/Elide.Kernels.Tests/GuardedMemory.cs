namespace Elide.Kernels.Tests;

/// <summary>
/// Floats that end exactly at an inaccessible page (<see cref="GuardPages"/>): a kernel that reads or writes even
/// one float past the end faults at once, instead of silently touching whatever the allocator put next, which is how
/// an overrun shows up only once in many runs.
/// </summary>
internal sealed unsafe class GuardedMemory : IDisposable
{
    private readonly byte* mapping;
    private readonly nuint length;

    /// <param name="floats">The usable length; the first float after it is on the guard page.</param>
    public GuardedMemory(int floats)
    {
        Pointer = (float*)GuardPages.Map((nuint)floats * sizeof(float), sizeof(float), out mapping, out length);
        Length = floats;
    }

    /// <summary>The first usable float.</summary>
    public float* Pointer { get; }

    public int Length { get; }

    public void Dispose() => GuardPages.Unmap(mapping, length);
}
