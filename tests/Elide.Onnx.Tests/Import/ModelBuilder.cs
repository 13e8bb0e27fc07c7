using Elide.Onnx.Protos;
using static Elide.Onnx.Tests.TestModels;

namespace Elide.Onnx.Tests.Import;

/// <summary>Builds small ONNX models in code: float inputs with a symbolic batch, initializers, nodes.</summary>
internal sealed class ModelBuilder(int opset = 17)
{
    private readonly ModelProto model = new() { IrVersion = 8, ProducerName = "elide-tests", Graph = new GraphProto { Name = "test" } };

    public GraphProto Graph => model.Graph;

    /// <summary>A float32 input; a negative dimension becomes the symbolic "batch".</summary>
    public ModelBuilder Input(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        model.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } });
        return this;
    }

    public ModelBuilder TypedInput(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        model.Graph.Input.Add(TensorValue(name, type, dims));
        return this;
    }

    public ModelBuilder Output(string name)
    {
        model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        return this;
    }

    public ModelBuilder Floats(string name, long[] dims, float[] values)
    {
        model.Graph.Initializer.Add(OnnxTensor.ToProto(name, dims, values));
        return this;
    }

    public ModelBuilder Ints(string name, params long[] values)
    {
        model.Graph.Initializer.Add(OnnxTensor.ToProto(name, [values.Length], values));
        return this;
    }

    public ModelBuilder Node(string opType, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        model.Graph.Node.Add(TestModels.Node(opType, name, inputs, outputs, attributes));
        return this;
    }

    public ModelProto Build()
    {
        model.OpsetImport.Clear();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>Seeded values in [−1, 1).</summary>
    public static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }
}
