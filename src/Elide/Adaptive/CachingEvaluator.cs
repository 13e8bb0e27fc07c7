namespace Elide.Adaptive;

/// <summary>
/// Scores configurations on a fixed image set, keeping the activations at every block boundary of the last
/// configuration run: a new configuration recomputes only from the first block where it differs. Batches of
/// configurations are evaluated in lexicographic order of their mask strings, so neighbours share the longest
/// prefixes (a depth-first walk of the mask trie). A skipped block's boundary is its input's buffer, so skips cost
/// neither time nor memory.
/// </summary>
/// <remarks>Memory: one activation buffer per boundary for all images (about Σ boundary sizes · images · 4 bytes).</remarks>
public sealed class CachingEvaluator : IAccuracyEvaluator
{
    private readonly SegmentedModel model;
    private readonly LabelledImages data;
    private readonly int batchSize;
    private readonly float[][] owned;     // owned[j]: the output buffer of segment j
    private readonly float[]?[] current;  // current[j]: the activations after segment j for lastMask (owned or aliased)
    private SkipMask? lastMask;

    /// <summary>An evaluator of <paramref name="model"/> on <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">The data does not match the first segment's input size.</exception>
    public CachingEvaluator(SegmentedModel model, LabelledImages data, int batchSize = 64)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        this.data = data ?? throw new ArgumentNullException(nameof(data));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        this.batchSize = batchSize;
        if (model.Segments[0].InputElements != data.Shape.Size)
            throw new ArgumentException($"the model takes {model.Segments[0].InputElements} values per image but the data has {data.Shape} images");
        owned = model.Segments.Select(s => new float[s.OutputElements * data.Count]).ToArray();
        current = new float[]?[model.Segments.Count];
    }

    /// <summary>Segment runs executed so far (for tests and reports: the work prefix sharing saved is the difference to segments × configurations).</summary>
    public long SegmentRuns { get; private set; }

    /// <inheritdoc/>
    public int BlockCount => model.BlockCount;

    /// <inheritdoc/>
    public bool CanSkip(int block) => model.CanSkip(block);

    /// <inheritdoc/>
    public IReadOnlyList<double> Evaluate(IReadOnlyList<SkipMask> masks)
    {
        var order = Enumerable.Range(0, masks.Count).OrderBy(i => masks[i].ToString(), StringComparer.Ordinal).ToArray();
        var result = new double[masks.Count];
        foreach (int i in order) result[i] = Evaluate(masks[i]);
        return result;
    }

    /// <summary>Accuracy of one configuration.</summary>
    /// <exception cref="ArgumentException">The mask has the wrong length or skips a block that cannot be skipped.</exception>
    public double Evaluate(SkipMask mask)
    {
        if (mask.Count != BlockCount)
            throw new ArgumentException($"skip configuration '{mask}' has {mask.Count} flags but the model has {BlockCount} residual blocks", nameof(mask));
        for (int b = 0; b < BlockCount; b++)
            if (!mask.Runs(b) && !CanSkip(b))
                throw new ArgumentException($"skip configuration '{mask}' skips block {b}, which cannot be skipped (it changes shape: a downsampling block)", nameof(mask));

        int firstDifferent = lastMask is null ? -1 : FirstDifference(lastMask, mask);
        bool valid = lastMask is not null;
        lastMask = null; // if a segment throws, nothing cached is trusted afterwards
        for (int j = 0; j < model.Segments.Count; j++)
        {
            var seg = model.Segments[j];
            // Everything up to the first block whose flag changed is still what it was.
            if (valid && (firstDifferent < 0 || (seg.Block >= 0 && seg.Block < firstDifferent) || (seg.Block < 0 && BlocksBefore(j) <= firstDifferent)))
                continue;
            valid = false;
            var input = j == 0 ? data.Pixels : current[j - 1]!;
            if (seg.Block >= 0 && !mask.Runs(seg.Block))
            {
                current[j] = input;
                continue;
            }
            model.RunSegment(j, input, owned[j], data.Count, batchSize);
            current[j] = owned[j];
            SegmentRuns++;
        }
        lastMask = mask;
        var logits = current[^1]!;
        int classes = (int)model.Segments[^1].OutputElements;
        return (double)Evaluator.CountCorrect(logits, classes, data.Labels) / Math.Max(1, data.Count);
    }

    /// <summary>One more than the index of the last block at or before segment <paramref name="j"/> (0 if none): a plain
    /// segment depends on exactly those blocks, so it is unchanged iff the first changed block is not among them.</summary>
    private int BlocksBefore(int j)
    {
        int last = -1;
        for (int k = 0; k <= j; k++) if (model.Segments[k].Block >= 0) last = model.Segments[k].Block;
        return last + 1;
    }

    private static int FirstDifference(SkipMask a, SkipMask b)
    {
        for (int i = 0; i < a.Count; i++) if (a.Runs(i) != b.Runs(i)) return i;
        return -1;
    }
}
