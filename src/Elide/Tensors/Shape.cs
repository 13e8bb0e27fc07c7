using System.Collections;

namespace Elide.Tensors;

/// <summary>An immutable tensor shape. A dimension of −1 is a free (symbolic) dimension, bound when a plan is built.</summary>
public sealed class Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[] dims;

    /// <summary>Creates a shape. Dimensions must be ≥ 0, or −1 for a free dimension.</summary>
    /// <exception cref="ArgumentException">A dimension is below −1.</exception>
    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < -1) throw new ArgumentException($"invalid dimension {d} in shape [{string.Join(",", dims)}]", nameof(dims));
        this.dims = (int[])dims.Clone();
    }

    /// <summary>The scalar shape [].</summary>
    public static Shape Scalar { get; } = new();

    /// <summary>Number of dimensions.</summary>
    public int Rank => dims.Length;

    /// <inheritdoc/>
    public int Count => dims.Length;

    /// <inheritdoc/>
    public int this[int axis] => dims[axis];

    /// <summary>True when no dimension is free.</summary>
    public bool IsConcrete => Array.IndexOf(dims, -1) < 0;

    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    /// <exception cref="InvalidOperationException">The shape has a free dimension.</exception>
    public long ElementCount
    {
        get
        {
            if (!IsConcrete) throw new InvalidOperationException($"shape {this} has a free dimension");
            long n = 1;
            foreach (var d in dims) n = checked(n * d);
            return n;
        }
    }

    /// <summary>Product of dimensions [start, end).</summary>
    public long Product(int start, int end)
    {
        long n = 1;
        for (int i = start; i < end; i++) n = checked(n * dims[i]);
        return n;
    }

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => (int[])dims.Clone();

    /// <summary>The dimensions without copying.</summary>
    public ReadOnlySpan<int> AsSpan() => dims;

    /// <summary>This shape with dimension <paramref name="axis"/> replaced.</summary>
    public Shape With(int axis, int value)
    {
        var copy = ToArray();
        copy[axis] = value;
        return new Shape(copy);
    }

    /// <summary>Normalizes a possibly negative axis (ONNX convention) into [0, rank).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside [−rank, rank).</exception>
    public int NormalizeAxis(int axis)
    {
        int a = axis < 0 ? axis + Rank : axis;
        if (a < 0 || a >= Rank) throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is out of range for shape {this}");
        return a;
    }

    /// <inheritdoc/>
    public bool Equals(Shape? other) => other is not null && dims.AsSpan().SequenceEqual(other.dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Shape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => "[" + string.Join(",", dims.Select(d => d < 0 ? "?" : d.ToString())) + "]";

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => dims.GetEnumerator();
}
