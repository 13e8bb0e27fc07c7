using Elide.Graph;
using Elide.Onnx.Import;
using Elide.Onnx.Protos;
using Elide.Ops;
using Elide.Runtime;
using Elide.Tensors;
using static Elide.Onnx.Tests.TestModels;

namespace Elide.Onnx.Tests.Import;

public sealed class OnnxImporterTests
{
    /// <summary>What PyTorch exports for x.view(x.size(0), -1): Shape → Gather(0) → Unsqueeze → Concat → Reshape.</summary>
    private static ModelProto ViewBatchMinusOne(int opset = 13) => new ModelBuilder(opset)
        .Input("x", -1, 3, 4, 4)
        .Ints("zero", 0).Ints("minus_one", -1).Ints("axes0", 0)
        .Node("Shape", "shape", ["x"], ["s"])
        .Node("Gather", "gather", ["s", "zero_scalar"], ["n"], IntAttribute("axis", 0))
        .Node("Unsqueeze", "unsqueeze", ["n", "axes0"], ["n1"])
        .Node("Concat", "concat", ["n1", "minus_one"], ["target"], IntAttribute("axis", 0))
        .Node("Reshape", "reshape", ["x", "target"], ["y"])
        .Output("y")
        .Build();

    private static ModelProto WithScalarZero(ModelProto m)
    {
        m.Graph.Initializer.Add(OnnxTensor.ToProto("zero_scalar", [], new long[] { 0 }));
        return m;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void SymbolicBatchReshapeCopiesTheBatch(int batch)
    {
        var imported = OnnxImporter.Load(WithScalarZero(ViewBatchMinusOne()));
        var graph = imported.Graph;
        Assert.Equal(new Shape(-1, 3, 4, 4), graph.Inputs[0].Shape);
        var reshape = Assert.Single(graph.Nodes, n => n.Op is ReshapeOp);
        Assert.Equal([0, 48], ((ReshapeOp)reshape.Op).Target);
        var x = Tensor.Random(new Shape(batch, 3, 4, 4), 7);
        var y = ReferenceInterpreter.Run(graph, [x])[0];
        Assert.Equal(new Shape(batch, 48), y.Shape);
        Assert.Equal(x.Data, y.Data);
        Assert.Equal(x.Data, new InferenceSession(graph).Run(x)[0].Data);
        Assert.Equal("y", graph.Outputs[0].Name);
    }

    [Fact]
    public void NodesOutOfOrderAreSorted()
    {
        var m = WithScalarZero(ViewBatchMinusOne());
        var nodes = m.Graph.Node.Reverse().ToList();
        m.Graph.Node.Clear();
        m.Graph.Node.AddRange(nodes);
        var graph = OnnxImporter.Load(m).Graph;
        var x = Tensor.Random(new Shape(2, 3, 4, 4), 3);
        Assert.Equal(x.Data, ReferenceInterpreter.Run(graph, [x])[0].Data);
    }

    [Fact]
    public void PReluWithAPerChannelSlopeRunsOnTheEngineAndExports()
    {
        // PyTorch's nn.PReLU(C) exports PRelu(x, slope[C, 1, 1]).
        float[] slope = [0.25f, -0.5f, 2f];
        var m = new ModelBuilder().Input("x", 2, 3, 5, 7)
            .Floats("slope", [3, 1, 1], slope)
            .Node("PRelu", "act", ["x", "slope"], ["y"])
            .Output("y").Build();
        var graph = OnnxImporter.Load(m).Graph;
        var x = Tensor.Random(new Shape(2, 3, 5, 7), 11);
        var expected = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            float v = x.Data[i], a = slope[i / 35 % 3];
            expected[i] = v < 0 ? v * a : v;
        }
        Assert.Equal(expected, ReferenceInterpreter.Run(graph, [x])[0].Data);
        Assert.Equal(expected, new InferenceSession(graph, new SessionOptions { Threads = 1 }).Run(x)[0].Data);

        // A slope that does not broadcast to the input's shape is rejected with the node named.
        var bad = new ModelBuilder().Input("x", 1, 3)
            .Floats("slope", [2, 3], [1, 2, 3, 4, 5, 6])
            .Node("PRelu", "act", ["x", "slope"], ["y"])
            .Output("y").Build();
        var e = Assert.ThrowsAny<Exception>(() => OnnxImporter.Load(bad));
        Assert.Contains("PRelu slope", e.Message);
    }

