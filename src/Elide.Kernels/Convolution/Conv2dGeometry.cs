namespace Elide.Kernels;

/// <summary>
/// Shape of a 2-D convolution over NCHW tensors (ONNX Conv semantics: explicit begin/end padding, strides,
/// dilations, groups).
/// </summary>
/// <remarks>
/// Output size per axis (ONNX Conv, auto_pad NOTSET): out = ⌊(in + padBegin + padEnd − dilation·(kernel − 1) − 1) / stride⌋ + 1.
/// </remarks>
public readonly record struct Conv2dGeometry(int Batch, int InChannels, int InHeight, int InWidth, int OutChannels,
    int KernelHeight, int KernelWidth, int StrideHeight = 1, int StrideWidth = 1, int PadTop = 0, int PadLeft = 0,
    int PadBottom = 0, int PadRight = 0, int DilationHeight = 1, int DilationWidth = 1, int Groups = 1)
{
    /// <summary>Output rows: ⌊(InHeight + PadTop + PadBottom − DilationHeight·(KernelHeight − 1) − 1) / StrideHeight⌋ + 1.</summary>
    public int OutHeight => (InHeight + PadTop + PadBottom - DilationHeight * (KernelHeight - 1) - 1) / StrideHeight + 1;

    /// <summary>Output columns: ⌊(InWidth + PadLeft + PadRight − DilationWidth·(KernelWidth − 1) − 1) / StrideWidth⌋ + 1.</summary>
    public int OutWidth => (InWidth + PadLeft + PadRight - DilationWidth * (KernelWidth - 1) - 1) / StrideWidth + 1;

    /// <summary>Multiply-accumulates of one run: Batch · OutChannels · OutHeight · OutWidth · (InChannels / Groups) · KernelHeight · KernelWidth.</summary>
    public long MultiplyAccumulates =>
        (long)Batch * OutChannels * OutHeight * OutWidth * (InChannels / Math.Max(Groups, 1)) * KernelHeight * KernelWidth;

    /// <summary>Floats in one input tensor: Batch · InChannels · InHeight · InWidth.</summary>
    public long InputLength => (long)Batch * InChannels * InHeight * InWidth;

    /// <summary>Floats in one output tensor: Batch · OutChannels · OutHeight · OutWidth.</summary>
    public long OutputLength => (long)Batch * OutChannels * OutHeight * OutWidth;

    /// <summary>Floats of weights in [OutChannels, InChannels / Groups, KernelHeight, KernelWidth] layout.</summary>
    public long WeightLength => (long)OutChannels * (InChannels / Math.Max(Groups, 1)) * KernelHeight * KernelWidth;

    /// <summary>Checks that the geometry describes a valid convolution.</summary>
    /// <exception cref="ArgumentException">A field is out of range, channels do not divide into groups, or the
    /// output would be empty; the message names the field and its value.</exception>
    public void Validate()
    {
        RequireAtLeast(Batch, 0, nameof(Batch));
        RequireAtLeast(InChannels, 1, nameof(InChannels));
        RequireAtLeast(InHeight, 1, nameof(InHeight));
        RequireAtLeast(InWidth, 1, nameof(InWidth));
        RequireAtLeast(OutChannels, 1, nameof(OutChannels));
        RequireAtLeast(KernelHeight, 1, nameof(KernelHeight));
        RequireAtLeast(KernelWidth, 1, nameof(KernelWidth));
        RequireAtLeast(StrideHeight, 1, nameof(StrideHeight));
        RequireAtLeast(StrideWidth, 1, nameof(StrideWidth));
        RequireAtLeast(PadTop, 0, nameof(PadTop));
        RequireAtLeast(PadLeft, 0, nameof(PadLeft));
        RequireAtLeast(PadBottom, 0, nameof(PadBottom));
        RequireAtLeast(PadRight, 0, nameof(PadRight));
        RequireAtLeast(DilationHeight, 1, nameof(DilationHeight));
        RequireAtLeast(DilationWidth, 1, nameof(DilationWidth));
        RequireAtLeast(Groups, 1, nameof(Groups));
        if (InChannels % Groups != 0)
            throw new ArgumentException($"{nameof(InChannels)} = {InChannels} is not divisible by {nameof(Groups)} = {Groups}.");
        if (OutChannels % Groups != 0)
            throw new ArgumentException($"{nameof(OutChannels)} = {OutChannels} is not divisible by {nameof(Groups)} = {Groups}.");
        if (InHeight + PadTop + PadBottom < DilationHeight * (KernelHeight - 1) + 1)
            throw new ArgumentException($"padded {nameof(InHeight)} {InHeight} + {PadTop} + {PadBottom} is smaller than the dilated kernel height {DilationHeight * (KernelHeight - 1) + 1}.");
        if (InWidth + PadLeft + PadRight < DilationWidth * (KernelWidth - 1) + 1)
            throw new ArgumentException($"padded {nameof(InWidth)} {InWidth} + {PadLeft} + {PadRight} is smaller than the dilated kernel width {DilationWidth * (KernelWidth - 1) + 1}.");
    }

    private static void RequireAtLeast(int value, int minimum, string name)
    {
        if (value < minimum) throw new ArgumentException($"{name} must be ≥ {minimum}, got {value}.");
    }
}
