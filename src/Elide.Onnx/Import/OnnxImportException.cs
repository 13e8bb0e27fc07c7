using Elide.Graph;

namespace Elide.Onnx.Import;

/// <summary>One reason a model cannot be imported: an operator (at the model's opset) or a variant of it that Elide lacks.</summary>
/// <param name="OpType">ONNX operator type (with its domain when not the default one), or "input"/"output" for graph I/O problems.</param>
/// <param name="Opset">The model's opset for the operator's domain.</param>
/// <param name="NodeName">The node (or graph input/output) it concerns.</param>
/// <param name="Reason">What is missing; empty when the operator is not in the table at all.</param>
/// <param name="ConstantInput">Set when the problem is that this graph input must be a constant (see <see cref="ImportOptions.ConstantInputs"/>).</param>
public sealed record UnsupportedFeature(string OpType, int Opset, string NodeName, string Reason, string? ConstantInput = null);

/// <summary>
/// The ONNX model cannot be imported: it is structurally invalid (cycles, values used before they are defined,
/// missing initializers, duplicate names), or it uses operators, opsets, variants or element types Elide does not
/// support. In the latter case <see cref="Unsupported"/> lists every problem found, and the message lists every
/// unsupported (operator, opset) pair with the node names, not just the first.
/// </summary>
public sealed class OnnxImportException : GraphException
{
    /// <summary>A single problem with a complete, user-facing message.</summary>
    public OnnxImportException(string message) : base(message) => Unsupported = [];

    /// <summary>The model uses unsupported features; the message groups <paramref name="unsupported"/> by operator and opset.</summary>
    public OnnxImportException(string source, IReadOnlyList<UnsupportedFeature> unsupported) : base(Format(source, unsupported)) =>
        Unsupported = unsupported;

    /// <summary>Every unsupported feature found (empty for structural errors).</summary>
    public IReadOnlyList<UnsupportedFeature> Unsupported { get; }

    /// <summary>True when the model is valid but uses something Elide does not support.</summary>
    public bool IsUnsupported => Unsupported.Count > 0;

    private static string Format(string source, IReadOnlyList<UnsupportedFeature> problems)
    {
        var lines = new List<string>();
        var groups = problems.GroupBy(p => (p.OpType, p.Opset, p.Reason)).OrderBy(g => g.Key.OpType, StringComparer.Ordinal).ToList();
        int ops = problems.Select(p => (p.OpType, p.Opset)).Distinct().Count();
        lines.Add($"{source}: cannot import: {ops} unsupported operator{(ops == 1 ? "" : "s")} or feature{(ops == 1 ? "" : "s")} ({problems.Count} node{(problems.Count == 1 ? "" : "s")}):");
        foreach (var g in groups)
        {
            var names = g.Select(p => $"'{p.NodeName}'").Distinct().ToList();
            string nodes = names.Count <= 8 ? string.Join(", ", names) : string.Join(", ", names.Take(8)) + $" and {names.Count - 8} more";
            string what = g.Key.OpType is "input" or "output" ? $"  graph {g.Key.OpType}" : $"  {g.Key.OpType} (opset {g.Key.Opset})";
            string reason = g.Key.Reason.Length == 0 ? "operator not supported" : g.Key.Reason;
            lines.Add($"{what}: {reason}: {nodes}");
        }
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>Thrown inside a handler to report an unsupported variant; the importer records it and carries on.</summary>
internal sealed class UnsupportedNodeException(string reason, string? constantInput = null) : Exception(reason)
{
    public string? ConstantInput { get; } = constantInput;
}
