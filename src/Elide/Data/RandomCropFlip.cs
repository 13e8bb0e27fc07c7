using System.Runtime.CompilerServices;

namespace Elide.Data;

/// <summary>Where one augmented image is cut from its zero-padded source, and whether it is mirrored.</summary>
/// <param name="OffsetY">Top row of the crop in the padded image, in [0, 2·pad].</param>
/// <param name="OffsetX">Left column of the crop in the padded image, in [0, 2·pad].</param>
/// <param name="Flip">Whether the crop is mirrored left–right.</param>
public readonly record struct CropFlip(int OffsetY, int OffsetX, bool Flip);

/// <summary>
/// The standard CIFAR augmentation: pad each side with <see cref="Padding"/> zeros, cut a random window of the
/// original size, and mirror it left–right with probability ½ (He et al., "Deep Residual Learning for Image
/// Recognition", CVPR 2016, section 4.2: "4 pixels are padded on each side, and a 32×32 crop is randomly sampled
/// from the padded image or its horizontal flip").
/// </summary>
/// <remarks>
/// Definition, for a crop (dy, dx, flip) of an image with padding p, width W and height H:
/// out[c, y, x] = in[c, y + dy − p, x' + dx − p] with x' = (flip ? W − 1 − x : x), and 0 where that source pixel
/// lies outside the image. dy and dx are uniform in [0, 2p]; the padding is zero in the [0, 1] pixel scale, i.e.
/// black, applied before standardization (as torchvision's RandomCrop followed by Normalize does).
/// </remarks>
public sealed class RandomCropFlip : IImageAugmentation
{
    /// <summary>Creates the augmentation.</summary>
    /// <param name="padding">Zero pixels added on each side before cropping (0 disables cropping). CIFAR: 4;
    /// 28×28 images: 2 or 4.</param>
    /// <param name="horizontalFlip">Whether to mirror with probability ½ (wrong for digits, right for objects and clothes).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="padding"/> is negative.</exception>
    public RandomCropFlip(int padding = 4, bool horizontalFlip = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Padding = padding;
        HorizontalFlip = horizontalFlip;
    }

    /// <summary>Zero pixels added on each side before cropping.</summary>
    public int Padding { get; }

    /// <summary>Whether images are mirrored left–right with probability ½.</summary>
    public bool HorizontalFlip { get; }

    /// <summary>Draws a crop: dy = NextInt(2p + 1), then dx = NextInt(2p + 1), then (if enabled) flip = NextBool().</summary>
    public CropFlip Draw(ref DeterministicRandom random)
    {
        int span = 2 * Padding + 1;
        int offsetY = random.NextInt(span);
        int offsetX = random.NextInt(span);
        bool flip = HorizontalFlip && random.NextBool();
        return new CropFlip(offsetY, offsetX, flip);
    }

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, ref DeterministicRandom random) =>
        Apply(source, destination, shape, Padding, Draw(ref random));

    /// <summary>Applies a given crop (see the class remarks for the formula).</summary>
    /// <exception cref="ArgumentException">A span is shorter than <paramref name="shape"/>.Size.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, int padding, CropFlip crop)
    {
        int height = shape.Height, width = shape.Width, plane = shape.PlaneSize;
        if (source.Length < shape.Size || destination.Length < shape.Size)
            throw new ArgumentException($"Spans of {source.Length} and {destination.Length} values cannot hold an image of {shape}.");
        int shiftY = crop.OffsetY - padding;
        int shiftX = crop.OffsetX - padding;
        // Output columns whose source column x + shiftX lies inside the image: [firstX, endX).
        int firstX = Math.Clamp(-shiftX, 0, width);
        int endX = Math.Clamp(width - shiftX, firstX, width);
        // (firstX == endX: the window misses the image horizontally, as it can when padding ≥ width.)
        for (int c = 0; c < shape.Channels; c++)
        {
            ReadOnlySpan<float> inPlane = source.Slice(c * plane, plane);
            Span<float> outPlane = destination.Slice(c * plane, plane);
            for (int y = 0; y < height; y++)
            {
                Span<float> outRow = outPlane.Slice(y * width, width);
                int sourceY = y + shiftY;
                if ((uint)sourceY >= (uint)height || firstX == endX)
                {
                    outRow.Clear();
                    continue;
                }
                ReadOnlySpan<float> inRow = inPlane.Slice(sourceY * width, width);
                // Unflipped row u[x] = in[x + shiftX] for x in [firstX, endX), zero elsewhere.
                ReadOnlySpan<float> inside = inRow.Slice(firstX + shiftX, endX - firstX);
                if (!crop.Flip)
                {
                    outRow[..firstX].Clear();
                    inside.CopyTo(outRow[firstX..endX]);
                    outRow[endX..].Clear();
                }
                else
                {
                    // Flipped row out[x] = u[W − 1 − x]: the zero margins swap sides and the inside runs backwards.
                    int flippedFirst = width - endX;
                    int flippedEnd = width - firstX;
                    outRow[..flippedFirst].Clear();
                    Span<float> target = outRow[flippedFirst..flippedEnd];
                    for (int k = 0; k < inside.Length; k++)
                        target[inside.Length - 1 - k] = inside[k];
                    outRow[flippedEnd..].Clear();
                }
            }
        }
    }
}
