using System.Text.Json.Nodes;
using Elide.Onnx.Conformance;
using Elide.Onnx.Protos;

namespace Elide.Onnx.Tests.Conformance;

/// <summary>
/// Compares our parse of a few corpus models with python3-onnx's (summaries generated once with
/// onnx 1.12 and committed as python-onnx-summaries.json): structure exactly, tensor sums to 1e-9.
/// </summary>
public class PythonOnnxCrossCheckTests
{
    [ConformanceFact]
    public void OurParseMatchesPythonOnnx()
    {
        string root = OnnxConformance.FindDataRoot()!;
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Conformance", "python-onnx-summaries.json")))!.AsArray();
        Assert.Equal(8, expected.Count);
        foreach (var entry in expected)
        {
            string name = (string)entry!["case"]!;
            var model = OnnxModelFile.Load(Path.Combine(root, name, "model.onnx"));
            var ours = Summarize(model);
            foreach (string key in new[] { "irVersion", "producer", "opsets", "nodes", "inputs", "outputs" })
                Assert.True(JsonNode.DeepEquals(entry[key], ours[key]), $"{name}: '{key}' differs\npython: {entry[key]?.ToJsonString()}\nours:   {ours[key]?.ToJsonString()}");

            var theirTensors = entry["tensors"]!.AsArray();
            var ourTensors = ours["tensors"]!.AsArray();
            Assert.Equal(theirTensors.Count, ourTensors.Count);
            for (int i = 0; i < theirTensors.Count; i++)
            {
                foreach (string key in new[] { "name", "dataType", "dims" })
                    Assert.True(JsonNode.DeepEquals(theirTensors[i]![key], ourTensors[i]![key]), $"{name} tensor {i}: '{key}' differs");
                double a = (double)theirTensors[i]!["sum"]!, b = (double)ourTensors[i]!["sum"]!;
                Assert.True(Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a)), $"{name} tensor {i}: sum {b} vs python {a}");
            }
        }
    }

    private static JsonObject Summarize(ModelProto m)
    {
        var tensors = new JsonArray();
        foreach (var t in m.Graph.Initializer) tensors.Add(TensorSummary(t.Name, t));
        foreach (var n in m.Graph.Node)
            foreach (var a in n.Attribute.Where(a => a.Type == AttributeProto.Types.AttributeType.Tensor))
                tensors.Add(TensorSummary(n.OpType + "." + a.Name, a.T));
        return new JsonObject
        {
            ["irVersion"] = m.IrVersion,
            ["producer"] = m.ProducerName,
            ["opsets"] = new JsonArray(m.OpsetImport.Select(o => (JsonNode)new JsonArray(o.Domain, o.Version)).ToArray()),
            ["nodes"] = new JsonArray(m.Graph.Node.Select(n => (JsonNode)new JsonArray(
                n.OpType,
                new JsonArray(n.Input.Select(i => (JsonNode)JsonValue.Create(i)).ToArray()),
                new JsonArray(n.Output.Select(o => (JsonNode)JsonValue.Create(o)).ToArray()),
                new JsonArray(n.Attribute.Select(a => (JsonNode)new JsonArray(a.Name, (int)a.Type)).ToArray()))).ToArray()),
            ["inputs"] = new JsonArray(m.Graph.Input.Select(i => (JsonNode)JsonValue.Create(i.Name)).ToArray()),
            ["outputs"] = new JsonArray(m.Graph.Output.Select(o => (JsonNode)JsonValue.Create(o.Name)).ToArray()),
            ["tensors"] = tensors,
        };
    }

    private static JsonObject TensorSummary(string name, TensorProto t)
    {
        var tensor = OnnxTensor.FromProto(t);
        double sum = tensor.ElementType == OnnxElementType.String ? 0 : tensor.ToDoubleArray().Sum();
        return new JsonObject
        {
            ["name"] = name,
            ["dataType"] = t.DataType,
            ["dims"] = new JsonArray(t.Dims.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
            ["sum"] = sum,
        };
    }
}
