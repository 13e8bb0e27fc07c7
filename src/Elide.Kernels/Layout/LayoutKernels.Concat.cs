namespace Elide.Kernels;

public static partial class LayoutKernels
{
    /// <summary>
    /// One input of ONNX Concat: copies <paramref name="input"/>, viewed as [outer, inputAxis, inner], into positions
    /// [axisOffset, axisOffset + inputAxis) of the axis of <paramref name="output"/>, viewed as [outer, outputAxis, inner].
    /// </summary>
    /// <remarks>
    /// A concat of k inputs is k calls with running offsets (0, a₀, a₀ + a₁, …) and outputAxis = Σ aᵢ; outer is the
    /// product of the dimensions before the axis and inner of those after it. One call per input keeps the API free of
    /// arrays of spans (which cannot exist) and of allocation.
    /// </remarks>
    /// <exception cref="ArgumentException">A size or the offset is negative; the slot runs past outputAxis; a span does
    /// not hold its view's element count; or input and output overlap.</exception>
    public static void ConcatInto(ReadOnlySpan<float> input, int outer, int inputAxis, int inner, Span<float> output, int outputAxis, int axisOffset)
    {
        CheckAxisCopy(outer, inner, inputAxis, outputAxis, axisOffset, input.Length, output.Length, nameof(input), nameof(output), inputAxis);
        if (input.Overlaps(output)) throw new ArgumentException("input and output overlap.", nameof(output));
        CopyAxisRange(input, inputAxis, 0, output, outputAxis, axisOffset, outer, inputAxis, inner);
    }

    /// <summary>
    /// One output of ONNX Split (the inverse of <see cref="ConcatInto"/>): copies positions
    /// [axisOffset, axisOffset + outputAxis) of the axis of <paramref name="input"/>, viewed as [outer, inputAxis, inner],
    /// into <paramref name="output"/>, viewed as [outer, outputAxis, inner].
    /// </summary>
    /// <exception cref="ArgumentException">A size or the offset is negative; the range runs past inputAxis; a span does
    /// not hold its view's element count; or input and output overlap.</exception>
    public static void SplitFrom(ReadOnlySpan<float> input, int outer, int inputAxis, int inner, int axisOffset, Span<float> output, int outputAxis)
    {
        CheckAxisCopy(outer, inner, outputAxis, inputAxis, axisOffset, output.Length, input.Length, nameof(output), nameof(input), outputAxis);
        if (input.Overlaps(output)) throw new ArgumentException("input and output overlap.", nameof(output));
        CopyAxisRange(input, inputAxis, axisOffset, output, outputAxis, 0, outer, outputAxis, inner);
    }

    private static void CheckAxisCopy(int outer, int inner, int partAxis, int wholeAxis, int axisOffset, int partLength, int wholeLength,
        string partName, string wholeName, int count)
    {
        if (outer < 0 || inner < 0 || partAxis < 0 || wholeAxis < 0 || axisOffset < 0)
            throw new ArgumentException($"Sizes and offset must not be negative (outer {outer}, inner {inner}, axes {partAxis}/{wholeAxis}, offset {axisOffset}).");
        if ((long)axisOffset + count > wholeAxis)
            throw new ArgumentException($"Axis range [{axisOffset}, {(long)axisOffset + count}) runs past the {wholeName} axis of {wholeAxis}.", nameof(axisOffset));
        long partCount = (long)outer * partAxis * inner, wholeCount = (long)outer * wholeAxis * inner;
        if (partLength != partCount)
            throw new ArgumentException($"{partName} has {partLength} elements but {outer}×{partAxis}×{inner} = {partCount}.", partName);
        if (wholeLength != wholeCount)
            throw new ArgumentException($"{wholeName} has {wholeLength} elements but {outer}×{wholeAxis}×{inner} = {wholeCount}.", wholeName);
    }

    private static void CopyAxisRange(ReadOnlySpan<float> source, int sourceAxis, int sourceOffset,
        Span<float> destination, int destinationAxis, int destinationOffset, int outer, int count, int inner)
    {
        int block = count * inner;
        for (int o = 0; o < outer; o++)
        {
            source.Slice(((int)((long)o * sourceAxis) + sourceOffset) * inner, block)
                .CopyTo(destination.Slice(((int)((long)o * destinationAxis) + destinationOffset) * inner, block));
        }
    }
}
