using Elide.Adaptive;
using Elide.Models;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Planning;

/// <summary>Plans run a batch one image at a time (depth-first, activations stay in L2), on one thread in sequence or
/// as one stream per thread: the results must equal the reference interpreter's, with and without skipped blocks.</summary>
public class MicroBatchingTests
{
    [Theory]
    [InlineData(1, null)]
    [InlineData(7, null)]
    [InlineData(5, "110110110")]
    public void OneImageAtATimeEqualsWholeBatch(int batch, string? mask)
    {
        var g = CifarResNet.Build(new CifarResNetOptions(Depth: 20, Width: 8, InChannels: 1, ImageSize: 12, Seed: 4, RandomizeBatchNorm: true));
        var input = Tensor.Random(new Shape(batch, 1, 12, 12), 8, 0f, 1f);
        var m = mask is null ? null : SkipMask.Parse(mask);
        var single = new InferenceSession(g, new SessionOptions { Threads = 1 });
        Assert.Equal(batch > 1, single.GetPlan(input.Shape).RunsInSlices);
        var perImage = single.Run(m, input)[0];
        // Three threads: concurrent streams, one slice plan each, claiming images as they finish (7 images over 3).
        var parallel = new InferenceSession(g, new SessionOptions { Threads = 3 });
        Assert.Equal(batch > 1 ? Math.Min(3, batch) : 1, parallel.GetPlan(input.Shape).SliceStreamCount);
        var streams = parallel.Run(m, input)[0];
        var reference = ReferenceInterpreter.Run(m is null ? g : SkipMaskPruner.Prune(g, ResidualBlockDetector.Detect(g), m), [input])[0];
        TestUtil.AssertClose(perImage, streams, 1e-6);
        TestUtil.AssertClose(perImage, reference, 1e-5);
        // Again: the streams' buffers are reused, and a second run must not see the first's state.
        TestUtil.AssertClose(perImage, parallel.Run(m, input)[0], 1e-6);
    }
}
