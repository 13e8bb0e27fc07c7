using Elide.Data;

namespace Elide.Tests.Data;

public class StratifiedHoldoutTests
{
    private static int[] UnevenLabels(int count)
    {
        // Class c appears with weight c + 1 among 7 classes, in a scrambled order.
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int r = (int)((i * 2654435761L) % 28);
            int c = 0;
            while (r >= c + 1)
            {
                r -= c + 1;
                c++;
            }
            labels[i] = c;
        }
        return labels;
    }

    [Fact]
    public void SplitIsDisjointCompleteSortedAndSized()
    {
        int[] labels = UnevenLabels(1_003);
        HoldoutSplit split = StratifiedHoldout.Split(labels, 7, 101, seed: 9);
        Assert.Equal(101, split.Holdout.Length);
        Assert.Equal(902, split.Remainder.Length);
        Assert.Equal(split.Holdout.Order(), split.Holdout);
        Assert.Equal(split.Remainder.Order(), split.Remainder);
        Assert.Empty(split.Holdout.Intersect(split.Remainder));
        Assert.Equal(Enumerable.Range(0, 1_003), split.Holdout.Concat(split.Remainder).Order());
    }

    [Fact]
    public void EveryClassGetsItsShareToWithinOne()
    {
        int[] labels = UnevenLabels(1_003);
        HoldoutSplit split = StratifiedHoldout.Split(labels, 7, 101, seed: 9);
        for (int c = 0; c < 7; c++)
        {
            int classSize = labels.Count(l => l == c);
            int held = split.Holdout.Count(i => labels[i] == c);
            double share = 101.0 * classSize / 1_003;
            Assert.InRange(held, Math.Floor(share), Math.Ceiling(share));
        }
    }

    [Fact]
    public void BalancedClassesSplitExactly()
    {
        int[] labels = Enumerable.Range(0, 60_000).Select(i => (i * 7) % 10).ToArray();
        HoldoutSplit split = StratifiedHoldout.Split(labels, 10, 5_000, DatasetCatalog.DefaultValidationSeed);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(500, split.Holdout.Count(i => labels[i] == c)));
    }

    [Fact]
    public void SameInputsGiveSameIndicesAndSeedsDiffer()
    {
        int[] labels = UnevenLabels(500);
        HoldoutSplit a = StratifiedHoldout.Split(labels, 7, 50, seed: 1);
        HoldoutSplit b = StratifiedHoldout.Split(labels, 7, 50, seed: 1);
        HoldoutSplit c = StratifiedHoldout.Split(labels, 7, 50, seed: 2);
        Assert.Equal(a.Holdout, b.Holdout);
        Assert.Equal(a.Remainder, b.Remainder);
        Assert.NotEqual(a.Holdout, c.Holdout);
    }

    [Fact]
    public void IndicesAreFixedAcrossMachinesAndVersions()
    {
        // Golden values: if this changes, every recorded validation accuracy in the project changes meaning.
        int[] labels = Enumerable.Range(0, 100).Select(i => i % 4).ToArray();
        HoldoutSplit split = StratifiedHoldout.Split(labels, 4, 8, DatasetCatalog.DefaultValidationSeed);
        Assert.Equal(GoldenHoldout, split.Holdout);
    }

    private static readonly int[] GoldenHoldout = [12, 20, 23, 41, 66, 69, 78, 99];

    [Fact]
    public void QuotasUseLargestRemainders()
    {
        // Sizes 5, 3, 2 of 10, hold out 4: shares 2.0, 1.2, 0.8 → 2, 1, 1.
        Assert.Equal([2, 1, 1], StratifiedHoldout.Quotas([5, 3, 2], 10, 4));
        // Ties go to the smaller class id: shares 0.5, 0.5 → 1, 0.
        Assert.Equal([1, 0], StratifiedHoldout.Quotas([1, 1], 2, 1));
        Assert.Equal([0, 0], StratifiedHoldout.Quotas([0, 0], 0, 0));
        Assert.Equal([5, 3, 2], StratifiedHoldout.Quotas([5, 3, 2], 10, 10));
    }

    [Fact]
    public void EdgeSizesAndBadArguments()
    {
        int[] labels = [0, 1, 0, 1];
        Assert.Empty(StratifiedHoldout.Split(labels, 2, 0, 1).Holdout);
        Assert.Equal([0, 1, 2, 3], StratifiedHoldout.Split(labels, 2, 4, 1).Holdout);
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedHoldout.Split(labels, 2, 5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedHoldout.Split(labels, 2, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedHoldout.Split([0, 2], 2, 1, 1));
    }
}
