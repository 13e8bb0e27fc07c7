using Elide.Tensors;

namespace Elide.Graph;

/// <summary>An edge of the graph: a tensor produced by one node (or a graph input, or a constant) and read by others.</summary>
public sealed class Value
{
    internal Value(string name, Shape? shape, Tensor? constant)
    {
        Name = name;
        Shape = shape ?? constant?.Shape;
        Constant = constant;
    }

    /// <summary>Unique name within its graph.</summary>
    public string Name { get; }

    /// <summary>The shape, once known. Graph inputs may carry a free batch dimension (−1).</summary>
    public Shape? Shape { get; internal set; }

    /// <summary>The data when this value is a constant (weights, biases, folded parameters); null otherwise.</summary>
    public Tensor? Constant { get; internal set; }

    /// <summary>The node that computes this value; null for graph inputs and constants.</summary>
    public Node? Producer { get; internal set; }

    /// <summary>True for constants.</summary>
    public bool IsConstant => Constant is not null;

    /// <inheritdoc/>
    public override string ToString() => $"{Name}{Shape}";
}
