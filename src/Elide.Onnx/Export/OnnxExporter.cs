using System.Reflection;
using Elide.Graph;
using Elide.Kernels;
using Elide.Ops;
using Elide.Onnx.Protos;
using Elide.Tensors;
using Google.Protobuf;

namespace Elide.Onnx.Export;

/// <summary>
/// Writes an Elide <see cref="ComputeGraph"/> as a standard ONNX model (opset 17, IR version 8) that any ONNX
/// runtime can run: fused nodes are written back as their standard op sequence (Conv, Add, Relu), graph
/// metadata becomes metadata_props, and a free batch dimension becomes the symbolic dimension "batch".
/// </summary>
public static class OnnxExporter
{
    /// <summary>The opset written.</summary>
    public const int Opset = 17;

    /// <summary>IR version matching <see cref="Opset"/> (ONNX 1.12 → IR 8).</summary>
    public const int IrVersion = 8;

    /// <summary>Builds the ModelProto for <paramref name="graph"/>.</summary>
    /// <exception cref="GraphException">The graph holds an op that has no ONNX equivalent here.</exception>
    public static ModelProto ToModel(ComputeGraph graph, string graphName = "elide")
    {
        var writer = new Writer(graph);
        var g = writer.Write(graphName);
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "elide",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0",
            Graph = g,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (k, v) in graph.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }

    /// <summary>Writes <paramref name="graph"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(ComputeGraph graph, string path, ExternalDataOptions? externalData = null) =>
        OnnxModelFile.Save(ToModel(graph, Path.GetFileNameWithoutExtension(path)), path, externalData);

    private sealed class Writer(ComputeGraph source)
    {
        private readonly GraphProto graph = new();
        private readonly HashSet<string> names = new(StringComparer.Ordinal);
        private int counter;

        public GraphProto Write(string name)
        {
            graph.Name = name;
            foreach (var v in source.Values.Values) names.Add(v.Name);
            foreach (var v in source.Inputs) graph.Input.Add(ValueInfo(v.Name, v.Shape!));
            var shapes = source.InferShapes(source.Inputs.Select(i => new Shape(i.Shape!.Select(d => d < 0 ? 1 : d).ToArray())).ToList());
            var free = source.Inputs.Count > 0 && source.Inputs[0].Shape!.Rank > 0 && source.Inputs[0].Shape![0] < 0;
            var constants = new HashSet<Value>();
            foreach (var n in source.TopologicalOrder())
            {
                foreach (var v in n.Inputs)
                    if (v is { IsConstant: true } && constants.Add(v))
                        graph.Initializer.Add(OnnxTensor.ToProto(v.Name, v.Constant!.Shape.Select(d => (long)d).ToArray(), v.Constant.Data));
                WriteNode(n);
            }
            foreach (var v in source.Outputs)
            {
                var s = shapes[v];
                // Outputs inherit the free batch: dimension 0 is symbolic when the first input's is.
                var dims = s.ToArray();
                if (free && dims.Length > 0) dims[0] = -1;
                graph.Output.Add(ValueInfo(v.Name, new Shape(dims)));
            }
            return graph;
        }

        private static ValueInfoProto ValueInfo(string name, Shape shape)
        {
            var tensorShape = new TensorShapeProto();
            foreach (int d in shape)
                tensorShape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
            };
        }

        private string Fresh(string prefix)
        {
            string n;
            do n = $"{prefix}_{counter++}"; while (!names.Add(n));
            return n;
        }

        private NodeProto Emit(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs)
        {
            var node = new NodeProto { OpType = op, Name = name };
            node.Input.AddRange(inputs);
            node.Output.AddRange(outputs);
            graph.Node.Add(node);
            return node;
        }

        private string Int64Constant(string prefix, params long[] values)
        {
            string n = Fresh(prefix);
            graph.Initializer.Add(OnnxTensor.ToProto(n, [values.Length], values));
            return n;
        }

        private string FloatScalar(string prefix, float value)
        {
            string n = Fresh(prefix);
            graph.Initializer.Add(OnnxTensor.ToProto(n, ReadOnlySpan<long>.Empty, [value]));
            return n;
        }

