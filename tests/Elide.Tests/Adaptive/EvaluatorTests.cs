using Elide.Adaptive;
using Elide.Data;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Adaptive;

public class EvaluatorTests
{
    [Fact]
    public void CountCorrectTakesTheFirstLargestLogit()
    {
        float[] logits = [0.1f, 0.9f, 0.9f, /**/ 2f, 1f, 0f, /**/ 0f, 0f, 0f];
        Assert.Equal(2, Evaluator.CountCorrect(logits, 3, [1, 0, 1]));
        Assert.Equal(1, Evaluator.CountCorrect(logits, 3, [2, 0, 2]));
    }

    [Fact]
    public void AllBlocksAgreeWithThemselvesAndMaskedAccuracyMatchesMaskedRuns()
    {
        var session = new InferenceSession(TinyNetworks.Build(20), new SessionOptions { Threads = 1 });
        var data = TinyNetworks.SelfLabelled(session, 37, 3);
        var evaluator = new Evaluator(session, data, batchSize: 8); // 37 = 4 full batches + a partial one
        Assert.Equal(new EvaluationResult(37, 37), evaluator.Evaluate((SkipMask?)null));
        var mask = SkipMask.Parse("101101101");
        var logits = session.Run(mask, new Tensor(new Shape(37, 1, 9, 9), data.Pixels))[0].Data;
        Assert.Equal(Evaluator.CountCorrect(logits, 10, data.Labels), evaluator.Evaluate(mask).Correct);
    }

    [Fact]
    public void CachingEvaluatorEqualsThePlainEvaluatorInAnyOrderAndSharesPrefixes()
    {
        var graph = TinyNetworks.Build(20);
        var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
        var data = TinyNetworks.SelfLabelled(session, 29, 8);
        var plain = new Evaluator(session, data, batchSize: 8);
        var segmented = SegmentedModel.TryCreate(graph, session.Blocks, new SessionOptions { Threads = 1 });
        Assert.NotNull(segmented);
        Assert.Equal(11, segmented.Segments.Count); // stem, 9 blocks, head
        var caching = new CachingEvaluator(segmented, data, batchSize: 8);
        var rng = new Random(4);
        var masks = Enumerable.Range(0, 40).Select(_ =>
            new SkipMask(Enumerable.Range(0, 9).Select(b => b is 3 or 6 || rng.Next(3) > 0))).ToList();
        masks.Add(SkipMask.All(9));
        masks.Add(masks[5]); // repeats are recomputed from the cache and must agree
        var cached = caching.Evaluate(masks);
        for (int i = 0; i < masks.Count; i++) Assert.Equal(plain.Evaluate(masks[i]).Accuracy, cached[i], 12);
        // Lexicographic order shares prefixes: far fewer segment runs than segments × configurations.
        Assert.True(caching.SegmentRuns < 0.7 * 11 * masks.Count, $"{caching.SegmentRuns} segment runs for {masks.Count} configurations");
        // One at a time in an adversarial order still agrees.
        foreach (var m in masks.AsEnumerable().Reverse()) Assert.Equal(plain.Evaluate(m).Accuracy, caching.Evaluate(m), 12);
        Assert.Throws<ArgumentException>(() => caching.Evaluate(SkipMask.Parse("111011111")));
    }

    [Fact]
    public void LabelledImagesTakesAnEvenlySpacedStandardizedSubset()
    {
        var pixels = Enumerable.Range(0, 10 * 4).Select(i => (float)i).ToArray();
        var labels = Enumerable.Range(0, 10).ToArray();
        var ds = new ImageDataset("d", new ImageShape(1, 2, 2), pixels, labels, 10);
        var std = new ChannelStandardization([1f], [2f]);
        var subset = LabelledImages.From(ds, std, 5);
        Assert.Equal([0, 2, 4, 6, 8], subset.Labels);
        Assert.Equal((8f - 1f) / 2f, subset.Pixels[4], 6); // image 2's first pixel (value 8)
        Assert.Equal(10, LabelledImages.From(ds).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => LabelledImages.From(ds, null, 0));
    }

    [Fact]
    public void StandardizationIsReadFromMetadata()
    {
        var g = TinyNetworks.Build(8);
        Assert.Null(LabelledImages.StandardizationOf(g));
        g.Metadata[LabelledImages.StandardizationMetadataKey] = "{\"mean\":[0.28],\"std\":[0.35]}";
        var s = LabelledImages.StandardizationOf(g)!;
        Assert.Equal(0.28f, s.Mean[0]);
        Assert.Equal(0.35f, s.StandardDeviation[0]);
        g.Metadata[LabelledImages.StandardizationMetadataKey] = "{\"mean\":[0.28]}";
        Assert.Throws<FormatException>(() => LabelledImages.StandardizationOf(g));
    }
}
