using Elide.Ops;

namespace Elide.Graph;

/// <summary>One operation in a graph: an <see cref="Op"/> (the operator with its attributes) applied to input values.</summary>
public sealed class Node
{
    internal Node(string name, Op op, Value?[] inputs, Value[] outputs)
    {
        Name = name;
        Op = op;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Unique name within its graph (ONNX node name, or generated).</summary>
    public string Name { get; }

    /// <summary>The operator and its attributes. Rewrites (fusion) replace it.</summary>
    public Op Op { get; internal set; }

    /// <summary>Inputs in operator order; null marks an omitted optional input.</summary>
    public Value?[] Inputs { get; internal set; }

    /// <summary>Outputs in operator order.</summary>
    public Value[] Outputs { get; internal set; }

    /// <summary>The input at <paramref name="index"/>, which must be present.</summary>
    /// <exception cref="GraphException">The input is missing.</exception>
    public Value Input(int index) =>
        index < Inputs.Length && Inputs[index] is { } v ? v
            : throw new GraphException(this, $"input {index} is required but missing");

    /// <summary>The optional input at <paramref name="index"/>, or null.</summary>
    public Value? OptionalInput(int index) => index < Inputs.Length ? Inputs[index] : null;

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Op.Name})";
}
