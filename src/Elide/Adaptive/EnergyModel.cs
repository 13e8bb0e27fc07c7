namespace Elide.Adaptive;

/// <summary>
/// Modelled energy of an inference: E = e_MAC · MACs + e_byte · bytes moved.
/// </summary>
/// <remarks>
/// <para>Default constants are Horowitz's 45 nm figures ("Computing's Energy Problem (and what we can do about it)",
/// ISSCC 2014, Fig. 1.1.9): a 32-bit float multiply costs 3.7 pJ and a 32-bit float add 0.9 pJ, so one fp32
/// multiply–accumulate is 4.6 pJ; reading 64 bits from a 1 MB SRAM costs about 100 pJ, i.e. 12.5 pJ per byte.
/// The byte cost is the on-chip (last-level-cache-sized SRAM) figure because activations of these networks and
/// most of their weights stay in the caches; DRAM (1.3–2.6 nJ per 64 bits, 160–325 pJ/byte) would dominate only for
/// models that do not fit.</para>
/// <para>Absolute values are for 45 nm and overstate a modern 10 nm core; the model is for comparing
/// configurations of one model with each other (ratios), which is what the policy and the front need. Where the
/// machine exposes RAPL, <see cref="RaplEnergyMeter"/> measures the real package energy beside it.</para>
/// </remarks>
/// <param name="PicojoulesPerMac">Energy of one fp32 multiply–accumulate in picojoules.</param>
/// <param name="PicojoulesPerByte">Energy of moving one byte between memory and the core in picojoules.</param>
public sealed record EnergyModel(double PicojoulesPerMac = 4.6, double PicojoulesPerByte = 12.5)
{
    /// <summary>The default model (Horowitz 2014, 45 nm).</summary>
    public static EnergyModel Default { get; } = new();

    /// <summary>E in millijoules for <paramref name="macs"/> multiply–accumulates and <paramref name="bytes"/> bytes moved.</summary>
    public double Millijoules(double macs, double bytes) => (PicojoulesPerMac * macs + PicojoulesPerByte * bytes) * 1e-9;

    /// <summary>One line describing the constants, for reports.</summary>
    public override string ToString() =>
        $"E = {PicojoulesPerMac} pJ/MAC + {PicojoulesPerByte} pJ/byte moved (Horowitz, ISSCC 2014, 45 nm)";
}
