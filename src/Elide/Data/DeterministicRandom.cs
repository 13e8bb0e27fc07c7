namespace Elide.Data;

/// <summary>
/// A small, portable pseudo-random generator (SplitMix64) whose output depends only on its seed words, so data
/// splits, shuffles and augmentations are bit-identical on every machine, runtime version and thread schedule.
/// </summary>
/// <remarks>
/// Why not <see cref="System.Random"/>: its seeded algorithm is an implementation detail the runtime may change.
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014; the
/// finalizer constants are Stafford's "Mix13") adds the golden-ratio increment 0x9E3779B97F4A7C15 to a 64-bit state
/// and returns the finalized state. Independent streams are derived by folding extra words (epoch, sample index,
/// class id) through the same finalizer, the counter-based approach of Salmon et al., "Parallel random numbers: as
/// easy as 1, 2, 3" (SC 2011): a stream never depends on how many numbers another stream drew.
/// </remarks>
public struct DeterministicRandom
{
    private const ulong GoldenGamma = 0x9E3779B97F4A7C15UL;
    private ulong state;

    /// <summary>Creates a generator whose sequence is fully determined by <paramref name="seed"/>.</summary>
    public DeterministicRandom(ulong seed) => state = seed;

    /// <summary>
    /// Derives the generator of stream (<paramref name="seed"/>, <paramref name="a"/>, <paramref name="b"/>,
    /// <paramref name="c"/>): state = F(F(F(F(seed) ⊕ a·γ) ⊕ b·γ) ⊕ c·γ) with F the SplitMix64 finalizer and γ the
    /// golden gamma. Different word tuples give statistically unrelated sequences.
    /// </summary>
    public static DeterministicRandom ForStream(ulong seed, ulong a, ulong b = 0, ulong c = 0)
    {
        ulong s = Finalize(seed);
        s = Finalize(s ^ (a * GoldenGamma));
        s = Finalize(s ^ (b * GoldenGamma));
        s = Finalize(s ^ (c * GoldenGamma));
        return new DeterministicRandom(s);
    }

    /// <summary>Next 64 uniformly distributed bits: state += γ; return F(state).</summary>
    public ulong NextUInt64()
    {
        state += GoldenGamma;
        return Finalize(state);
    }

    /// <summary>Next 32 uniformly distributed bits (the high half of <see cref="NextUInt64"/>).</summary>
    public uint NextUInt32() => (uint)(NextUInt64() >> 32);

    /// <summary>
    /// Uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias (Lemire, "Fast random integer
    /// generation in an interval", ACM TOMACS 2019: multiply-shift with rejection of the short low range).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="exclusiveMax"/> is not positive.</exception>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        uint bound = (uint)exclusiveMax;
        ulong product = (ulong)NextUInt32() * bound;
        uint low = (uint)product;
        if (low < bound)
        {
            uint threshold = (0u - bound) % bound;
            while (low < threshold)
            {
                product = (ulong)NextUInt32() * bound;
                low = (uint)product;
            }
        }
        return (int)(product >> 32);
    }

    /// <summary>A fair coin: the top bit of the next output.</summary>
    public bool NextBool() => (NextUInt64() >> 63) != 0;

    /// <summary>
    /// Shuffles <paramref name="items"/> in place with the Fisher–Yates algorithm (Knuth, TAOCP vol. 2, 3.4.2 P):
    /// for i from n−1 down to 1, swap item i with item j = NextInt(i + 1).
    /// </summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
