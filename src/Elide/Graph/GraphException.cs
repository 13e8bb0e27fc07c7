namespace Elide.Graph;

/// <summary>A graph is invalid: the message names the node, its operator and the shapes involved.</summary>
public class GraphException : Exception
{
    /// <summary>An error not tied to one node.</summary>
    public GraphException(string message) : base(message) { }

    /// <summary>An error at <paramref name="node"/>.</summary>
    public GraphException(Node node, string message)
        : base($"node '{node.Name}' ({node.Op.Name}): {message}") => NodeName = node.Name;

    /// <summary>The offending node's name, when the error is about one node.</summary>
    public string? NodeName { get; }
}