        private static string In(Value? v) => v?.Name ?? "";

        /// <summary>Writes an activation node from <paramref name="input"/> to <paramref name="output"/>.</summary>
        private void EmitActivation(Activation a, string name, string input, string output)
        {
            switch (a.Kind)
            {
                case ActivationKind.None: Emit("Identity", name, [input], [output]); break;
                case ActivationKind.Relu: Emit("Relu", name, [input], [output]); break;
                case ActivationKind.LeakyRelu: Emit("LeakyRelu", name, [input], [output]).Attribute.Add(Float("alpha", a.Alpha)); break;
                case ActivationKind.Clip:
                    Emit("Clip", name, [input, FloatScalar(name + "_min", a.Alpha), FloatScalar(name + "_max", a.Beta)], [output]);
                    break;
                case ActivationKind.Sigmoid: Emit("Sigmoid", name, [input], [output]); break;
                case ActivationKind.Tanh: Emit("Tanh", name, [input], [output]); break;
                case ActivationKind.HardSwish: Emit("HardSwish", name, [input], [output]); break;
                case ActivationKind.HardSigmoid:
                    var hs = Emit("HardSigmoid", name, [input], [output]);
                    hs.Attribute.Add(Float("alpha", a.Alpha));
                    hs.Attribute.Add(Float("beta", a.Beta));
                    break;
                default: throw new GraphException($"activation {a.Kind} has no ONNX export");
            }
        }