    [Theory]
    [InlineData("Abs")]
    [InlineData("Neg")]
    [InlineData("Sqrt")]
    [InlineData("Reciprocal")]
    [InlineData("Exp")]
    [InlineData("Log")]
    public void UnaryMathRunsOnTheEngineLikeItsDefinition(string opType)
    {
        // Positive inputs so every function is defined; 3·5·7 = 105 values cover vector bodies and tails.
        var m = new ModelBuilder().Input("x", 1, 3, 5, 7).Node(opType, "f", ["x"], ["y"]).Output("y").Build();
        var graph = OnnxImporter.Load(m).Graph;
        var x = Tensor.Random(new Shape(1, 3, 5, 7), 17, 0.05f, 3f);
        var expected = x.Data.Select(v => opType switch
        {
            "Abs" => Math.Abs((double)v),
            "Neg" => -(double)v,
            "Sqrt" => Math.Sqrt(v),
            "Reciprocal" => 1.0 / v,
            "Exp" => Math.Exp(v),
            _ => Math.Log(v),
        }).ToArray();
        var actual = new InferenceSession(graph, new SessionOptions { Threads = 1 }).Run(x)[0].Data;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"{opType}({x.Data[i]}) = {actual[i]}, expected {expected[i]}");
        Assert.Equal(opType, Assert.Single(graph.Nodes).Op.Name);

