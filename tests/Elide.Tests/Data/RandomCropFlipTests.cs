using Elide.Data;

namespace Elide.Tests.Data;

public class RandomCropFlipTests
{
    /// <summary>The definition, spelled out: materialize the zero-padded image, cut the window, mirror it.</summary>
    internal static float[] NaiveCropFlip(ReadOnlySpan<float> source, ImageShape shape, int padding, CropFlip crop)
    {
        int paddedHeight = shape.Height + 2 * padding, paddedWidth = shape.Width + 2 * padding;
        var padded = new float[shape.Channels, paddedHeight, paddedWidth];
        for (int c = 0; c < shape.Channels; c++)
            for (int y = 0; y < shape.Height; y++)
                for (int x = 0; x < shape.Width; x++)
                    padded[c, y + padding, x + padding] = source[(c * shape.Height + y) * shape.Width + x];
        var result = new float[shape.Size];
        for (int c = 0; c < shape.Channels; c++)
            for (int y = 0; y < shape.Height; y++)
                for (int x = 0; x < shape.Width; x++)
                {
                    int column = crop.Flip ? shape.Width - 1 - x : x;
                    result[(c * shape.Height + y) * shape.Width + x] = padded[c, y + crop.OffsetY, column + crop.OffsetX];
                }
        return result;
    }

    private static float[] Ramp(ImageShape shape) => Enumerable.Range(1, shape.Size).Select(v => (float)v).ToArray();

    public static TheoryData<int, int, int, int> Shapes() => new()
    {
        { 3, 32, 32, 4 },
        { 1, 28, 28, 2 },
        { 1, 28, 28, 4 },
        { 5, 7, 3, 2 },
        { 17, 1, 1, 1 },
        { 1, 3, 3, 5 },  // padding larger than the image: some windows miss it entirely
        { 2, 4, 6, 0 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryCropAndFlipMatchesTheNaiveDefinition(int channels, int height, int width, int padding)
    {
        var shape = new ImageShape(channels, height, width);
        float[] source = Ramp(shape);
        var destination = new float[shape.Size];
        for (int dy = 0; dy <= 2 * padding; dy++)
            for (int dx = 0; dx <= 2 * padding; dx++)
                foreach (bool flip in new[] { false, true })
                {
                    var crop = new CropFlip(dy, dx, flip);
                    Array.Fill(destination, float.NaN); // every output value must be written
                    RandomCropFlip.Apply(source, destination, shape, padding, crop);
                    Assert.Equal(NaiveCropFlip(source, shape, padding, crop), destination);
                }
    }

    [Fact]
    public void CentredUnflippedCropIsTheIdentityAndFlipMirrors()
    {
        var shape = new ImageShape(1, 2, 3);
        float[] source = [1, 2, 3, 4, 5, 6];
        var destination = new float[6];
        RandomCropFlip.Apply(source, destination, shape, 4, new CropFlip(4, 4, false));
        Assert.Equal(source, destination);
        RandomCropFlip.Apply(source, destination, shape, 4, new CropFlip(4, 4, true));
        Assert.Equal([3, 2, 1, 6, 5, 4], destination);
        // Shift the window one pixel down-right: row 0 comes from row 1 shifted left, the rest is padding.
        RandomCropFlip.Apply(source, destination, shape, 4, new CropFlip(5, 5, false));
        Assert.Equal([5, 6, 0, 0, 0, 0], destination);
    }

    [Fact]
    public void DrawIsSeededAndCoversEveryOffsetAndBothFlips()
    {
        var augmentation = new RandomCropFlip(padding: 2);
        var random = new DeterministicRandom(99);
        var replay = new DeterministicRandom(99);
        var offsetsY = new HashSet<int>();
        var offsetsX = new HashSet<int>();
        var flips = new HashSet<bool>();
        for (int i = 0; i < 500; i++)
        {
            CropFlip crop = augmentation.Draw(ref random);
            Assert.Equal(crop, augmentation.Draw(ref replay));
            offsetsY.Add(crop.OffsetY);
            offsetsX.Add(crop.OffsetX);
            flips.Add(crop.Flip);
        }
        Assert.Equal([0, 1, 2, 3, 4], offsetsY.Order());
        Assert.Equal([0, 1, 2, 3, 4], offsetsX.Order());
        Assert.Equal(2, flips.Count);
    }

    [Fact]
    public void DrawFollowsTheDocumentedOrderOfDraws()
    {
        var random = new DeterministicRandom(5);
        var reference = new DeterministicRandom(5);
        CropFlip crop = new RandomCropFlip(padding: 4).Draw(ref random);
        Assert.Equal(new CropFlip(reference.NextInt(9), reference.NextInt(9), reference.NextBool()), crop);
    }

    [Fact]
    public void FlipCanBeDisabled()
    {
        var augmentation = new RandomCropFlip(padding: 1, horizontalFlip: false);
        var random = new DeterministicRandom(1);
        for (int i = 0; i < 200; i++)
            Assert.False(augmentation.Draw(ref random).Flip);
    }

    [Fact]
    public void ApplyThroughTheInterfaceDrawsThenCrops()
    {
        var shape = new ImageShape(3, 8, 8);
        float[] source = Ramp(shape);
        var augmentation = new RandomCropFlip(padding: 3);
        var random = DeterministicRandom.ForStream(1, 2, 3);
        var replay = DeterministicRandom.ForStream(1, 2, 3);
        var destination = new float[shape.Size];
        augmentation.Apply(source, destination, shape, ref random);
        Assert.Equal(NaiveCropFlip(source, shape, 3, augmentation.Draw(ref replay)), destination);
    }

    [Fact]
    public void RejectsNegativePaddingAndShortSpans()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCropFlip(-1));
        Assert.Throws<ArgumentException>(() => RandomCropFlip.Apply(new float[3], new float[4], new ImageShape(1, 2, 2), 1, default));
    }
}
