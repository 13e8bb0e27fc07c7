using System.Runtime.Intrinsics;

namespace Elide.Kernels;

/// <summary>Reports which instruction sets the kernels will use on this machine.</summary>
public static class KernelInfo
{
    /// <summary>A short description such as "Vector512 (AVX-512)", "Vector256" or "scalar".</summary>
    public static string InstructionSet =>
        Vector512.IsHardwareAccelerated ? "Vector512" :
        Vector256.IsHardwareAccelerated ? "Vector256" :
        Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
}
