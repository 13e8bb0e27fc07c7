using Elide.Graph;
using Elide.Kernels;
using Elide.Ops;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Tests.Planning;

/// <summary>Random DAGs of convolutions, elementwise ops, views and concatenations run through the planner:
/// if the memory planner ever let a live buffer be overwritten, the planned result would differ from the
/// reference interpreter's.</summary>
public class RandomGraphTests
{
    [Theory]
    [MemberData(nameof(Seeds))]
    public void PlannedGraphMatchesReference(int seed)
    {
        var rng = new Random(seed);
        var g = new ComputeGraph();
        int c = 1 + rng.Next(4), h = 1 + rng.Next(6), w = 1 + rng.Next(6);
        var live = new List<Value> { g.AddInput("x", new Shape(-1, c, h, w)) };
        int nodes = 3 + rng.Next(25);
        for (int i = 0; i < nodes; i++)
        {
            var a = live[rng.Next(live.Count)];
            var b = live[rng.Next(live.Count)];
            Value v = rng.Next(6) switch
            {
                0 => g.Apply(new ActivationOp(Activation.Relu), a),
                1 => g.Apply(new ActivationOp(new Activation(ActivationKind.Tanh)), a),
                2 => g.Apply(new BinaryOp(BinaryOperation.Add), a, b),
                3 => g.Apply(new BinaryOp(BinaryOperation.Multiply), a, b),
                4 => g.Apply(new ConvOp { Pads = (1, 1, 1, 1) }, a, g.AddConstant($"w{i}", Tensor.Random(new Shape(c, c, 3, 3), seed * 100 + i, -0.3f, 0.3f))),
                _ => g.Apply(new ReshapeOp([0, c, h, w]), g.Apply(new FlattenOp(1), a)),
            };
            live.Add(v);
        }
        // A few outputs, some of them intermediate values still read later.
        foreach (var v in live.Skip(1).Where(_ => rng.Next(4) == 0).Append(live[^1]).Distinct()) g.MarkOutput(v);

        var input = Tensor.Random(new Shape(2, c, h, w), seed);
        var expected = ReferenceInterpreter.Run(g, [input]);
        var session = new InferenceSession(g, new SessionOptions { Threads = 2 });
        var actual = session.Run(input);
        for (int i = 0; i < expected.Length; i++) TestUtil.AssertClose(actual[i], expected[i], 1e-4);
    }

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, 40).Select(s => new object[] { s });
}
