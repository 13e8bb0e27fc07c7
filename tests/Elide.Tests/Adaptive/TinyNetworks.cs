using Elide.Adaptive;
using Elide.Data;
using Elide.Models;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Adaptive;

/// <summary>Small seeded ResNets and data labelled by the full network's own predictions (so all blocks score 100%
/// and skipping measures agreement with the full model: a meaningful accuracy for untrained weights).</summary>
internal static class TinyNetworks
{
    public static CifarResNetOptions Options(int depth) => new(Depth: depth, Width: 4, InChannels: 1, ImageSize: 9, Seed: 21, RandomizeBatchNorm: true);

    public static Elide.Graph.ComputeGraph Build(int depth) => CifarResNet.Build(Options(depth));

    public static LabelledImages SelfLabelled(InferenceSession session, int count, int seed)
    {
        var pixels = Tensor.Random(new Shape(count, 1, 9, 9), seed, 0f, 1f).Data;
        var logits = session.Run(new Tensor(new Shape(count, 1, 9, 9), pixels))[0].Data;
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int best = 0;
            for (int c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
            labels[i] = best;
        }
        return new LabelledImages(new ImageShape(1, 9, 9), pixels, labels);
    }

    public static ImageDataset Dataset(InferenceSession session, int count, int seed, string name)
    {
        var data = SelfLabelled(session, count, seed);
        return new ImageDataset(name, data.Shape, data.Pixels, data.Labels, 10);
    }
}
