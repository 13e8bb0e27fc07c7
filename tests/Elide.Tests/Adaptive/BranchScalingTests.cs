using System.Text.Json.Nodes;
using Elide.Adaptive;
using Elide.Models;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Adaptive;

public class BranchScalingTests
{
    private static void RecordScale(Elide.Graph.ComputeGraph g, double scale)
    {
        var map = JsonNode.Parse(g.Metadata[CifarResNet.BlockMapKey])!.AsArray();
        foreach (var e in map) e!["BranchScale"] = e["Downsample"]!.GetValue<bool>() ? 1.0 : scale;
        g.Metadata[CifarResNet.BlockMapKey] = map.ToJsonString();
    }

    [Fact]
    public void UnscalingDividesTheFoldedFactorOutOfEachBranch()
    {
        var plain = TinyNetworks.Build(20);
        // A "trained" model whose identity branches are scaled by 0.5: unscale a copy that claims 2, then record 0.5.
        var claimsTwo = plain.Clone();
        RecordScale(claimsTwo, 2.0);
        var scaled = BranchScaling.Unscaled(claimsTwo);
        RecordScale(scaled, 0.5);
        Assert.Equal(0.5, BranchScaling.RecordedScales(scaled)["stage1.block2.relu2:out"]);

        var x = Tensor.Random(new Shape(2, 1, 9, 9), 3, 0f, 1f);
        var reference = ReferenceInterpreter.Run(plain, [x])[0];
        var halved = ReferenceInterpreter.Run(scaled, [x])[0];
        Assert.True(TestUtil.RelativeError(halved.Data, reference.Data) > 1e-3, "scaling the branches must change the output");
        var restored = BranchScaling.Unscaled(scaled);
        TestUtil.AssertClose(ReferenceInterpreter.Run(restored, [x])[0], reference, 1e-5);
        Assert.All(BranchScaling.RecordedScales(restored).Values, s => Assert.Equal(1.0, s));
        Assert.Equal("none", restored.Metadata["elide.branch_scaling"]);
        // The original is untouched and a masked run of the unscaled model works like any other.
        Assert.Equal(0.5, BranchScaling.RecordedScales(scaled)["stage1.block2.relu2:out"]);
        var session = new InferenceSession(restored, new SessionOptions { Threads = 1 });
        Assert.Equal(10, session.Run(SkipMask.Parse("101101101"), x)[0].Shape[1]);
    }

    [Fact]
    public void ModelsWithoutRecordedScalesAreUnchanged()
    {
        var g = TinyNetworks.Build(14);
        Assert.All(BranchScaling.RecordedScales(g).Values, s => Assert.Equal(1.0, s));
        var x = Tensor.Random(new Shape(1, 1, 9, 9), 4, 0f, 1f);
        Assert.Equal(ReferenceInterpreter.Run(g, [x])[0].Data, ReferenceInterpreter.Run(BranchScaling.Unscaled(g), [x])[0].Data);
    }
}
