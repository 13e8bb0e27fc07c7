using Elide.Data;

namespace Elide.Tests.Data;

public class CifarReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsCifar10Records(bool gzip)
    {
        using var files = new SyntheticDataFiles();
        byte[] labels = [9, 0, 4];
        CifarRecords records = CifarReader.ReadCifar10(files.Write("data_batch_1.bin", SyntheticDataFiles.Cifar10(labels), gzip));
        Assert.Equal(labels, records.Labels);
        Assert.Equal(SyntheticDataFiles.Pixels(3, 3072), records.Pixels);
    }

    [Fact]
    public void Cifar10DatasetIsChwInUnitRangeAndConcatenatesFilesInOrder()
    {
        using var files = new SyntheticDataFiles();
        string first = files.Write("a.bin", SyntheticDataFiles.Cifar10([1, 2]));
        string second = files.Write("b.bin", SyntheticDataFiles.Cifar10([3], firstImage: 2));
        ImageDataset dataset = CifarReader.ReadCifar10Dataset([first, second], "c10");
        Assert.Equal(new ImageShape(3, 32, 32), dataset.Shape);
        Assert.Equal(10, dataset.ClassCount);
        Assert.Equal([1, 2, 3], dataset.Labels.ToArray());
        byte[] pixels = SyntheticDataFiles.Pixels(3, 3072);
        for (int n = 0; n < 3; n++)
        {
            ReadOnlySpan<float> image = dataset.Image(n);
            // Record layout is R plane, G plane, B plane, each row-major: pixel (c, y, x) is byte c·1024 + y·32 + x.
            foreach ((int c, int y, int x) in new[] { (0, 0, 0), (1, 5, 7), (2, 31, 31) })
                Assert.Equal(pixels[n * 3072 + c * 1024 + y * 32 + x] / 255f, image[(c * 32 + y) * 32 + x]);
        }
    }

    [Theory]
    [InlineData(CifarLabelKind.Fine, new[] { 99, 0, 57 }, 100)]
    [InlineData(CifarLabelKind.Coarse, new[] { 19, 3, 0 }, 20)]
    public void Cifar100KeepsTheChosenLabel(CifarLabelKind kind, int[] expected, int classCount)
    {
        using var files = new SyntheticDataFiles();
        string path = files.Write("train.bin", SyntheticDataFiles.Cifar100(coarse: [19, 3, 0], fine: [99, 0, 57]));
        Assert.Equal(expected.Select(e => (byte)e), CifarReader.ReadCifar100(path, kind).Labels);
        ImageDataset dataset = CifarReader.ReadCifar100Dataset([path], "c100", kind);
        Assert.Equal(classCount, dataset.ClassCount);
        Assert.Equal(expected, dataset.Labels.ToArray());
        Assert.Equal(SyntheticDataFiles.Pixels(3, 3072)[3072] / 255f, dataset.Image(1)[0]);
    }

    [Fact]
    public void FineIsTheDefault()
    {
        using var files = new SyntheticDataFiles();
        string path = files.Write("train.bin", SyntheticDataFiles.Cifar100(coarse: [1], fine: [42]));
        Assert.Equal([42], CifarReader.ReadCifar100(path).Labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedRecordNamesItsOffset(bool gzip)
    {
        using var files = new SyntheticDataFiles();
        byte[] content = SyntheticDataFiles.Cifar10([1, 2, 3]);
        string path = files.Write("cut.bin", content[..^100], gzip);
        var error = Assert.Throws<DatasetFormatException>(() => CifarReader.ReadCifar10(path));
        Assert.Equal(path, error.FilePath);
        Assert.Equal(2 * 3073, error.Offset);
        Assert.Contains("truncated: record 2 has 2973 of its 3073 bytes", error.Problem);
    }

    [Fact]
    public void EmptyFileIsAnError()
    {
        using var files = new SyntheticDataFiles();
        string path = files.Write("empty.bin", []);
        Assert.Contains("empty file", Assert.Throws<DatasetFormatException>(() => CifarReader.ReadCifar10(path)).Problem);
    }

    [Fact]
    public void LabelOutOfRangeNamesRecordAndOffset()
    {
        using var files = new SyntheticDataFiles();
        string c10 = files.Write("c10.bin", SyntheticDataFiles.Cifar10([1, 10]));
        var error = Assert.Throws<DatasetFormatException>(() => CifarReader.ReadCifar10(c10));
        Assert.Equal(3073, error.Offset);
        Assert.Contains("CIFAR-10 label 10 of record 1 is outside [0, 10)", error.Problem);

        // A coarse byte above 19 is rejected even when fine labels are requested, and vice versa.
        string coarse = files.Write("coarse.bin", SyntheticDataFiles.Cifar100(coarse: [0, 20], fine: [0, 0]));
        var coarseError = Assert.Throws<DatasetFormatException>(() => CifarReader.ReadCifar100(coarse, CifarLabelKind.Fine));
        Assert.Equal(3074, coarseError.Offset);
        Assert.Contains("CIFAR-100 coarse label 20", coarseError.Problem);
        string fine = files.Write("fine.bin", SyntheticDataFiles.Cifar100(coarse: [0], fine: [100]));
        var fineError = Assert.Throws<DatasetFormatException>(() => CifarReader.ReadCifar100(fine, CifarLabelKind.Coarse));
        Assert.Equal(1, fineError.Offset);
    }

    [Fact]
    public void Cifar100FileReadAsCifar10IsRejected()
    {
        using var files = new SyntheticDataFiles();
        // 3 records of 3074 bytes are not a whole number of 3073-byte records.
        string path = files.Write("train.bin", SyntheticDataFiles.Cifar100(coarse: [1, 2, 3], fine: [4, 5, 6]));
        Assert.Throws<DatasetFormatException>(() => CifarReader.ReadCifar10(path));
    }
}
