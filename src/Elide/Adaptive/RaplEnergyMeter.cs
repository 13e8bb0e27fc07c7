using System.Globalization;

namespace Elide.Adaptive;

/// <summary>
/// Package energy from Intel RAPL through the Linux powercap interface
/// (<c>/sys/class/powercap/intel-rapl:N/energy_uj</c>, a cumulative microjoule counter that wraps at
/// <c>max_energy_range_uj</c>; see the kernel's Documentation/power/powercap/powercap.rst).
/// Sums all packages. Unavailable (null from <see cref="TryOpen"/>) when the files are absent or unreadable,
/// which is the case in most containers and for non-root users on recent kernels.
/// </summary>
public sealed class RaplEnergyMeter
{
    /// <summary>Where the powercap zones live.</summary>
    public const string PowercapRoot = "/sys/class/powercap";

    private readonly (string EnergyFile, long Range)[] zones;

    private RaplEnergyMeter((string, long)[] zones) => this.zones = zones;

    /// <summary>Number of package zones summed.</summary>
    public int Packages => zones.Length;

    /// <summary>A meter over every readable package zone under <paramref name="root"/>, or null when there is none.</summary>
    public static RaplEnergyMeter? TryOpen(string root = PowercapRoot)
    {
        if (!Directory.Exists(root)) return null;
        var found = new List<(string, long)>();
        foreach (var dir in Directory.GetDirectories(root, "intel-rapl:*").Order(StringComparer.Ordinal))
        {
            // Package zones are intel-rapl:N; subzones (core, uncore, dram) are intel-rapl:N:M and are inside the package figure.
            if (Path.GetFileName(dir).Count(c => c == ':') != 1) continue;
            string energy = Path.Combine(dir, "energy_uj");
            if (TryReadLong(energy) is null) continue;
            long range = TryReadLong(Path.Combine(dir, "max_energy_range_uj")) ?? long.MaxValue;
            found.Add((energy, range));
        }
        return found.Count == 0 ? null : new RaplEnergyMeter(found.ToArray());
    }

    /// <summary>The counters now (microjoules, one per package).</summary>
    /// <exception cref="IOException">A counter that was readable when opened no longer is.</exception>
    public long[] Read()
    {
        var values = new long[zones.Length];
        for (int i = 0; i < zones.Length; i++)
            values[i] = TryReadLong(zones[i].EnergyFile) ?? throw new IOException($"RAPL counter {zones[i].EnergyFile} became unreadable");
        return values;
    }

    /// <summary>Joules consumed between two readings, allowing each counter to have wrapped once.</summary>
    public double JoulesBetween(long[] before, long[] after)
    {
        double total = 0;
        for (int i = 0; i < zones.Length; i++)
        {
            long delta = after[i] - before[i];
            if (delta < 0) delta += zones[i].Range;
            total += delta;
        }
        return total * 1e-6;
    }

    /// <summary>Runs <paramref name="work"/> and returns the package energy it took in joules.</summary>
    public double Measure(Action work)
    {
        var before = Read();
        work();
        return JoulesBetween(before, Read());
    }

    private static long? TryReadLong(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
