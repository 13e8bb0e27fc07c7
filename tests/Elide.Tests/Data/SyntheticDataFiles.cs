using System.Buffers.Binary;
using System.IO.Compression;

namespace Elide.Tests.Data;

/// <summary>A temporary directory deleted on dispose, with writers for tiny IDX and CIFAR files.</summary>
internal sealed class SyntheticDataFiles : IDisposable
{
    public SyntheticDataFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "elide-data-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Writes bytes, gzip-compressed when asked.</summary>
    public string Write(string name, byte[] content, bool gzip = false)
    {
        string path = PathOf(name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, gzip ? Gzip(content) : content);
        return path;
    }

    public static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var zip = new GZipStream(output, CompressionLevel.Fastest))
            zip.Write(content);
        return output.ToArray();
    }

    /// <summary>An IDX file: magic 00 00 type dims, big-endian dimensions, then the data.</summary>
    public static byte[] Idx(byte type, int[] dimensions, byte[] data)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dimensions[d]);
        data.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    /// <summary>Pixel i of image n is (n·31 + i·7) mod 256: distinct per image, every byte value reachable.</summary>
    public static byte[] Pixels(int count, int size)
    {
        var pixels = new byte[count * size];
        for (int n = 0; n < count; n++)
            for (int i = 0; i < size; i++)
                pixels[n * size + i] = (byte)((n * 31 + i * 7) % 256);
        return pixels;
    }

    public static byte[] IdxImages(int count, int rows, int columns) =>
        Idx(0x08, [count, rows, columns], Pixels(count, rows * columns));

    public static byte[] IdxLabels(byte[] labels) => Idx(0x08, [labels.Length], labels);

    /// <summary>Writes a complete MNIST-style directory with the standard file names.</summary>
    public void WriteIdxDataset(byte[] trainLabels, byte[] testLabels, bool gzip, int side = 4)
    {
        string suffix = gzip ? ".gz" : "";
        Write("train-images-idx3-ubyte" + suffix, IdxImages(trainLabels.Length, side, side), gzip);
        Write("train-labels-idx1-ubyte" + suffix, IdxLabels(trainLabels), gzip);
        Write("t10k-images-idx3-ubyte" + suffix, IdxImages(testLabels.Length, side, side), gzip);
        Write("t10k-labels-idx1-ubyte" + suffix, IdxLabels(testLabels), gzip);
    }

    /// <summary>CIFAR records: the label bytes of each record, then 3072 pixel bytes.</summary>
    public static byte[] Cifar(byte[][] labelBytes, int firstImage = 0)
    {
        int labelSize = labelBytes[0].Length;
        int recordSize = labelSize + 3072;
        var bytes = new byte[labelBytes.Length * recordSize];
        byte[] pixels = Pixels(firstImage + labelBytes.Length, 3072);
        for (int r = 0; r < labelBytes.Length; r++)
        {
            labelBytes[r].CopyTo(bytes, r * recordSize);
            Array.Copy(pixels, (firstImage + r) * 3072, bytes, r * recordSize + labelSize, 3072);
        }
        return bytes;
    }

    public static byte[] Cifar10(byte[] labels, int firstImage = 0) =>
        Cifar(labels.Select(l => new[] { l }).ToArray(), firstImage);

    public static byte[] Cifar100(byte[] coarse, byte[] fine) =>
        Cifar(coarse.Zip(fine, (c, f) => new[] { c, f }).ToArray());

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}
