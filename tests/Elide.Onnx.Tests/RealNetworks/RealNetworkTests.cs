using Elide.IO;
using Elide.Onnx.Import;
using Elide.Runtime;
using Elide.Tensors;
using Xunit.Abstractions;

namespace Elide.Onnx.Tests.RealNetworks;

/// <summary>
/// torchvision and CIFAR networks exported by PyTorch at opsets 13 and 17 (BatchNorm kept, randomized), imported
/// into Elide and run at batch 2: the logits must match PyTorch's to max|diff| / max|logit| ≤ 1e-4, both through
/// the reference interpreter (the specification) and the planned, folded, fused session.
/// </summary>
public sealed class RealNetworkTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (int opset in TorchExports.Opsets)
            foreach (var model in TorchExports.Models) data.Add(model, opset);
        return data;
    }

    [TorchExportTheory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string model, int opset)
    {
        string dir = TorchExports.DirectoryFor(opset);
        var imported = OnnxImporter.Load(Path.Combine(dir, model + ".onnx"));
        Assert.Equal(opset, imported.Opset);
        var graph = imported.Graph;
        Assert.Equal(-1, graph.Inputs[0].Shape![0]);

        var x = NpyFile.Read(Path.Combine(dir, model + ".input.npy"));
        var expected = NpyFile.Read(Path.Combine(dir, model + ".output.npy")).ToFloatArray();
        var input = new Tensor(new Shape(x.CopyShape().Select(d => (int)d).ToArray()), x.ToFloatArray());
        Assert.Equal(2, input.Shape[0]);

        double scale = expected.Max(v => Math.Abs((double)v));
        double reference = MaxAbsDiff(ReferenceInterpreter.Run(graph, [input])[0].Data, expected) / scale;
        var session = new InferenceSession(graph);
        double planned = MaxAbsDiff(session.Run(input)[0].Data, expected) / scale;
        output.WriteLine($"{model} opset {opset}: max|diff|/max|logit| reference {reference:E2}, session {planned:E2} (max|logit| {scale:G3}, {graph.Nodes.Count} nodes imported, {session.Graph.Nodes.Count} after optimization)");
        Assert.True(reference <= Tolerance, $"{model} opset {opset}: reference interpreter relative error {reference:E3} > {Tolerance:E0}");
        Assert.True(planned <= Tolerance, $"{model} opset {opset}: inference session relative error {planned:E3} > {Tolerance:E0}");
    }

    private static double MaxAbsDiff(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            max = Math.Max(max, d);
        }
        return max;
    }
}
