namespace Elide.Data;

/// <summary>The images of an IDX file: <see cref="Count"/> grey images of <see cref="Rows"/> × <see cref="Columns"/> bytes.</summary>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Rows per image.</param>
/// <param name="Columns">Columns per image.</param>
/// <param name="Pixels">Count × Rows × Columns bytes, row-major, image after image.</param>
public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels);

/// <summary>
/// Reads the IDX files of MNIST and Fashion-MNIST, plain or gzip-compressed (detected by magic bytes).
/// </summary>
/// <remarks>
/// IDX format (LeCun, Cortes and Burges, the MNIST database page, "file formats"): a 4-byte magic number made of two
/// zero bytes, an element type code (0x08 = unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32,
/// 0x0E float64) and the number of dimensions; then one big-endian int32 per dimension; then the data in row-major
/// order. Images are 3-dimensional (count, rows, columns) and labels 1-dimensional (count); both use unsigned bytes.
/// </remarks>
public static class IdxReader
{
    /// <summary>IDX element type code of unsigned bytes, the only one MNIST-style files use.</summary>
    public const byte UnsignedByteType = 0x08;

    /// <summary>Size in bytes of the header of an image file (magic + 3 dimensions).</summary>
    public const int ImageHeaderSize = 16;

    /// <summary>Size in bytes of the header of a label file (magic + 1 dimension).</summary>
    public const int LabelHeaderSize = 8;

    /// <summary>Reads an IDX image file (3 dimensions of unsigned bytes).</summary>
    /// <exception cref="DatasetFormatException">Bad magic, unsupported type, wrong dimension count, invalid sizes,
    /// truncated data, or trailing bytes.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IdxImages ReadImages(string path)
    {
        using var reader = DataFileReader.Open(path);
        ReadHeader(reader, expectedDimensions: 3, "images (count, rows, columns)");
        int count = ReadDimension(reader, "image count", allowZero: true);
        int rows = ReadDimension(reader, "row count", allowZero: false);
        int columns = ReadDimension(reader, "column count", allowZero: false);
        long total = (long)count * rows * columns;
        if (total > Array.MaxLength)
            throw reader.Error(4, $"{count} images of {rows}x{columns} bytes are too large to load ({total} bytes)");
        var pixels = GC.AllocateUninitializedArray<byte>((int)total);
        int imageSize = rows * columns;
        // Read image by image so a truncation error names the image that is cut short.
        for (int i = 0; i < count; i++)
            reader.ReadExactly(pixels.AsSpan(i * imageSize, imageSize), $"image {i} of {count}");
        reader.ExpectEnd($"{count} images");
        return new IdxImages(count, rows, columns, pixels);
    }

    /// <summary>Reads an IDX label file (1 dimension of unsigned bytes), checking every label is below
    /// <paramref name="classCount"/>.</summary>
    /// <exception cref="DatasetFormatException">Bad magic, unsupported type, wrong dimension count, truncated data,
    /// trailing bytes, or a label outside [0, classCount).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static byte[] ReadLabels(string path, int classCount = 256) => ReadLabels(path, classCount, out _);

    private static byte[] ReadLabels(string path, int classCount, out bool compressed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        using var reader = DataFileReader.Open(path);
        compressed = reader.IsCompressed;
        ReadHeader(reader, expectedDimensions: 1, "labels (count)");
        int count = ReadDimension(reader, "label count", allowZero: true);
        var labels = GC.AllocateUninitializedArray<byte>(count);
        reader.ReadExactly(labels, $"{count} labels");
        reader.ExpectEnd($"{count} labels");
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classCount)
                throw reader.Error(LabelHeaderSize + i, $"label {labels[i]} of item {i} is outside [0, {classCount})");
        }
        return labels;
    }

    /// <summary>Reads an image file and its label file into a dataset (pixels scaled to [0, 1], shape 1×rows×columns).</summary>
    /// <exception cref="DatasetFormatException">Either file is malformed, or the two counts differ.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public static ImageDataset ReadDataset(string imagesPath, string labelsPath, int classCount, string name)
    {
        IdxImages images = ReadImages(imagesPath);
        byte[] labels = ReadLabels(labelsPath, classCount, out bool compressed);
        if (labels.Length != images.Count)
        {
            throw new DatasetFormatException(labelsPath, 4,
                $"count mismatch: {labels.Length} labels but {images.Count} images in {imagesPath}", compressed);
        }
        return ImageDataset.FromBytes(name, new ImageShape(1, images.Rows, images.Columns), images.Pixels, labels, classCount);
    }

    private static void ReadHeader(DataFileReader reader, int expectedDimensions, string meaning)
    {
        Span<byte> magic = stackalloc byte[4];
        reader.ReadExactly(magic, "the IDX magic number");
        uint value = (uint)(magic[0] << 24 | magic[1] << 16 | magic[2] << 8 | magic[3]);
        bool knownType = magic[2] is 0x08 or 0x09 or 0x0B or 0x0C or 0x0D or 0x0E;
        if (magic[0] != 0 || magic[1] != 0 || !knownType)
            throw reader.Error(0, $"bad magic 0x{value:X8}: an IDX file starts with two zero bytes, an element type code " +
                "(0x08..0x0E) and a dimension count (expected 0x0000080" + expectedDimensions + ")");
        if (magic[2] != UnsignedByteType)
            throw reader.Error(2, $"element type 0x{magic[2]:X2} is not supported; only unsigned bytes (0x08) are");
        if (magic[3] != expectedDimensions)
            throw reader.Error(3, $"wrong dimension count: expected {expectedDimensions} for {meaning}, found {magic[3]}");
    }

    private static int ReadDimension(DataFileReader reader, string what, bool allowZero)
    {
        long offset = reader.Position;
        int value = reader.ReadBigEndianInt32(what);
        if (value < 0 || (!allowZero && value == 0))
            throw reader.Error(offset, $"invalid {what} {value}");
        return value;
    }
}
