namespace Elide.Data;

/// <summary>Which CIFAR-100 label to keep: the 100 fine classes or the 20 coarse superclasses.</summary>
public enum CifarLabelKind
{
    /// <summary>The 100 fine classes (the usual CIFAR-100 benchmark).</summary>
    Fine,

    /// <summary>The 20 coarse superclasses.</summary>
    Coarse,
}

/// <summary>The records of one CIFAR binary file: labels and 3×32×32 images as bytes.</summary>
/// <param name="Labels">One label per image.</param>
/// <param name="Pixels">Labels.Length × 3072 bytes, CHW (R, G, B planes of 32×32, row-major).</param>
public sealed record CifarRecords(byte[] Labels, byte[] Pixels);

/// <summary>
/// Reads the binary versions of CIFAR-10 and CIFAR-100 (plain, or gzip-compressed as detected by magic bytes).
/// </summary>
/// <remarks>
/// Format (Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009, and the dataset page's
/// "binary version" section): the files have no header; each record is the label byte(s) followed by 3072 pixel
/// bytes: the 1024 red values of the 32×32 image in row-major order, then the 1024 green, then the 1024 blue. That is
/// already CHW. CIFAR-10 records carry one label byte (0..9): data_batch_1.bin … data_batch_5.bin hold 10,000 training
/// images each, test_batch.bin 10,000 test images. CIFAR-100 records carry a coarse label byte (0..19) and then a fine
/// label byte (0..99): train.bin holds 50,000 images, test.bin 10,000.
/// </remarks>
public static class CifarReader
{
    /// <summary>Width and height of a CIFAR image.</summary>
    public const int Side = 32;

    /// <summary>Pixel bytes per record: 3 planes of 32×32.</summary>
    public const int ImageBytes = 3 * Side * Side;

    /// <summary>Shape of a CIFAR image.</summary>
    public static ImageShape Shape => new(3, Side, Side);

    /// <summary>Reads a CIFAR-10 batch file (records of 1 label byte + 3072 pixel bytes, labels 0..9).</summary>
    /// <exception cref="DatasetFormatException">The file is empty, ends in a partial record, or has a label above 9.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static CifarRecords ReadCifar10(string path) => Read(path, Cifar10Labels, keep: 0);

    /// <summary>Reads a CIFAR-100 file (records of coarse label, fine label, 3072 pixel bytes), keeping the
    /// <paramref name="labels"/> kind.</summary>
    /// <exception cref="DatasetFormatException">The file is empty, ends in a partial record, or has a coarse label
    /// above 19 or a fine label above 99.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static CifarRecords ReadCifar100(string path, CifarLabelKind labels = CifarLabelKind.Fine)
        // Both label bytes are validated whichever is kept: an out-of-range byte in either means a wrong file.
        => Read(path, Cifar100Labels, keep: labels == CifarLabelKind.Coarse ? 0 : 1);

    /// <summary>Number of classes for a CIFAR-100 label kind: 100 fine or 20 coarse.</summary>
    public static int Cifar100ClassCount(CifarLabelKind labels) => labels == CifarLabelKind.Coarse ? 20 : 100;

    /// <summary>Reads and concatenates several CIFAR-10 batch files into one dataset (pixels scaled to [0, 1]).</summary>
    /// <exception cref="DatasetFormatException">A file is malformed.</exception>
    public static ImageDataset ReadCifar10Dataset(IReadOnlyList<string> paths, string name) =>
        Concatenate(paths.Select(ReadCifar10).ToList(), name, 10);

    /// <summary>Reads and concatenates CIFAR-100 files into one dataset (pixels scaled to [0, 1]).</summary>
    /// <exception cref="DatasetFormatException">A file is malformed.</exception>
    public static ImageDataset ReadCifar100Dataset(IReadOnlyList<string> paths, string name, CifarLabelKind labels = CifarLabelKind.Fine) =>
        Concatenate(paths.Select(p => ReadCifar100(p, labels)).ToList(), name, Cifar100ClassCount(labels));

    private static ImageDataset Concatenate(List<CifarRecords> parts, string name, int classCount)
    {
        if (parts.Count == 1)
            return ImageDataset.FromBytes(name, Shape, parts[0].Pixels, parts[0].Labels, classCount);
        var labels = parts.SelectMany(p => p.Labels).ToArray();
        var pixels = new float[(long)labels.Length * ImageBytes];
        int offset = 0;
        foreach (CifarRecords part in parts)
        {
            ImageDataset.ConvertToUnitRange(part.Pixels, pixels.AsSpan(offset, part.Pixels.Length));
            offset += part.Pixels.Length;
        }
        return new ImageDataset(name, Shape, pixels, labels.Select(l => (int)l).ToArray(), classCount);
    }

    private static readonly (string Name, int ClassCount)[] Cifar10Labels = [("CIFAR-10", 10)];
    private static readonly (string Name, int ClassCount)[] Cifar100Labels = [("CIFAR-100 coarse", 20), ("CIFAR-100 fine", 100)];

    private static CifarRecords Read(string path, (string Name, int ClassCount)[] labelFields, int keep)
    {
        using var reader = DataFileReader.Open(path);
        int labelBytes = labelFields.Length;
        string format = labelFields.Length == 1 ? "CIFAR-10" : "CIFAR-100";
        int recordSize = labelBytes + ImageBytes;
        var labels = new List<byte>(10_000);
        var pixels = new MemoryStream(10_000 * ImageBytes);
        var record = new byte[recordSize];
        while (true)
        {
            long start = reader.Position;
            int read = reader.ReadAvailable(record);
            if (read == 0)
                break;
            if (read < recordSize)
                throw reader.Error(start, $"truncated: record {labels.Count} has {read} of its {recordSize} bytes " +
                    $"({format} records are {labelBytes} label byte(s) + {ImageBytes} pixel bytes)");
            for (int field = 0; field < labelBytes; field++)
            {
                (string name, int classCount) = labelFields[field];
                if (record[field] >= classCount)
                    throw reader.Error(start + field, $"{name} label {record[field]} of record {labels.Count} is outside " +
                        $"[0, {classCount}); is this the right CIFAR variant?");
            }
            labels.Add(record[keep]);
            pixels.Write(record, labelBytes, ImageBytes);
        }
        if (labels.Count == 0)
            throw reader.Error(0, $"empty file: a {format} file holds records of {recordSize} bytes");
        return new CifarRecords(labels.ToArray(), pixels.ToArray());
    }
}
