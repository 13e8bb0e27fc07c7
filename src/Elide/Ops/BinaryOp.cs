using Elide.Graph;
using Elide.Kernels;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>
/// Elementwise binary arithmetic with NumPy broadcasting (ONNX Add, Sub, Mul, Div, Max, Min, and PRelu, whose slope
/// must broadcast to the input's shape), optionally followed by a fused activation.
/// </summary>
public sealed class BinaryOp(BinaryOperation operation) : Op
{
    /// <summary>The arithmetic operation.</summary>
    public BinaryOperation Operation { get; } = operation;

    /// <summary>Activation fused after the operation (set by the fusion pass).</summary>
    public Activation Activation { get; init; } = Activation.None;

    /// <inheritdoc/>
    public override string Name => Operation switch
    {
        BinaryOperation.Add => "Add",
        BinaryOperation.Subtract => "Sub",
        BinaryOperation.Multiply => "Mul",
        BinaryOperation.Divide => "Div",
        BinaryOperation.Maximum => "Max",
        BinaryOperation.Minimum => "Min",
        BinaryOperation.PRelu => "PRelu",
        _ => Operation.ToString(),
    };

    /// <summary>The scalar definition of the operation.</summary>
    public static float Compute(BinaryOperation op, float a, float b) => op switch
    {
        BinaryOperation.Add => a + b,
        BinaryOperation.Subtract => a - b,
        BinaryOperation.Multiply => a * b,
        BinaryOperation.Divide => a / b,
        BinaryOperation.Maximum => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Max(a, b),
        BinaryOperation.Minimum => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Min(a, b),
        BinaryOperation.PRelu => a < 0f ? a * b : a,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>NumPy broadcast of two shapes.</summary>
    /// <exception cref="ArgumentException">The shapes are incompatible.</exception>
    public static Shape Broadcast(Shape a, Shape b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Rank) >= 0 ? a[i - (rank - a.Rank)] : 1;
            int db = i - (rank - b.Rank) >= 0 ? b[i - (rank - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes {a} and {b} cannot be broadcast together (dimension {i}: {da} vs {db})");
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        var y = Broadcast(x, In(node, inputs, 1));
        if (Operation == BinaryOperation.PRelu && !y.Equals(x))
            throw new GraphException(node, $"PRelu slope {In(node, inputs, 1)} must broadcast to the input shape {x} (it would give {y})");
        return [y];
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var a = inputs[0]!;
        var b = inputs[1]!;
        var y = outputs[0];
        int rank = y.Shape.Rank;
        var index = new int[rank];
        for (int flat = 0; flat < y.Length; flat++)
        {
            int rem = flat;
            for (int d = rank - 1; d >= 0; d--) { index[d] = rem % y.Shape[d]; rem /= y.Shape[d]; }
            y.Data[flat] = Activation.Apply(Compute(Operation, a.Data[BroadcastIndex(a.Shape, index)], b.Data[BroadcastIndex(b.Shape, index)]));
        }
    }

    /// <summary>Flat index into a broadcast operand for an output index.</summary>
    internal static int BroadcastIndex(Shape s, int[] outIndex)
    {
        int offset = outIndex.Length - s.Rank, flat = 0;
        for (int d = 0; d < s.Rank; d++) flat = flat * s[d] + (s[d] == 1 ? 0 : outIndex[d + offset]);
        return flat;
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new BinaryStep(this, node, builder);

    /// <inheritdoc/>
    public override string Describe() => Activation.Kind == ActivationKind.None ? Name : $"{Name} +{Activation.Kind}";
}
