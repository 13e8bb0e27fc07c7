using Elide.Graph;
using Elide.Planning;
using Elide.Tensors;

namespace Elide.Ops;

/// <summary>ONNX Transpose: output axis i is input axis perm[i] (default: reversed axes).</summary>
public sealed class TransposeOp(int[]? permutation) : Op
{
    /// <summary>The permutation, or null for "reverse".</summary>
    public IReadOnlyList<int>? Permutation { get; } = permutation is null ? null : (int[])permutation.Clone();

    /// <inheritdoc/>
    public override string Name => "Transpose";

    /// <summary>The effective permutation for a given rank.</summary>
    public int[] PermutationFor(int rank) =>
        Permutation?.ToArray() ?? Enumerable.Range(0, rank).Reverse().ToArray();

    /// <inheritdoc/>
    public override Shape[] InferShapes(Node node, Shape?[] inputs)
    {
        var x = In(node, inputs, 0);
        var perm = PermutationFor(x.Rank);
        Require(node, perm.Length == x.Rank && perm.Order().SequenceEqual(Enumerable.Range(0, x.Rank)),
            $"perm [{string.Join(",", perm)}] is not a permutation of the axes of {x}");
        return [new Shape(perm.Select(p => x[p]).ToArray())];
    }

    /// <inheritdoc/>
    public override void Evaluate(Node node, Tensor?[] inputs, Tensor[] outputs)
    {
        var x = inputs[0]!;
        var y = outputs[0];
        var perm = PermutationFor(x.Shape.Rank);
        int rank = perm.Length;
        var inStrides = new int[rank];
        for (int d = rank - 1, s = 1; d >= 0; d--) { inStrides[d] = s; s *= x.Shape[d]; }
        var index = new int[rank];
        for (int flat = 0; flat < y.Length; flat++)
        {
            int rem = flat, src = 0;
            for (int d = rank - 1; d >= 0; d--) { index[d] = rem % y.Shape[d]; rem /= y.Shape[d]; }
            for (int d = 0; d < rank; d++) src += index[d] * inStrides[perm[d]];
            y.Data[flat] = x.Data[src];
        }
    }

    internal override IExecutionStep CreateStep(Node node, StepBuilder builder) => new TransposeStep(this, node, builder);

    /// <inheritdoc/>
    public override string Describe() => Permutation is null ? "Transpose" : $"Transpose [{string.Join(",", Permutation)}]";
}
