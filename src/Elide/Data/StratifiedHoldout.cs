namespace Elide.Data;

/// <summary>The two disjoint index sets of a hold-out split, each sorted ascending.</summary>
/// <param name="Remainder">Indices kept for training.</param>
/// <param name="Holdout">Indices held out (for validation).</param>
public sealed record HoldoutSplit(int[] Remainder, int[] Holdout);

/// <summary>
/// A seeded, stratified hold-out split: the same labels, size and seed give the same indices on every machine.
/// </summary>
/// <remarks>
/// Algorithm (deterministic, integer-only):
/// <list type="number">
/// <item>Group the indices by label, each group in ascending index order; n_c is the size of class c's group, N the total.</item>
/// <item>Quotas by the largest-remainder (Hamilton) method: q_c = ⌊H·n_c/N⌋; the H − Σq_c units left go one each
/// to the classes with the largest remainders (H·n_c mod N), ties to the smaller class id. So every class keeps its
/// share of the data to within one image.</item>
/// <item>Shuffle each group with Fisher–Yates driven by <c>DeterministicRandom.ForStream(seed, 0x486F6C64 ("Hold"), c)</c>
/// and hold out its first q_c indices.</item>
/// <item>Both result sets are sorted ascending.</item>
/// </list>
/// </remarks>
public static class StratifiedHoldout
{
    private const ulong StreamTag = 0x486F6C64; // "Hold" in ASCII: keeps this stream apart from the loader's.

    /// <summary>Splits indices [0, labels.Length) into a remainder and a stratified hold-out of <paramref name="holdoutSize"/>.</summary>
    /// <param name="labels">Label of each item, in [0, <paramref name="classCount"/>).</param>
    /// <param name="classCount">Number of classes.</param>
    /// <param name="holdoutSize">How many items to hold out, in [0, labels.Length].</param>
    /// <param name="seed">Seed of the split.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is out of range, or a label is outside [0, classCount).</exception>
    public static HoldoutSplit Split(ReadOnlySpan<int> labels, int classCount, int holdoutSize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(holdoutSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(holdoutSize, labels.Length);
        int total = labels.Length;

        var groups = new List<int>[classCount];
        for (int c = 0; c < classCount; c++)
            groups[c] = [];
        for (int i = 0; i < total; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label of item {i} is outside [0, {classCount}).");
            groups[labels[i]].Add(i);
        }

        int[] quotas = Quotas(groups.Select(g => g.Count).ToArray(), total, holdoutSize);
        var inHoldout = new bool[total];
        for (int c = 0; c < classCount; c++)
        {
            int[] members = groups[c].ToArray();
            var random = DeterministicRandom.ForStream(seed, StreamTag, (ulong)c);
            random.Shuffle(members.AsSpan());
            for (int k = 0; k < quotas[c]; k++)
                inHoldout[members[k]] = true;
        }

        var holdout = new int[holdoutSize];
        var remainder = new int[total - holdoutSize];
        int h = 0, r = 0;
        for (int i = 0; i < total; i++)
        {
            if (inHoldout[i])
                holdout[h++] = i;
            else
                remainder[r++] = i;
        }
        return new HoldoutSplit(remainder, holdout);
    }

    /// <summary>Largest-remainder apportionment of <paramref name="holdoutSize"/> among classes of the given sizes.</summary>
    internal static int[] Quotas(int[] classSizes, int total, int holdoutSize)
    {
        var quotas = new int[classSizes.Length];
        if (total == 0)
            return quotas;
        var remainders = new long[classSizes.Length];
        int assigned = 0;
        for (int c = 0; c < classSizes.Length; c++)
        {
            long product = (long)holdoutSize * classSizes[c];
            quotas[c] = (int)(product / total);
            remainders[c] = product % total;
            assigned += quotas[c];
        }
        // Σ remainders = N·(H − Σq), and each remainder is < N, so at least H − Σq classes have a positive remainder
        // (never exceeding their size); ordering by (remainder desc, class asc) is total, hence deterministic.
        int[] order = Enumerable.Range(0, classSizes.Length)
            .OrderByDescending(c => remainders[c]).ThenBy(c => c).ToArray();
        for (int k = 0; assigned < holdoutSize; k++)
        {
            quotas[order[k]]++;
            assigned++;
        }
        return quotas;
    }
}
