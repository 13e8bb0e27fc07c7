using Elide.Adaptive;
using Elide.Models;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Adaptive;

public class SkipMaskTests
{
    private static readonly CifarResNetOptions Options = new(Depth: 20, Width: 4, InChannels: 1, ImageSize: 9, Seed: 21, RandomizeBatchNorm: true);

    [Fact]
    public void DetectorFindsTheBuilderBlocks()
    {
        var g = CifarResNet.Build(Options);
        var detected = ResidualBlockDetector.Detect(g);
        var recorded = CifarResNet.Blocks(g);
        Assert.Equal(recorded.Count, detected.Count);
        for (int i = 0; i < detected.Count; i++)
        {
            Assert.Equal(recorded[i].Input, detected[i].Input);
            Assert.Equal(recorded[i].Output, detected[i].Output);
            Assert.Equal(!recorded[i].Downsample, detected[i].Skippable);
        }
    }

    [Fact]
    public void ParseAndFormatRoundTrip()
    {
        Assert.Equal("10110", SkipMask.Parse("10110").ToString());
        Assert.Equal(3, SkipMask.Parse("10110").RunCount);
        var e = Assert.Throws<FormatException>(() => SkipMask.Parse("10x1"));
        Assert.Contains("position 2", e.Message);
    }

    public static IEnumerable<object[]> Masks() =>
    [
        ["111111111"], ["011111111"], ["101101101"], ["100100100"], ["111011011"], ["001001001"], ["110111110"],
    ];

    [Theory]
    [MemberData(nameof(Masks))]
    public void MaskedRunEqualsPrunedGraph(string maskText)
    {
        var g = CifarResNet.Build(Options);
        var session = new InferenceSession(g, new SessionOptions { Threads = 2 });
        var mask = SkipMask.Parse(maskText);
        // Downsampling blocks (3 and 6 here: first block of stages 2 and 3) must stay; skip only identity ones.
        if (!mask.Runs(3) || !mask.Runs(6)) mask = mask.With(3, true).With(6, true);
        var input = Tensor.Random(new Shape(3, 1, 9, 9), 17, 0f, 1f);
        var expected = ReferenceInterpreter.Run(SkipMaskPruner.Prune(g, session.Blocks, mask), [input])[0];
        var actual = session.Run(mask, input)[0];
        TestUtil.AssertClose(actual, expected, 1e-5);
    }

    [Fact]
    public void SwitchingMasksBackAndForthGivesEachMasksOwnResult()
    {
        var g = CifarResNet.Build(Options);
        var session = new InferenceSession(g, new SessionOptions { Threads = 1 });
        var input = Tensor.Random(new Shape(2, 1, 9, 9), 5, 0f, 1f);
        var masks = new[] { "111111111", "101101101", "111111111", "100110100", "101101101" }.Select(SkipMask.Parse).ToArray();
        var first = new Dictionary<string, float[]>();
        foreach (var m in masks)
        {
            var y = session.Run(m, input)[0].Data;
            if (first.TryGetValue(m.ToString(), out var earlier)) Assert.Equal(earlier, y);
            else first[m.ToString()] = y;
        }
        Assert.NotEqual(first["111111111"], first["101101101"]);
        Assert.Equal(session.Run(input)[0].Data, first["111111111"]);
    }

    [Fact]
    public void SelectingAMaskAheadOfARunChangesNothingButTheBinding()
    {
        var session = new InferenceSession(CifarResNet.Build(Options), new SessionOptions { Threads = 1 });
        var plan = session.GetPlan(new Shape(2, 1, 9, 9));
        var input = Tensor.Random(new Shape(2, 1, 9, 9), 8, 0f, 1f).Data;
        var skip = SkipMask.Parse("101101101");
        var expected = new float[plan.OutputShapes[0].ElementCount];
        plan.Run(input, expected, skip);

        plan.SelectMask(null);
        plan.SelectMask(skip);
        var actual = new float[expected.Length];
        plan.Run(input, actual, skip);
        Assert.Equal(expected, actual);

        plan.SelectMask(null); // a selection is only a binding: a run with another mask rebinds
        var full = new float[expected.Length];
        plan.Run(input, full, null);
        Assert.NotEqual(expected, full);
        Assert.Throws<ArgumentException>(() => plan.SelectMask(SkipMask.Parse("111011111")));
        Assert.Throws<ArgumentException>(() => plan.SelectMask(SkipMask.Parse("11")));
    }

    [Fact]
    public void SkippingADownsamplingBlockIsRejected()
    {
        var session = new InferenceSession(CifarResNet.Build(Options));
        var e = Assert.Throws<ArgumentException>(() => session.Run(SkipMask.Parse("111011111"), new Tensor(new Shape(1, 1, 9, 9))));
        Assert.Contains("block 3", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => session.Run(SkipMask.Parse("1111"), new Tensor(new Shape(1, 1, 9, 9))));
        Assert.Contains("9 residual blocks", e2.Message);
    }

    [Fact]
    public void SkippedBlocksRunNoSteps()
    {
        var session = new InferenceSession(CifarResNet.Build(Options));
        var plan = session.GetPlan(new Shape(1, 1, 9, 9));
        Assert.Equal(9, plan.BlockCount);
        Assert.False(plan.CanSkip(3));
        Assert.True(plan.CanSkip(4));
        Assert.Equal(2, plan.StepsOfBlock(4).Count); // conv1(+ReLU) and conv2(+residual+ReLU)
    }
}
