using Elide.Graph;
using Elide.Models;
using Elide.Onnx.Export;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Onnx.Tests.Export;

public class OnnxExporterTests
{
    private static ComputeGraph SmallResNet() =>
        CifarResNet.Build(new CifarResNetOptions(Depth: 8, Width: 4, InChannels: 1, ImageSize: 10, Seed: 5, RandomizeBatchNorm: true));

    private static string TempFile(string name) => Path.Combine(Directory.CreateTempSubdirectory("elide-export").FullName, name);

    /// <summary>Runs the model at <paramref name="path"/> in ONNX Runtime (tests/…/Export/ort_run.mjs) on
    /// <paramref name="input"/>; asserts success and the output shape ORT reports, and returns its output.</summary>
    private static float[] RunInOnnxRuntime(string path, Tensor input, string expectedOutputShape)
    {
        string inPath = Path.ChangeExtension(path, ".in.f32"), outPath = Path.ChangeExtension(path, ".out.f32");
        File.WriteAllBytes(inPath, System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.Data.AsSpan()).ToArray());
        var (exit, stdout, stderr) = ExternalTools.Run("node", Path.Combine(ExternalTools.RepoRoot, "tests", "Elide.Onnx.Tests", "Export", "ort_run.mjs"),
            path, inPath, string.Join(",", input.Shape.ToArray()), outPath);
        Assert.True(exit == 0, $"ONNX Runtime failed: {stderr}");
        Assert.Equal(expectedOutputShape, stdout.Trim());
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(outPath)).ToArray();
    }

    [Fact]
    public void ExportedModelLoadsWithMetadataAndSymbolicBatch()
    {
        var g = SmallResNet();
        string path = TempFile("m.onnx");
        OnnxExporter.Save(g, path);
        var model = OnnxModelFile.Load(path);
        Assert.Equal(OnnxExporter.Opset, model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Equal("batch", model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(g.Metadata[CifarResNet.BlockMapKey], model.MetadataProps.Single(p => p.Key == CifarResNet.BlockMapKey).Value);
        Assert.Contains(model.Graph.Node, n => n.OpType == "BatchNormalization");
    }

    [Fact]
    public void FusedGraphExportsAsStandardOps()
    {
        var session = new InferenceSession(SmallResNet());
        var model = OnnxExporter.ToModel(session.Graph);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Equal(session.Graph.Nodes.Count(n => n.Op is Ops.ConvOp { HasResidual: true }), model.Graph.Node.Count(n => n.OpType == "Add"));
    }

    [PythonOnnxFact]
    public void OnnxCheckerAcceptsExport()
    {
        string path = TempFile("m.onnx");
        OnnxExporter.Save(SmallResNet(), path);
        var (exit, stdout, stderr) = ExternalTools.Run("/usr/bin/python3", "-c",
            "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok')", path);
        Assert.True(exit == 0, $"onnx.checker rejected the export: {stderr}");
        Assert.Contains("ok", stdout);
    }

    [OnnxRuntimeTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void OnnxRuntimeReproducesElideOutputs(bool exportOptimizedGraph)
    {
        var g = SmallResNet();
        var session = new InferenceSession(g, new SessionOptions { Threads = 1 });
        string path = TempFile("m.onnx");
        OnnxExporter.Save(exportOptimizedGraph ? session.Graph : g, path);
        var input = Tensor.Random(new Shape(3, 1, 10, 10), 9, 0f, 1f);
        var expected = session.Run(input)[0];

        var actual = RunInOnnxRuntime(path, input, "[3,10]");
        double maxDiff = 0, maxRef = 1e-30;
        for (int i = 0; i < actual.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected.Data[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected.Data[i]));
        }
        Assert.True(maxDiff / maxRef <= 1e-4, $"ONNX Runtime differs from Elide by {maxDiff / maxRef:g3} (relative)");
    }

    [OnnxRuntimeFact]
    public void PReluAndUnaryMathExportAndRunInOnnxRuntime()
    {
        // log(1 / exp(−sqrt|prelu(x)|)) = sqrt|prelu(x)|: every op on its defined domain, a per-channel slope.
        var m = new Import.ModelBuilder().Input("x", 2, 3, 4, 5)
            .Floats("slope", [3, 1, 1], [0.25f, -0.5f, 2f])
            .Node("PRelu", "prelu", ["x", "slope"], ["p"])
            .Node("Abs", "abs", ["p"], ["a"])
            .Node("Sqrt", "sqrt", ["a"], ["s"])
            .Node("Neg", "neg", ["s"], ["n"])
            .Node("Exp", "exp", ["n"], ["e"])
            .Node("Reciprocal", "reciprocal", ["e"], ["r"])
            .Node("Log", "log", ["r"], ["y"])
            .Output("y").Build();
        var graph = Onnx.Import.OnnxImporter.Load(m).Graph;
        var input = Tensor.Random(new Shape(2, 3, 4, 5), 21);
        var expected = new InferenceSession(graph, new SessionOptions { Threads = 1 }).Run(input)[0];
        string path = TempFile("unary.onnx");
        OnnxExporter.Save(graph, path);
        Assert.Equal(["PRelu", "Abs", "Sqrt", "Neg", "Exp", "Reciprocal", "Log"], OnnxModelFile.Load(path).Graph.Node.Select(n => n.OpType));

        var actual = RunInOnnxRuntime(path, input, "[2,3,4,5]");
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected.Data[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected.Data[i])), $"element {i}: ORT {actual[i]}, Elide {expected.Data[i]}");
    }

    [Fact]
    public void ExportedModelReimportsWithIdenticalOutputsAndBlocks()
    {
        var g = SmallResNet();
        string path = TempFile("m.onnx");
        OnnxExporter.Save(g, path);
        var reimported = Onnx.Import.OnnxImporter.Load(path).Graph;
        var input = Tensor.Random(new Shape(2, 1, 10, 10), 13, 0f, 1f);
        var expected = new InferenceSession(g, new SessionOptions { Threads = 1 }).Run(input)[0];
        var session = new InferenceSession(reimported, new SessionOptions { Threads = 1 });
        var actual = session.Run(input)[0];
        Assert.Equal(expected.Data, actual.Data);
        Assert.Equal(g.Metadata[CifarResNet.BlockMapKey], reimported.Metadata[CifarResNet.BlockMapKey]);
        Assert.Equal(CifarResNet.Blocks(g).Count, session.Blocks.Count);
    }
}
