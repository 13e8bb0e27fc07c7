namespace Elide.Tensors;

/// <summary>A dense float32 tensor in row-major (NCHW for images) order that owns its data.</summary>
public sealed class Tensor
{
    /// <summary>Wraps <paramref name="data"/> (not copied) with <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The data length does not match the shape's element count.</exception>
    public Tensor(Shape shape, float[] data)
    {
        if (!shape.IsConcrete) throw new ArgumentException($"a tensor needs a concrete shape, got {shape}", nameof(shape));
        if (data.LongLength != shape.ElementCount)
            throw new ArgumentException($"data has {data.LongLength} elements but shape {shape} needs {shape.ElementCount}", nameof(data));
        Shape = shape;
        Data = data;
    }

    /// <summary>A zero-filled tensor.</summary>
    public Tensor(Shape shape) : this(shape, new float[checked((int)shape.ElementCount)]) { }

    /// <summary>The shape.</summary>
    public Shape Shape { get; }

    /// <summary>The elements in row-major order.</summary>
    public float[] Data { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>A tensor of the given shape with values drawn uniformly from [low, high) by a seeded generator.</summary>
    public static Tensor Random(Shape shape, int seed, float low = -1f, float high = 1f)
    {
        var t = new Tensor(shape);
        var rng = new Random(seed);
        for (int i = 0; i < t.Data.Length; i++) t.Data[i] = low + (float)rng.NextDouble() * (high - low);
        return t;
    }

    /// <summary>A tensor of the given shape with normally distributed values (Box–Muller, seeded).</summary>
    public static Tensor Normal(Shape shape, Random rng, float mean = 0f, float std = 1f)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Data.Length; i++) t.Data[i] = mean + std * NextGaussian(rng);
        return t;
    }

    /// <summary>One standard normal sample.</summary>
    public static float NextGaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>A tensor with the same data viewed under another shape of equal element count (data shared).</summary>
    public Tensor Reshape(Shape shape) => new(shape, Data);

    /// <summary>A deep copy.</summary>
    public Tensor Clone() => new(Shape, (float[])Data.Clone());

    /// <inheritdoc/>
    public override string ToString() => $"Tensor{Shape}";
}
