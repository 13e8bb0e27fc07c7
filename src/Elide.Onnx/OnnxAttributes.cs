using System.Diagnostics.CodeAnalysis;
using System.Text;
using Elide.Onnx.Protos;
using static Elide.Onnx.Protos.AttributeProto.Types;

namespace Elide.Onnx;

/// <summary>
/// Typed access to node attributes by name. "Get…(name, default)" returns the default when the attribute
/// is absent; "GetRequired…" throws when it is absent. Both throw <see cref="OnnxAttributeException"/>
/// (naming node, op and attribute) when the attribute exists with a different type: ONNX attribute types
/// are exact, so an INTS attribute is never silently read as INT.
/// </summary>
public static class OnnxAttributes
{
    /// <summary>Finds the attribute named <paramref name="name"/>.</summary>
    public static bool TryGetAttribute(this NodeProto node, string name, [NotNullWhen(true)] out AttributeProto? attribute)
    {
        ArgumentNullException.ThrowIfNull(node);
        foreach (var candidate in node.Attribute)
        {
            if (candidate.Name == name)
            {
                attribute = candidate;
                return true;
            }
        }
        attribute = null;
        return false;
    }

    /// <summary>True when the node has an attribute named <paramref name="name"/>.</summary>
    public static bool HasAttribute(this NodeProto node, string name) => node.TryGetAttribute(name, out _);

    /// <summary>INT attribute, or <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="OnnxAttributeException">The attribute exists with another type.</exception>
    public static long GetInt(this NodeProto node, string name, long defaultValue) =>
        Find(node, name, AttributeType.Int) is { } a ? a.I : defaultValue;

    /// <summary>INT attribute that must be present.</summary>
    /// <exception cref="OnnxAttributeException">Absent or of another type.</exception>
    public static long GetRequiredInt(this NodeProto node, string name) => Require(node, name, AttributeType.Int).I;

    /// <summary>INTS attribute as a new array, or a copy of <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="OnnxAttributeException">The attribute exists with another type.</exception>
    public static long[] GetInts(this NodeProto node, string name, ReadOnlySpan<long> defaultValue) =>
        Find(node, name, AttributeType.Ints) is { } a ? a.Ints.ToArray() : defaultValue.ToArray();

    /// <summary>INTS attribute that must be present.</summary>
    /// <exception cref="OnnxAttributeException">Absent or of another type.</exception>
    public static long[] GetRequiredInts(this NodeProto node, string name) => Require(node, name, AttributeType.Ints).Ints.ToArray();

    /// <summary>FLOAT attribute, or <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="OnnxAttributeException">The attribute exists with another type.</exception>
    public static float GetFloat(this NodeProto node, string name, float defaultValue) =>
        Find(node, name, AttributeType.Float) is { } a ? a.F : defaultValue;

    /// <summary>FLOAT attribute that must be present.</summary>
    /// <exception cref="OnnxAttributeException">Absent or of another type.</exception>
    public static float GetRequiredFloat(this NodeProto node, string name) => Require(node, name, AttributeType.Float).F;

    /// <summary>FLOATS attribute as a new array, or a copy of <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="OnnxAttributeException">The attribute exists with another type.</exception>
    public static float[] GetFloats(this NodeProto node, string name, ReadOnlySpan<float> defaultValue) =>
        Find(node, name, AttributeType.Floats) is { } a ? a.Floats.ToArray() : defaultValue.ToArray();

    /// <summary>FLOATS attribute that must be present.</summary>
    /// <exception cref="OnnxAttributeException">Absent or of another type.</exception>
    public static float[] GetRequiredFloats(this NodeProto node, string name) => Require(node, name, AttributeType.Floats).Floats.ToArray();

    /// <summary>STRING attribute decoded as UTF-8, or <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="OnnxAttributeException">The attribute exists with another type.</exception>
    public static string GetString(this NodeProto node, string name, string defaultValue) =>
        Find(node, name, AttributeType.String) is { } a ? a.S.ToStringUtf8() : defaultValue;

    /// <summary>STRING attribute that must be present.</summary>
    /// <exception cref="OnnxAttributeException">Absent or of another type.</exception>
    public static string GetRequiredString(this NodeProto node, string name) => Require(node, name, AttributeType.String).S.ToStringUtf8();

    /// <summary>STRINGS attribute decoded as UTF-8, or a copy of <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="OnnxAttributeException">The attribute exists with another type.</exception>
    public static string[] GetStrings(this NodeProto node, string name, IReadOnlyList<string> defaultValue) =>
        Find(node, name, AttributeType.Strings) is { } a ? a.Strings.Select(s => Encoding.UTF8.GetString(s.Span)).ToArray() : defaultValue.ToArray();

    /// <summary>TENSOR attribute, or null when absent.</summary>
    /// <exception cref="OnnxAttributeException">The attribute exists with another type.</exception>
    public static TensorProto? GetTensor(this NodeProto node, string name) => Find(node, name, AttributeType.Tensor)?.T;

    /// <summary>TENSOR attribute that must be present.</summary>
    /// <exception cref="OnnxAttributeException">Absent, of another type, or without a tensor value.</exception>
    public static TensorProto GetRequiredTensor(this NodeProto node, string name) =>
        Require(node, name, AttributeType.Tensor).T ?? throw new OnnxAttributeException(node.Name, node.OpType, name, "has type TENSOR but no tensor value");

    /// <summary>GRAPH attribute (a subgraph, e.g. If/Loop bodies), or null when absent.</summary>
    /// <exception cref="OnnxAttributeException">The attribute exists with another type.</exception>
    public static GraphProto? GetGraph(this NodeProto node, string name) => Find(node, name, AttributeType.Graph)?.G;

    private static AttributeProto? Find(NodeProto node, string name, AttributeType expected)
    {
        if (!node.TryGetAttribute(name, out var attribute)) return null;
        if (attribute.Type != expected)
        {
            string actual = attribute.Type == AttributeType.Undefined ? "no type (UNDEFINED)" : $"type {TypeName(attribute.Type)}";
            throw new OnnxAttributeException(node.Name, node.OpType, name, $"has {actual} but {TypeName(expected)} was expected");
        }
        return attribute;
    }

    private static AttributeProto Require(NodeProto node, string name, AttributeType expected) =>
        Find(node, name, expected) ?? throw new OnnxAttributeException(node.Name, node.OpType, name, $"is required ({TypeName(expected)}) but missing");

    private static string TypeName(AttributeType type) => type switch
    {
        AttributeType.SparseTensor => "SPARSE_TENSOR",
        AttributeType.SparseTensors => "SPARSE_TENSORS",
        AttributeType.TypeProto => "TYPE_PROTO",
        AttributeType.TypeProtos => "TYPE_PROTOS",
        _ => type.ToString().ToUpperInvariant(),
    };
}
