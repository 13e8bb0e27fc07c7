namespace Elide.Kernels;

public static partial class LayoutKernels
{
    /// <summary>
    /// ONNX Pad, mode "constant", on the last two dimensions of an NCHW tensor:
    /// y[p, h, w] = x[p, h − padTop, w − padLeft] inside the copied region and <paramref name="value"/> elsewhere, with
    /// y of shape [planes, padTop + height + padBottom, padLeft + width + padRight]. (Negative pads crop; use
    /// <see cref="Slice(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>.)
    /// </summary>
    /// <exception cref="ArgumentException">A size or pad is negative; a span does not hold its shape's element count; or x
    /// and y overlap.</exception>
    public static void Pad2d(int planes, int height, int width, int padTop, int padLeft, int padBottom, int padRight, float value,
        ReadOnlySpan<float> x, Span<float> y)
    {
        if (planes < 0 || height < 0 || width < 0 || padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0)
            throw new ArgumentException($"Sizes and pads must not be negative (planes {planes}, {height}×{width}, pads {padTop},{padLeft},{padBottom},{padRight}).");
        long outHeight = (long)padTop + height + padBottom, outWidth = (long)padLeft + width + padRight;
        long inCount = (long)planes * height * width, outCount = planes * outHeight * outWidth;
        if (x.Length != inCount) throw new ArgumentException($"x has {x.Length} elements but {planes}×{height}×{width} = {inCount}.", nameof(x));
        if (y.Length != outCount) throw new ArgumentException($"y has {y.Length} elements but {planes}×{outHeight}×{outWidth} = {outCount}.", nameof(y));
        if (x.Overlaps(y)) throw new ArgumentException("Pad2d cannot run in place: x and y overlap.", nameof(y));

        int ow = (int)outWidth, oh = (int)outHeight;
        for (int p = 0; p < planes; p++)
        {
            var plane = y.Slice(p * oh * ow, oh * ow);
            plane[..(padTop * ow)].Fill(value);
            plane[((padTop + height) * ow)..].Fill(value);
            for (int h = 0; h < height; h++)
            {
                var row = plane.Slice((padTop + h) * ow, ow);
                row[..padLeft].Fill(value);
                x.Slice((p * height + h) * width, width).CopyTo(row.Slice(padLeft, width));
                row[(padLeft + width)..].Fill(value);
            }
        }
    }
}
