using Elide.Onnx.Protos;
using Google.Protobuf;

namespace Elide.Onnx.Tests;

/// <summary>Small hand-built models used across the tests.</summary>
internal static class TestModels
{
    /// <summary>Y = Relu(X · W + B) with W [4,3] and B [3] as initializers (W large enough to go external).</summary>
    public static ModelProto Linear(int rows = 4, int columns = 3)
    {
        var weights = new float[rows * columns];
        for (int i = 0; i < weights.Length; i++) weights[i] = 0.25f * i - 1f;
        var bias = new float[columns];
        for (int i = 0; i < bias.Length; i++) bias[i] = i;

        var graph = new GraphProto { Name = "linear" };
        graph.Initializer.Add(OnnxTensor.ToProto("W", [rows, columns], weights));
        graph.Initializer.Add(OnnxTensor.ToProto("B", [columns], bias));
        graph.Input.Add(TensorValue("X", TensorProto.Types.DataType.Float, 1, rows));
        graph.Output.Add(TensorValue("Y", TensorProto.Types.DataType.Float, 1, columns));
        graph.Node.Add(Node("MatMul", "matmul", ["X", "W"], ["XW"]));
        graph.Node.Add(Node("Add", "add", ["XW", "B"], ["Z"]));
        graph.Node.Add(Node("Relu", "relu", ["Z"], ["Y"]));

        var model = new ModelProto { IrVersion = 8, ProducerName = "elide-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    /// <summary>Linear model plus an If node whose branches are subgraphs with their own initializers.</summary>
    public static ModelProto WithSubgraphs()
    {
        var model = Linear();
        GraphProto Branch(string name, float value)
        {
            var g = new GraphProto { Name = name };
            g.Initializer.Add(OnnxTensor.ToProto(name + "_c", [1], [value]));
            g.Node.Add(Node("Identity", name + "_id", [name + "_c"], [name + "_out"]));
            g.Output.Add(TensorValue(name + "_out", TensorProto.Types.DataType.Float, 1));
            return g;
        }
        model.Graph.Initializer.Add(OnnxTensor.FromRawBytes("cond", OnnxElementType.Bool, [], [1]).ToProto());
        model.Graph.Node.Add(Node("If", "if", ["cond"], ["branch_out"],
            new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = Branch("then", 1f) },
            new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = Branch("else", 2f) }));
        return model;
    }

    public static NodeProto Node(string opType, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static ValueInfoProto TensorValue(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static AttributeProto IntAttribute(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto FloatAttribute(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto StringAttribute(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A fresh empty directory under the system temp folder, deleted by Dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "elide-onnx-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { }
        }
    }
}
