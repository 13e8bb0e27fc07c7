using Elide.Data;

namespace Elide.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesAndLabels(bool gzip)
    {
        using var files = new SyntheticDataFiles();
        byte[] labels = [3, 0, 9, 1, 1];
        string images = files.Write("a", SyntheticDataFiles.IdxImages(5, 3, 4), gzip);
        string labelPath = files.Write("b", SyntheticDataFiles.IdxLabels(labels), gzip);

        IdxImages read = IdxReader.ReadImages(images);
        Assert.Equal((5, 3, 4), (read.Count, read.Rows, read.Columns));
        Assert.Equal(SyntheticDataFiles.Pixels(5, 12), read.Pixels);
        Assert.Equal(labels, IdxReader.ReadLabels(labelPath));

        ImageDataset dataset = IdxReader.ReadDataset(images, labelPath, 10, "tiny");
        Assert.Equal(new ImageShape(1, 3, 4), dataset.Shape);
        Assert.Equal(5, dataset.Count);
        Assert.Equal(labels.Select(l => (int)l), dataset.Labels.ToArray());
        byte[] pixels = SyntheticDataFiles.Pixels(5, 12);
        for (int n = 0; n < 5; n++)
            for (int i = 0; i < 12; i++)
                Assert.Equal(pixels[n * 12 + i] / 255f, dataset.Image(n)[i]);
    }

    [Fact]
    public void CompressionIsDetectedByContentNotName()
    {
        using var files = new SyntheticDataFiles();
        string plainNamedGz = files.Write("labels.gz", SyntheticDataFiles.IdxLabels([1, 2]), gzip: false);
        string gzipNamedPlain = files.Write("labels", SyntheticDataFiles.IdxLabels([4, 5]), gzip: true);
        Assert.Equal([1, 2], IdxReader.ReadLabels(plainNamedGz));
        Assert.Equal([4, 5], IdxReader.ReadLabels(gzipNamedPlain));
    }

    [Fact]
    public void EmptyImageFileIsValid()
    {
        using var files = new SyntheticDataFiles();
        IdxImages read = IdxReader.ReadImages(files.Write("a", SyntheticDataFiles.IdxImages(0, 28, 28)));
        Assert.Equal(0, read.Count);
        Assert.Empty(read.Pixels);
    }

    public static TheoryData<string, byte[], long, string> MalformedImageFiles()
    {
        byte[] good = SyntheticDataFiles.IdxImages(3, 2, 2);
        byte[] badFirstByte = (byte[])good.Clone();
        badFirstByte[0] = 0x1F; // not gzip either: second byte is 0
        byte[] unknownType = (byte[])good.Clone();
        unknownType[2] = 0x07;
        byte[] floats = (byte[])good.Clone();
        floats[2] = 0x0D;
        return new TheoryData<string, byte[], long, string>
        {
            { "bad magic", badFirstByte, 0, "bad magic" },
            { "unknown type", unknownType, 0, "bad magic" },
            { "float elements", floats, 2, "element type 0x0D" },
            { "labels given as images", SyntheticDataFiles.IdxLabels([1, 2, 3]), 3, "wrong dimension count: expected 3" },
            { "4 dimensions", SyntheticDataFiles.Idx(0x08, [1, 2, 2, 1], new byte[4]), 3, "wrong dimension count" },
            { "header cut", good[..9], 8, "truncated" },
            { "magic cut", good[..3], 0, "truncated" },
            { "empty file", [], 0, "truncated" },
            { "data cut in last image", good[..^1], 16 + 8, "image 2 of 3" },
            { "trailing bytes", [.. good, 0, 0], 16 + 12, "2 unexpected trailing bytes" },
            { "negative count", SyntheticDataFiles.Idx(0x08, [-1, 2, 2], []), 4, "invalid image count -1" },
            { "zero rows", SyntheticDataFiles.Idx(0x08, [1, 0, 2], []), 8, "invalid row count 0" },
            { "huge", SyntheticDataFiles.Idx(0x08, [int.MaxValue, 1000, 1000], []), 4, "too large" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedImageFiles))]
    public void MalformedImageFilesNameFileOffsetAndProblem(string variant, byte[] content, long offset, string problem)
    {
        foreach (bool gzip in new[] { false, true })
        {
            using var files = new SyntheticDataFiles();
            string path = files.Write(variant.Replace(' ', '-'), content, gzip);
            var error = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(path));
            Assert.Equal(path, error.FilePath);
            Assert.Equal(offset, error.Offset);
            Assert.Contains(problem, error.Problem);
            Assert.Contains(path, error.Message);
            // (.NET writes nothing at all for an empty gzip stream, so the "empty file" variant stays plain.)
            bool compressed = File.ReadAllBytes(path) is [0x1F, 0x8B, ..];
            Assert.Equal(gzip && content.Length > 0, compressed);
            Assert.Contains(compressed ? $"offset {offset} of the decompressed data" : $"offset {offset}:", error.Message);
        }
    }

    [Fact]
    public void MalformedLabelFiles()
    {
        using var files = new SyntheticDataFiles();
        byte[] good = SyntheticDataFiles.IdxLabels([1, 2, 3]);

        var cut = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadLabels(files.Write("cut", good[..^1])));
        Assert.Equal(8, cut.Offset);
        Assert.Contains("expected 3 bytes of 3 labels, but the file ends after 2", cut.Problem);

        var images = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadLabels(files.Write("img", SyntheticDataFiles.IdxImages(1, 2, 2))));
        Assert.Contains("wrong dimension count: expected 1", images.Problem);

        var range = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadLabels(files.Write("range", SyntheticDataFiles.IdxLabels([1, 10, 2])), 10));
        Assert.Equal(9, range.Offset);
        Assert.Contains("label 10 of item 1 is outside [0, 10)", range.Problem);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CountMismatchBetweenImagesAndLabels(bool gzip)
    {
        using var files = new SyntheticDataFiles();
        string images = files.Write("images", SyntheticDataFiles.IdxImages(4, 2, 2), gzip);
        string labels = files.Write("labels", SyntheticDataFiles.IdxLabels([0, 1, 2]), gzip);
        var error = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadDataset(images, labels, 10, "x"));
        Assert.Equal(labels, error.FilePath);
        Assert.Equal(4, error.Offset);
        Assert.Contains("count mismatch: 3 labels but 4 images", error.Problem);
        Assert.Contains(images, error.Problem);
    }

    [Fact]
    public void CorruptGzipStreamIsAFormatError()
    {
        using var files = new SyntheticDataFiles();
        byte[] zipped = SyntheticDataFiles.Gzip(SyntheticDataFiles.IdxImages(50, 10, 10));
        string truncated = files.Write("truncated", zipped[..(zipped.Length / 2)]);
        var cut = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(truncated));
        Assert.Equal(truncated, cut.FilePath);

        byte[] garbled = (byte[])zipped.Clone();
        for (int i = 10; i < 40; i++)
            garbled[i] = 0xFF;
        string garbledPath = files.Write("garbled", garbled);
        Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(garbledPath));
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        using var files = new SyntheticDataFiles();
        Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(files.PathOf("absent")));
    }
}