        private void WriteNode(Node n)
        {
            string output = n.Outputs[0].Name;
            switch (n.Op)
            {
                case ConvOp c:
                {
                    bool post = c.HasResidual || c.Activation.Kind != ActivationKind.None;
                    string convOut = post ? Fresh(n.Name + "_conv") : output;
                    var w = n.Input(1);
                    var node = Emit("Conv", n.Name, new[] { In(n.Inputs[0]), w.Name }.Concat(n.OptionalInput(2) is { } b ? [b.Name] : []), [convOut]);
                    var ws = w.Shape ?? w.Constant!.Shape;
                    node.Attribute.Add(Ints("kernel_shape", ws[2], ws[3]));
                    node.Attribute.Add(Ints("strides", c.Strides.H, c.Strides.W));
                    node.Attribute.Add(Ints("pads", c.Pads.Top, c.Pads.Left, c.Pads.Bottom, c.Pads.Right));
                    node.Attribute.Add(Ints("dilations", c.Dilations.H, c.Dilations.W));
                    node.Attribute.Add(Int("group", c.Group));
                    string cur = convOut;
                    if (c.HasResidual)
                    {
                        string sum = c.Activation.Kind != ActivationKind.None ? Fresh(n.Name + "_sum") : output;
                        Emit("Add", n.Name + "_residual", [cur, n.Input(3).Name], [sum]);
                        cur = sum;
                    }
                    if (c.Activation.Kind != ActivationKind.None) EmitActivation(c.Activation, n.Name + "_act", cur, output);
                    break;
                }
                case BatchNormOp bn:
                    Emit("BatchNormalization", n.Name, n.Inputs.Select(In), [output]).Attribute.Add(Float("epsilon", bn.Epsilon));
                    break;
                case ActivationOp a:
                    EmitActivation(a.Activation, n.Name, In(n.Inputs[0]), output);
                    break;
                case UnaryOp u:
                    Emit(u.Name, n.Name, [In(n.Inputs[0])], [output]);
                    break;
                case BinaryOp b:
                {
                    bool act = b.Activation.Kind != ActivationKind.None;
                    string res = act ? Fresh(n.Name + "_pre") : output;
                    Emit(b.Name, n.Name, n.Inputs.Select(In), [res]);
                    if (act) EmitActivation(b.Activation, n.Name + "_act", res, output);
                    break;
                }
                case PoolOp p:
                {
                    var node = Emit(p.Name, n.Name, [In(n.Inputs[0])], [output]);
                    node.Attribute.Add(Ints("kernel_shape", p.Kernel.H, p.Kernel.W));
                    node.Attribute.Add(Ints("strides", p.Strides.H, p.Strides.W));
                    node.Attribute.Add(Ints("pads", p.Pads.Top, p.Pads.Left, p.Pads.Bottom, p.Pads.Right));
                    node.Attribute.Add(Int("ceil_mode", p.CeilMode ? 1 : 0));
                    if (p.Kind == PoolKind.Max) node.Attribute.Add(Ints("dilations", p.Dilations.H, p.Dilations.W));
                    else
                    {
                        if (p.Dilations != (1, 1)) throw new GraphException(n, "AveragePool with dilation needs opset 19; export targets opset 17");
                        node.Attribute.Add(Int("count_include_pad", p.CountIncludePad ? 1 : 0));
                    }
                    break;
                }
                case GlobalPoolOp gp:
                    Emit(gp.Name, n.Name, [In(n.Inputs[0])], [output]);
                    break;
                case GemmOp gm:
                {
                    bool act = gm.Activation.Kind != ActivationKind.None;
                    string res = act ? Fresh(n.Name + "_pre") : output;
                    var node = Emit("Gemm", n.Name, n.Inputs.Select(In), [res]);
                    node.Attribute.Add(Int("transA", gm.TransA ? 1 : 0));
                    node.Attribute.Add(Int("transB", gm.TransB ? 1 : 0));
                    node.Attribute.Add(Float("alpha", gm.Alpha));
                    node.Attribute.Add(Float("beta", gm.Beta));
                    if (act) EmitActivation(gm.Activation, n.Name + "_act", res, output);
                    break;
                }
                case MatMulOp:
                    Emit("MatMul", n.Name, n.Inputs.Select(In), [output]);
                    break;
                case ReshapeOp r:
                {
                    var node = Emit("Reshape", n.Name, [In(n.Inputs[0]), Int64Constant(n.Name + "_shape", r.Target.Select(t => (long)t).ToArray())], [output]);
                    if (r.AllowZero) node.Attribute.Add(Int("allowzero", 1));
                    break;
                }
                case FlattenOp f:
                    Emit("Flatten", n.Name, [In(n.Inputs[0])], [output]).Attribute.Add(Int("axis", f.Axis));
                    break;
                case IdentityOp:
                    Emit("Identity", n.Name, [In(n.Inputs[0])], [output]);
                    break;
                case TransposeOp t:
                {
                    var node = Emit("Transpose", n.Name, [In(n.Inputs[0])], [output]);
                    if (t.Permutation is not null) node.Attribute.Add(Ints("perm", t.Permutation.ToArray()));
                    break;
                }
                case ConcatOp cc:
                    Emit("Concat", n.Name, n.Inputs.Select(In), [output]).Attribute.Add(Int("axis", cc.Axis));
                    break;
                case SplitOp sp:
                {
                    // One Slice per part: valid for any start and for parts that do not cover the whole axis.
                    long start = sp.Start;
                    for (int i = 0; i < n.Outputs.Length; i++)
                    {
                        long end = start + sp.Sizes[i];
                        Emit("Slice", $"{n.Name}_part{i}", [In(n.Inputs[0]), Int64Constant(n.Name + "_starts", start),
                            Int64Constant(n.Name + "_ends", end), Int64Constant(n.Name + "_axes", sp.Axis)], [n.Outputs[i].Name]);
                        start = end;
                    }
                    break;
                }
                case SoftmaxOp sm:
                    Emit(sm.Name, n.Name, [In(n.Inputs[0])], [output]).Attribute.Add(Int("axis", sm.Axis));
                    break;
                default:
                    throw new GraphException(n, "has no ONNX export");
            }
        }

        private static AttributeProto Int(string name, long value) =>
            new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        private static AttributeProto Float(string name, float value) =>
            new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

        private static AttributeProto Ints(string name, params long[] values)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(values);
            return a;
        }

        private static AttributeProto Ints(string name, params int[] values) => Ints(name, values.Select(v => (long)v).ToArray());
    }
}
