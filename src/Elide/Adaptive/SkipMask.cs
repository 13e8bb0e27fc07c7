namespace Elide.Adaptive;

/// <summary>
/// Which residual blocks run: one flag per block in execution order, written as a string of '1' (run) and
/// '0' (skip), e.g. "111011101". Immutable; compare with <see cref="Equals(SkipMask?)"/>.
/// </summary>
public sealed class SkipMask : IEquatable<SkipMask>
{
    private readonly bool[] run;

    /// <summary>A mask from per-block run flags.</summary>
    public SkipMask(IEnumerable<bool> runFlags) => run = runFlags.ToArray();

    /// <summary>Number of blocks.</summary>
    public int Count => run.Length;

    /// <summary>Number of blocks that run.</summary>
    public int RunCount => run.Count(r => r);

    /// <summary>True when block <paramref name="block"/> runs.</summary>
    public bool Runs(int block) => run[block];

    /// <summary>All blocks run.</summary>
    public static SkipMask All(int blocks) => new(Enumerable.Repeat(true, blocks));

    /// <summary>Parses "1101…".</summary>
    /// <exception cref="FormatException">A character other than '0' or '1'.</exception>
    public static SkipMask Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = 0; i < text.Length; i++)
            if (text[i] is not ('0' or '1'))
                throw new FormatException($"skip configuration '{text}' has '{text[i]}' at position {i}; use only '1' (run) and '0' (skip), one per residual block");
        return new SkipMask(text.Select(c => c == '1'));
    }

    /// <summary>This mask with block <paramref name="block"/> set to <paramref name="runs"/>.</summary>
    public SkipMask With(int block, bool runs)
    {
        var copy = (bool[])run.Clone();
        copy[block] = runs;
        return new SkipMask(copy);
    }

    /// <inheritdoc/>
    public override string ToString() => new(run.Select(r => r ? '1' : '0').ToArray());

    /// <inheritdoc/>
    public bool Equals(SkipMask? other) => other is not null && run.AsSpan().SequenceEqual(other.run);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SkipMask);

    /// <inheritdoc/>
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