        // On static data the importer folds it: Shape-free constant → op → Add keeps only the Add.
        var folded = new ModelBuilder().Input("x", 1, 3)
            .Floats("c", [3], [0.5f, 1f, 2f])
            .Node(opType, "f", ["c"], ["fc"])
            .Node("Add", "add", ["x", "fc"], ["y"])
            .Output("y").Build();
        var g2 = OnnxImporter.Load(folded).Graph;
        Assert.Equal("Add", Assert.Single(g2.Nodes).Op.Name);
    }

    [Fact]
    public void CycleIsReportedWithNodeNames()
    {
        var m = new ModelBuilder().Input("x", 1, 4)
            .Node("Add", "first", ["x", "b"], ["a"])
            .Node("Relu", "second", ["a"], ["b"])
            .Output("b").Build();
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(m));
        Assert.Contains("cycle", e.Message);
        Assert.Contains("'first'", e.Message);
        Assert.Contains("'second'", e.Message);
    }

    [Fact]
    public void MissingInitializerNamesTheNodeAndValue()
    {
        var m = new ModelBuilder().Input("x", 1, 3, 5, 5)
            .Node("Conv", "conv1", ["x", "conv1.weight"], ["y"])
            .Output("y").Build();
        var e = Assert.ThrowsAny<Exception>(() => OnnxImporter.Load(m));
        Assert.True(e is OnnxImportException or OnnxFormatException, e.GetType().Name);
        Assert.Contains("conv1.weight", e.Message);
    }

    [Fact]
    public void DuplicateDefinitionIsRejected()
    {
        var m = new ModelBuilder().Input("x", 1, 4)
            .Node("Relu", "a", ["x"], ["y"])
            .Node("Sigmoid", "b", ["x"], ["y"])
            .Output("y").Build();
        var e = Assert.ThrowsAny<Exception>(() => OnnxImporter.Load(m));
        Assert.True(e is OnnxImportException or OnnxFormatException, e.GetType().Name);
        Assert.Contains("'y'", e.Message);
    }

    [Fact]
    public void EveryUnsupportedOperatorIsListedOnce()
    {
        var m = new ModelBuilder(13).Input("x", -1, 3, 8, 8)
            .Node("Erf", "erf_a", ["x"], ["a"])
            .Node("Relu", "relu", ["a"], ["b"])
            .Node("Erf", "erf_b", ["x"], ["c"])
            .Node("Resize", "resize", ["a"], ["d"])
            .Node("Add", "add", ["b", "c"], ["y"])
            .Output("y").Output("d").Build();
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(m));
        Assert.True(e.IsUnsupported);
        Assert.Contains("Erf (opset 13)", e.Message);
        Assert.Contains("'erf_a', 'erf_b'", e.Message);
        Assert.Contains("Resize (opset 13)", e.Message);
        Assert.Contains("'resize'", e.Message);
        // Unsupported operators downstream of another are listed too; supported nodes downstream are not.
        Assert.DoesNotContain("'add'", e.Message);
        Assert.Equal(3, e.Unsupported.Count);
    }

    [Fact]
    public void NonFloatInputIsUnsupportedWithItsType()
    {
        var m = new ModelBuilder().TypedInput("ids", TensorProto.Types.DataType.Int64, 1, 4)
            .Node("Identity", "id", ["ids"], ["y"]).Output("y").Build();
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(m));
        Assert.Contains("INT64", e.Message);
        Assert.Contains("'ids'", e.Message);
    }

    [Fact]
    public void MetadataPropsBecomeGraphMetadata()
    {
        var m = new ModelBuilder().Input("x", -1, 4).Node("Relu", "r", ["x"], ["y"]).Output("y").Build();
        m.MetadataProps.Add(new StringStringEntryProto { Key = "elide.classes", Value = "10" });
        var imported = OnnxImporter.Load(m);
        Assert.Equal("10", imported.Graph.Metadata["elide.classes"]);
        Assert.Equal(17, imported.Opset);
        Assert.Equal("elide-tests", imported.ProducerName);
    }

    [Fact]
    public void ZeroPadIsFoldedIntoTheFollowingConv()
    {
        var w = ModelBuilder.Random(4 * 2 * 3 * 3, 5);
        var m = new ModelBuilder(13).Input("x", -1, 2, 6, 7)
            .Floats("w", [4, 2, 3, 3], w).Ints("pads", 0, 0, 1, 2, 0, 0, 3, 0)
            .Node("Pad", "pad", ["x", "pads"], ["p"])
            .Node("Conv", "conv", ["p", "w"], ["y"], IntsAttribute("pads", 1, 0, 0, 1))
            .Output("y").Build();
        var graph = OnnxImporter.Load(m).Graph;
        var conv = (ConvOp)Assert.Single(graph.Nodes).Op;
        Assert.Equal((2, 2, 3, 1), conv.Pads);

        var x = Tensor.Random(new Shape(2, 2, 6, 7), 9);
        var expected = new ComputeGraph();
        var ex = expected.AddInput("x", new Shape(-1, 2, 6, 7));
        expected.MarkOutput(expected.Apply(new ConvOp { Pads = (2, 2, 3, 1) }, ex, expected.AddConstant("w", new Tensor(new Shape(4, 2, 3, 3), w))));
        Assert.Equal(ReferenceInterpreter.Run(expected, [x])[0].Data, ReferenceInterpreter.Run(graph, [x])[0].Data);
    }

    [Fact]
    public void PadNotFeedingAConvIsUnsupported()
    {
        var m = new ModelBuilder(13).Input("x", 1, 2, 6, 7).Ints("pads", 0, 0, 1, 1, 0, 0, 1, 1)
            .Node("Pad", "pad", ["x", "pads"], ["p"])
            .Node("Relu", "relu", ["p"], ["y"])
            .Output("y").Build();
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(m));
        Assert.Contains("Pad node 'pad' feeds a Relu", e.Message);
    }

    [Fact]
    public void OneDimensionalConvIsRejectedClearly()
    {
        var m = new ModelBuilder(13).Input("x", 1, 2, 9).Floats("w", [3, 2, 3], ModelBuilder.Random(18, 1))
            .Node("Conv", "conv1d", ["x", "w"], ["y"]).Output("y").Build();
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(m));
        Assert.Contains("1-D convolution", e.Message);
        Assert.Contains("'conv1d'", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void LegacySoftmaxNormalizesTheFlattenedTrailingAxes(int axis)
    {
        var m = new ModelBuilder(11).Input("x", 2, 3, 4).Node("Softmax", "sm", ["x"], ["y"], IntAttribute("axis", axis)).Output("y").Build();
        var graph = OnnxImporter.Load(m).Graph;
        var x = Tensor.Random(new Shape(2, 3, 4), 4);
        var y = ReferenceInterpreter.Run(graph, [x])[0];
        int rows = axis == 1 ? 2 : 6, cols = 24 / rows;
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.Exp(x.Data[r * cols + c]);
            for (int c = 0; c < cols; c++)
                Assert.Equal(Math.Exp(x.Data[r * cols + c]) / sum, y.Data[r * cols + c], 5);
        }
        var planned = new InferenceSession(graph).Run(x)[0].Data;
        for (int i = 0; i < planned.Length; i++) Assert.Equal(y.Data[i], planned[i], 1e-6f);
    }

    [Fact]
    public void ConvAutoPadSameUpperPadsTheEnd()
    {
        var m = new ModelBuilder(11).Input("x", 1, 1, 5, 6).Floats("w", [1, 1, 2, 3], ModelBuilder.Random(6, 2))
            .Node("Conv", "conv", ["x", "w"], ["y"], StringAttribute("auto_pad", "SAME_UPPER"), IntsAttribute("strides", 2, 2))
            .Output("y").Build();
        var graph = OnnxImporter.Load(m).Graph;
        var conv = (ConvOp)graph.Nodes[0].Op;
        // H: out 3, total pad (3−1)·2 + 2 − 5 = 1 → (0, 1); W: out 3, total (3−1)·2 + 3 − 6 = 1 → (0, 1).
        Assert.Equal((0, 0, 1, 1), conv.Pads);
    }

    [Fact]
    public void ClipBoundsFromConstantInputs()
    {
        var m = new ModelBuilder(13).Input("x", -1, 4)
            .Node("Constant", "lo", [], ["min"], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = OnnxTensor.ToProto("", [], new float[] { 0f }) })
            .Node("Constant", "hi", [], ["max"], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = OnnxTensor.ToProto("", [], new float[] { 6f }) })
            .Node("Clip", "relu6", ["x", "min", "max"], ["y"])
            .Output("y").Build();
        var op = (ActivationOp)OnnxImporter.Load(m).Graph.Nodes[0].Op;
        Assert.Equal(new Elide.Kernels.Activation(Elide.Kernels.ActivationKind.Clip, 0f, 6f), op.Activation);
    }

    [Fact]
    public void ConstantInputsFreezeWeightsDeclaredAsInputs()
    {
        var w = OnnxTensor.FromFloats("w", [2, 1, 1, 1], [2f, -1f]);
        var m = new ModelBuilder(11).Input("x", 1, 1, 2, 2).Input("w", 2, 1, 1, 1)
            .Node("Conv", "conv", ["x", "w"], ["y"]).Output("y").Build();
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(m));
        Assert.Equal("w", Assert.Single(e.Unsupported).ConstantInput);
        var graph = OnnxImporter.Load(m, new ImportOptions { ConstantInputs = new Dictionary<string, OnnxTensor> { ["w"] = w } }).Graph;
        var y = ReferenceInterpreter.Run(graph, [new Tensor(new Shape(1, 1, 2, 2), [1, 2, 3, 4])])[0];
        Assert.Equal([2, 4, 6, 8, -1, -2, -3, -4], y.Data);
    }

    [Fact]
    public void SupportedOperatorTableCoversTheRequiredOperators()
    {
        var ops = OnnxImporter.SupportedOperators.Select(o => o.OpType).ToHashSet();
        foreach (var op in new[] { "Conv", "BatchNormalization", "Relu", "Clip", "Gemm", "Reshape", "Shape", "Gather", "Slice", "Pad", "ReduceMean", "Softmax" })
            Assert.Contains(op, ops);
        Assert.All(OnnxImporter.SupportedOperators, o => Assert.True(o.FromOpset <= o.ToOpset && o.ToOpset <= 21));
    }
}
