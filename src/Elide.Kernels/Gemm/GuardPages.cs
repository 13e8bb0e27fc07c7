using System.Runtime.InteropServices;

namespace Elide.Kernels;

/// <summary>Anonymous mappings whose usable bytes end right before an inaccessible (PROT_NONE) page (Linux).</summary>
internal static unsafe class GuardPages
{
    private const int ProtNone = 0, ProtReadWrite = 3, MapPrivate = 0x02, MapAnonymous = 0x20;

    /// <summary>Maps <paramref name="bytes"/> (rounded up to <paramref name="alignment"/>, a power of two) ending at a
    /// guard page; returns the first usable byte. Release with <see cref="Unmap"/>(mapping, length).</summary>
    public static byte* Map(nuint bytes, nuint alignment, out byte* mapping, out nuint length)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("guard pages are set up with Linux mmap");
        nuint page = (nuint)Environment.SystemPageSize;
        nuint usable = (bytes + alignment - 1) & ~(alignment - 1);
        nuint dataPages = (usable + page - 1) / page;
        length = (dataPages + 1) * page;
        mapping = (byte*)mmap(null, length, ProtReadWrite, MapPrivate | MapAnonymous, -1, 0);
        if (mapping == (byte*)-1)
        {
            mapping = null;
            throw new OutOfMemoryException($"guard pages: mmap of {length} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        }
        if (mprotect(mapping + dataPages * page, page, ProtNone) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            munmap(mapping, length);
            mapping = null;
            throw new InvalidOperationException($"guard pages: mprotect failed (errno {errno})");
        }
        return mapping + dataPages * page - usable;
    }

    public static void Unmap(byte* mapping, nuint length) => munmap(mapping, length);

    [DllImport("libc", SetLastError = true)]
    private static extern void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int mprotect(void* addr, nuint length, int prot);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(void* addr, nuint length);
}
