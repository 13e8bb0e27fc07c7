namespace Elide.Onnx;

/// <summary>
/// Thrown when an ONNX file, a tensor inside it or its external data is malformed or unsupported.
/// The message names the source (file path or caller-supplied name) and what is wrong, so it can be
/// shown to a user as is.
/// </summary>
public class OnnxFormatException : Exception
{
    /// <summary>Creates the exception with a complete, user-facing message.</summary>
    public OnnxFormatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the lower-level cause (e.g. a protobuf parse error).</summary>
    public OnnxFormatException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Thrown by the <see cref="OnnxAttributes"/> helpers when a node attribute is missing or has the wrong
/// type. Carries the node name, operator and attribute so importers can report them.
/// </summary>
public sealed class OnnxAttributeException : OnnxFormatException
{
    /// <summary>Creates the exception; the message is built from the node, op and attribute names.</summary>
    public OnnxAttributeException(string nodeName, string opType, string attributeName, string problem)
        : base($"node '{nodeName}' ({opType}): attribute '{attributeName}' {problem}")
    {
        NodeName = nodeName;
        OpType = opType;
        AttributeName = attributeName;
    }

    /// <summary>Name of the node (may be empty: ONNX node names are optional).</summary>
    public string NodeName { get; }

    /// <summary>Operator type of the node, e.g. <c>Conv</c>.</summary>
    public string OpType { get; }

    /// <summary>Name of the offending attribute.</summary>
    public string AttributeName { get; }
}
