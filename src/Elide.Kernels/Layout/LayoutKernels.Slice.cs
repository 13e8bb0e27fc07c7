namespace Elide.Kernels;

public static partial class LayoutKernels
{
    /// <summary>
    /// Strided N-d slice (ONNX Slice after its starts/ends/steps have been normalized and clamped):
    /// y[i₀,…,iₙ₋₁] = x[starts[0] + i₀·steps[0], …], for i in <paramref name="outputShape"/>. Steps may be negative
    /// (reversal); an innermost step of 1 copies whole rows.
    /// </summary>
    /// <exception cref="ArgumentException">Ranks differ; a dimension is negative; a step is 0; a selected index lies outside
    /// x; a span does not hold its shape's element count; or x and y overlap.</exception>
    public static unsafe void Slice(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, ReadOnlySpan<int> starts, ReadOnlySpan<int> steps,
        ReadOnlySpan<int> outputShape, Span<float> y)
    {
        int rank = shape.Length;
        if (starts.Length != rank || steps.Length != rank || outputShape.Length != rank)
            throw new ArgumentException($"shape, starts, steps and outputShape must have the same rank ({rank}, {starts.Length}, {steps.Length}, {outputShape.Length}).");
        long inCount = CheckedCount(shape, nameof(shape)), outCount = CheckedCount(outputShape, nameof(outputShape));
        if (x.Length != inCount) throw new ArgumentException($"x has {x.Length} elements but shape {BinaryKernels.Format(shape)} has {inCount}.", nameof(x));
        if (y.Length != outCount) throw new ArgumentException($"y has {y.Length} elements but outputShape {BinaryKernels.Format(outputShape)} has {outCount}.", nameof(y));
        if (outCount == 0) return;
        for (int d = 0; d < rank; d++)
        {
            if (steps[d] == 0) throw new ArgumentException($"steps[{d}] is 0.", nameof(steps));
            long first = starts[d], lastIndex = starts[d] + (long)(outputShape[d] - 1) * steps[d];
            if (first < 0 || first >= shape[d] || lastIndex < 0 || lastIndex >= shape[d])
                throw new ArgumentException($"Axis {d}: start {starts[d]}, step {steps[d]}, {outputShape[d]} elements leave [0, {shape[d]}).", nameof(starts));
        }
        if (x.Overlaps(y)) throw new ArgumentException("Slice cannot run in place: x and y overlap.", nameof(y));
        fixed (float* px = x) fixed (float* py = y)
            Slice(px, shape, starts, steps, outputShape, py);
    }

    /// <summary>Pointer form of <see cref="Slice(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>.
    /// Assumes valid input.</summary>
    public static unsafe void Slice(float* x, ReadOnlySpan<int> shape, ReadOnlySpan<int> starts, ReadOnlySpan<int> steps,
        ReadOnlySpan<int> outputShape, float* y)
    {
        int rank = shape.Length;
        if (rank == 0)
        {
            *y = *x;
            return;
        }
        foreach (int e in outputShape) if (e == 0) return;
        Span<nint> xStride = stackalloc nint[rank];
        Span<nint> extent = stackalloc nint[rank];
        nint running = 1, origin = 0;
        for (int d = rank - 1; d >= 0; d--)
        {
            origin += starts[d] * running;
            xStride[d] = steps[d] * running;
            extent[d] = outputShape[d];
            running *= shape[d];
        }
        Span<nint> yStride = stackalloc nint[rank];
        running = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            yStride[d] = running;
            running *= outputShape[d];
        }

        int last = rank - 1;
        nint rowLength = extent[last], step = xStride[last];
        Span<nint> index = stackalloc nint[Math.Max(last, 1)];
        nint xOffset = origin, yOffset = 0;
        while (true)
        {
            if (step == 1)
            {
                new ReadOnlySpan<float>(x + xOffset, (int)rowLength).CopyTo(new Span<float>(y + yOffset, (int)rowLength));
            }
            else
            {
                float* source = x + xOffset, destination = y + yOffset;
                for (nint i = 0; i < rowLength; i++) destination[i] = source[i * step];
            }
            if (!Advance(index, extent[..last], xStride, yStride, -1, ref xOffset, ref yOffset)) return;
        }
    }
}
