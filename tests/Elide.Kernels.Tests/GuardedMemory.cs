using System.Runtime.InteropServices;

namespace Elide.Kernels.Tests;

/// <summary>
/// Floats that end exactly at an inaccessible page (Linux mmap + mprotect): a kernel that reads or writes even one
/// float past the end faults at once, instead of silently touching whatever the allocator put next, which is how an
/// overrun shows up only once in many runs.
/// </summary>
internal sealed unsafe class GuardedMemory : IDisposable
{
    private const int ProtNone = 0, ProtReadWrite = 3, MapPrivate = 0x02, MapAnonymous = 0x20;
    private readonly byte* mapping;
    private readonly nuint mappingBytes;

    /// <param name="floats">The usable length; the first float after it is on the guard page.</param>
    public GuardedMemory(int floats)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("guard pages are set up with Linux mmap");
        nuint page = (nuint)Environment.SystemPageSize;
        nuint bytes = (nuint)floats * sizeof(float);
        nuint dataPages = (bytes + page - 1) / page;
        mappingBytes = (dataPages + 1) * page;
        mapping = (byte*)mmap(null, mappingBytes, ProtReadWrite, MapPrivate | MapAnonymous, -1, 0);
        if (mapping == (byte*)-1) throw new InvalidOperationException($"mmap failed: errno {Marshal.GetLastPInvokeError()}");
        if (mprotect(mapping + dataPages * page, page, ProtNone) != 0)
            throw new InvalidOperationException($"mprotect failed: errno {Marshal.GetLastPInvokeError()}");
        Pointer = (float*)(mapping + dataPages * page - bytes);
        Length = floats;
    }

    /// <summary>The first usable float (4-byte aligned; 32-byte aligned when the length is a multiple of 8).</summary>
    public float* Pointer { get; }

    public int Length { get; }

    public Span<float> Span => new(Pointer, Length);

    public void Dispose() => munmap(mapping, mappingBytes);

    [DllImport("libc", SetLastError = true)]
    private static extern void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int mprotect(void* addr, nuint length, int prot);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(void* addr, nuint length);
}
