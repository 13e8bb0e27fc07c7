namespace Elide.Kernels;

/// <summary>
/// The shape of a 2-D pooling over NCHW input: window, strides, per-side padding, dilation and rounding mode, with the
/// output size computed by the ONNX MaxPool/AveragePool rules.
/// </summary>
/// <remarks>
/// Output size per axis, with effective window extent e = dilation·(kernel − 1) + 1:
/// floor mode ⌊(in + padBegin + padEnd − e) / stride⌋ + 1; ceil mode ⌈…⌉ + 1, and then, as ONNX (opset 19 reference,
/// <c>op_pool_common.py</c>) and PyTorch (<c>pooling_output_shape</c>) do, the last window is dropped when it would
/// start inside the end padding: if (out − 1)·stride ≥ in + padBegin then out − 1.
/// </remarks>
public readonly record struct Pool2dGeometry(int Batch, int Channels, int InHeight, int InWidth, int KernelHeight, int KernelWidth,
    int StrideHeight = 1, int StrideWidth = 1, int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationHeight = 1, int DilationWidth = 1, bool CeilMode = false)
{
    /// <summary>Output rows (0 when the padded input is smaller than the window; <see cref="Validate"/> rejects that).</summary>
    public int OutHeight => OutputSize(InHeight, KernelHeight, StrideHeight, PadTop, PadBottom, DilationHeight, CeilMode);

    /// <summary>Output columns (0 when the padded input is smaller than the window).</summary>
    public int OutWidth => OutputSize(InWidth, KernelWidth, StrideWidth, PadLeft, PadRight, DilationWidth, CeilMode);

    /// <summary>Batch · Channels: the number of independent planes.</summary>
    public int Planes => Batch * Channels;

    /// <summary>Elements of the input tensor.</summary>
    public long InputLength => (long)Batch * Channels * InHeight * InWidth;

    /// <summary>Elements of the output tensor.</summary>
    public long OutputLength => (long)Batch * Channels * OutHeight * OutWidth;

    /// <summary>Checks that the geometry describes a real pooling.</summary>
    /// <exception cref="ArgumentException">Batch or Channels is negative; an input size, kernel size, stride or dilation
    /// is below 1; a padding is negative or not smaller than the window extent on its axis (every window must be able to
    /// touch the image); or the output would be empty. The message names the field and its value.</exception>
    public void Validate()
    {
        Require(Batch >= 0, nameof(Batch), Batch, "must not be negative");
        Require(Channels >= 0, nameof(Channels), Channels, "must not be negative");
        Require(InHeight >= 1, nameof(InHeight), InHeight, "must be at least 1");
        Require(InWidth >= 1, nameof(InWidth), InWidth, "must be at least 1");
        Require(KernelHeight >= 1, nameof(KernelHeight), KernelHeight, "must be at least 1");
        Require(KernelWidth >= 1, nameof(KernelWidth), KernelWidth, "must be at least 1");
        Require(StrideHeight >= 1, nameof(StrideHeight), StrideHeight, "must be at least 1");
        Require(StrideWidth >= 1, nameof(StrideWidth), StrideWidth, "must be at least 1");
        Require(DilationHeight >= 1, nameof(DilationHeight), DilationHeight, "must be at least 1");
        Require(DilationWidth >= 1, nameof(DilationWidth), DilationWidth, "must be at least 1");
        long extentH = (long)DilationHeight * (KernelHeight - 1) + 1;
        long extentW = (long)DilationWidth * (KernelWidth - 1) + 1;
        RequirePad(PadTop, extentH, nameof(PadTop));
        RequirePad(PadBottom, extentH, nameof(PadBottom));
        RequirePad(PadLeft, extentW, nameof(PadLeft));
        RequirePad(PadRight, extentW, nameof(PadRight));
        Require(OutHeight >= 1, nameof(OutHeight), OutHeight, "must be at least 1 (window larger than the padded input)");
        Require(OutWidth >= 1, nameof(OutWidth), OutWidth, "must be at least 1 (window larger than the padded input)");
    }

    internal static int OutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceilMode)
    {
        if (stride < 1 || kernel < 1 || dilation < 1) return 0;
        long extent = (long)dilation * (kernel - 1) + 1;
        long span = (long)input + padBegin + padEnd - extent;
        if (span < 0) return 0;
        long output = ceilMode ? (span + stride - 1) / stride + 1 : span / stride + 1;
        if (ceilMode && (output - 1) * stride >= (long)input + padBegin) output--;
        return (int)Math.Min(output, int.MaxValue);
    }

    private static void RequirePad(int pad, long extent, string field)
    {
        // The message is only formatted on failure: Validate runs on every span call and must not allocate.
        if (pad < 0 || pad >= extent) throw new ArgumentException($"Pool2dGeometry.{field} = {pad} must be in [0, {extent}) (the window extent).");
    }

    private static void Require(bool condition, string field, int value, string rule)
    {
        if (!condition) throw new ArgumentException($"Pool2dGeometry.{field} = {value} {rule}.");
    }
}
