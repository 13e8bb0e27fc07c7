namespace Elide.Onnx.Import.Handlers;

/// <summary>Window attributes shared by Conv and the pooling ops: kernel, strides, dilations, pads and auto_pad.</summary>
internal static class Spatial
{
    /// <summary>
    /// ONNX pads [begin…, end…] for 2-D windows. auto_pad SAME_UPPER/SAME_LOWER choose the total padding so the output
    /// is ⌈in / stride⌉: total = max(0, (out − 1)·stride + (k − 1)·dilation + 1 − in); SAME_UPPER puts the odd
    /// element at the end, SAME_LOWER at the beginning. VALID means no padding. (ONNX Conv/AveragePool spec, auto_pad.)
    /// </summary>
    public static int[] Pads(NodeContext n, int[] input, int[] kernel, int[] strides, int[] dilations)
    {
        string autoPad = n.Proto.GetString("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                var pads = Ints(n, "pads", 4, 0);
                if (pads.Any(p => p < 0)) throw NodeContext.Unsupported($"negative pads [{string.Join(",", pads)}]");
                return pads;
            case "VALID":
                return new int[4];
            case "SAME_UPPER":
            case "SAME_LOWER":
                var result = new int[4];
                for (int d = 0; d < 2; d++)
                {
                    if (input[d] < 0) throw NodeContext.Unsupported("auto_pad SAME on a batch-dependent spatial size");
                    int output = (input[d] + strides[d] - 1) / strides[d];
                    int total = Math.Max(0, (output - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - input[d]);
                    int small = total / 2;
                    (result[d], result[d + 2]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
                }
                return result;
            default:
                throw n.Invalid($"auto_pad '{autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
        }
    }

    /// <summary>An INTS attribute of length <paramref name="length"/> as int, or <paramref name="fill"/> repeated when absent.</summary>
    public static int[] Ints(NodeContext n, string name, int length, int fill)
    {
        var values = n.Proto.GetInts(name, Enumerable.Repeat((long)fill, length).ToArray());
        if (values.Length != length) throw n.Invalid($"attribute '{name}' has {values.Length} values, expected {length}");
        return values.Select(v => v is >= int.MinValue and <= int.MaxValue ? (int)v : throw n.Invalid($"attribute '{name}' value {v} is out of range")).ToArray();
    }

    /// <summary>Rejects windows that are not 2-D with a clear reason.</summary>
    public static void Require2d(RuntimeBinding x, string what)
    {
        if (x.Rank != 4) throw NodeContext.Unsupported($"{(x.Rank >= 3 ? $"{x.Rank - 2}-D" : $"rank-{x.Rank}")} {what} (only 2-D on NCHW is supported)");
    }
}
