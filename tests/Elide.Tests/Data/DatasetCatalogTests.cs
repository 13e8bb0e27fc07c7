using Elide.Data;

namespace Elide.Tests.Data;

public class DatasetCatalogTests
{
    private static byte[] Labels(int count, int classes) => Enumerable.Range(0, count).Select(i => (byte)(i * 3 % classes)).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IdxDirectoryGivesDisjointStratifiedSplits(bool gzip)
    {
        using var files = new SyntheticDataFiles();
        files.WriteIdxDataset(Labels(200, 10), Labels(30, 10), gzip);
        var options = new DatasetLoadOptions { ValidationSize = 40 };

        ImageDataset train = DatasetCatalog.Load("mnist:" + files.Directory, DatasetSplit.Train, options);
        ImageDataset validation = DatasetCatalog.Load("mnist:" + files.Directory, DatasetSplit.Validation, options);
        ImageDataset test = DatasetCatalog.Load("mnist:" + files.Directory, DatasetSplit.Test, options);

        Assert.Equal(("mnist/train", 160), (train.Name, train.Count));
        Assert.Equal(("mnist/validation", 40), (validation.Name, validation.Count));
        Assert.Equal(("mnist/test", 30), (test.Name, test.Count));
        Assert.Equal(new ImageShape(1, 4, 4), train.Shape);
        Assert.All(validation.ClassCounts(), c => Assert.Equal(4, c));

        int[] trainSources = Enumerable.Range(0, train.Count).Select(train.SourceIndex).ToArray();
        int[] validationSources = Enumerable.Range(0, validation.Count).Select(validation.SourceIndex).ToArray();
        Assert.Empty(trainSources.Intersect(validationSources));
        Assert.Equal(Enumerable.Range(0, 200), trainSources.Concat(validationSources).Order());

        // The images are the file's images: image k of the training file has pixel i = (k·31 + i·7) mod 256.
        int k = validation.SourceIndex(5);
        Assert.Equal((k * 31 % 256) / 255f, validation.Image(5)[0]);
    }

    [Fact]
    public void LoadSplitsMatchesSeparateLoads()
    {
        using var files = new SyntheticDataFiles();
        files.WriteIdxDataset(Labels(120, 10), Labels(10, 10), gzip: true);
        var options = new DatasetLoadOptions { ValidationSize = 20, ValidationSeed = 77 };
        DatasetSplits splits = DatasetCatalog.LoadSplits("fashion-mnist:" + files.Directory, options);
        ImageDataset validation = DatasetCatalog.Load(DatasetKind.FashionMnist, files.Directory, DatasetSplit.Validation, options);
        Assert.Equal(validation.Labels.ToArray(), splits.Validation.Labels.ToArray());
        Assert.Equal(
            Enumerable.Range(0, 20).Select(validation.SourceIndex),
            Enumerable.Range(0, 20).Select(splits.Validation.SourceIndex));
        Assert.Equal(100, splits.Train.Count);
        Assert.Equal("fashion-mnist/test", splits.Test.Name);
    }

    [Fact]
    public void ABareDirectoryIsRecognisedByItsFiles()
    {
        using var files = new SyntheticDataFiles();
        string fashion = Path.Combine(files.Directory, "my-fashion-copy");
        Directory.CreateDirectory(fashion);
        using (var inner = new SyntheticDataFiles())
        {
            inner.WriteIdxDataset(Labels(20, 10), Labels(5, 10), gzip: false);
            foreach (string file in Directory.GetFiles(inner.Directory))
                File.Copy(file, Path.Combine(fashion, Path.GetFileName(file)));
        }
        Assert.Equal((DatasetKind.FashionMnist, fashion), DatasetCatalog.Resolve(fashion));
        Assert.Equal(5, DatasetCatalog.Load(fashion, DatasetSplit.Test).Count);
    }

    [Fact]
    public void Cifar10DirectoryWithStandardSubdirectory()
    {
        using var files = new SyntheticDataFiles();
        for (int b = 1; b <= 5; b++)
            files.Write($"cifar-10-batches-bin/data_batch_{b}.bin", SyntheticDataFiles.Cifar10(Labels(8, 10), firstImage: 8 * (b - 1)));
        files.Write("cifar-10-batches-bin/test_batch.bin", SyntheticDataFiles.Cifar10(Labels(6, 10)));

        DatasetSplits splits = DatasetCatalog.LoadSplits("cifar10:" + files.Directory, new DatasetLoadOptions { ValidationSize = 10 });
        Assert.Equal((30, 10, 6), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        Assert.Equal(new ImageShape(3, 32, 32), splits.Test.Shape);
        Assert.Equal("cifar10/validation", splits.Validation.Name);
        // Training batches are concatenated in file order: source index 17 is record 1 of data_batch_3, whose
        // first pixel byte is (17·31) mod 256 by construction.
        ImageDataset holder = Enumerable.Range(0, splits.Train.Count).Any(i => splits.Train.SourceIndex(i) == 17)
            ? splits.Train : splits.Validation;
        int position = Enumerable.Range(0, holder.Count).Single(i => holder.SourceIndex(i) == 17);
        Assert.Equal((17 * 31 % 256) / 255f, holder.Image(position)[0]);
        Assert.Equal((DatasetKind.Cifar10, Path.Combine(files.Directory, "cifar-10-batches-bin")), DatasetCatalog.Resolve(files.Directory));
    }

    [Theory]
    [InlineData(CifarLabelKind.Fine, 100)]
    [InlineData(CifarLabelKind.Coarse, 20)]
    public void Cifar100Directory(CifarLabelKind kind, int classes)
    {
        using var files = new SyntheticDataFiles();
        byte[] coarse = Labels(40, 20), fine = Labels(40, 100);
        files.Write("train.bin", SyntheticDataFiles.Cifar100(coarse, fine));
        files.Write("test.bin", SyntheticDataFiles.Cifar100(coarse[..4], fine[..4]));
        var options = new DatasetLoadOptions { ValidationSize = 0, Cifar100Labels = kind };
        ImageDataset train = DatasetCatalog.Load(files.Directory, DatasetSplit.Train, options);
        Assert.Equal(classes, train.ClassCount);
        Assert.Equal((kind == CifarLabelKind.Fine ? fine : coarse).Select(b => (int)b), train.Labels.ToArray());
        Assert.Empty(DatasetCatalog.Load(files.Directory, DatasetSplit.Validation, options).Labels.ToArray());
    }

    [Fact]
    public void UnknownNameSaysWhatIsKnown()
    {
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("imagenet", DatasetSplit.Train));
        Assert.Contains("mnist, fashion-mnist, cifar10, cifar100", error.Message);
        Assert.Equal("imagenet", error.Dataset);
    }

    [Theory]
    [InlineData("cifar10", "cifar10:/path/to/cifar-10-batches-bin")]
    [InlineData("CIFAR-100", "cifar100:/path/to/cifar-100-binary")]
    public void CifarWithoutDirectorySaysWhichPathToPass(string name, string hint)
    {
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load(name, DatasetSplit.Test));
        Assert.Contains(hint, error.Message);
        Assert.Contains("Debian does not package it", error.Message);
    }

    [Fact]
    public void MissingDirectoryAndUnrecognisedDirectory()
    {
        using var files = new SyntheticDataFiles();
        string absent = Path.Combine(files.Directory, "absent");
        Assert.Contains("does not exist", Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("mnist:" + absent, DatasetSplit.Test)).Message);
        var unrecognised = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load(files.Directory, DatasetSplit.Test));
        Assert.Contains("holds no known dataset", unrecognised.Message);
        Assert.Contains("data_batch_1.bin", unrecognised.Message);
        var empty = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("cifar100:" + files.Directory, DatasetSplit.Test));
        Assert.Contains("train.bin and test.bin", empty.Message);
    }

    [Fact]
    public void MissingFashionMnistFileSaysWhichPackageToInstall()
    {
        using var files = new SyntheticDataFiles();
        files.Write("train-images-idx3-ubyte.gz", SyntheticDataFiles.IdxImages(2, 4, 4), gzip: true);
        files.Write("train-labels-idx1-ubyte.gz", SyntheticDataFiles.IdxLabels([0, 1]), gzip: true);
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("fashion-mnist:" + files.Directory, DatasetSplit.Test));
        Assert.Contains("t10k-images-idx3-ubyte[.gz]", error.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message);
    }

    [Fact]
    public void ADirectoryWithOnlyTheTestFilesServesTheTestSplitAndNamesWhatTrainingLacks()
    {
        // The repo ships Fashion-MNIST's test split alone (data/fashion-mnist) for the demo.
        using var files = new SyntheticDataFiles();
        files.Write("t10k-images-idx3-ubyte.gz", SyntheticDataFiles.IdxImages(3, 4, 4), gzip: true);
        files.Write("t10k-labels-idx1-ubyte.gz", SyntheticDataFiles.IdxLabels([2, 0, 1]), gzip: true);
        var test = DatasetCatalog.Load("fashion-mnist:" + files.Directory, DatasetSplit.Test);
        Assert.Equal(("fashion-mnist/test", 3), (test.Name, test.Count));
        Assert.Equal(3, DatasetCatalog.Load(files.Directory, DatasetSplit.Test).Count);
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("fashion-mnist:" + files.Directory, DatasetSplit.Validation));
        Assert.Contains("train-images-idx3-ubyte[.gz]", error.Message);
    }

    [Fact]
    public void MissingCifar10BatchIsNamed()
    {
        using var files = new SyntheticDataFiles();
        for (int b = 1; b <= 4; b++)
            files.Write($"data_batch_{b}.bin", SyntheticDataFiles.Cifar10([0]));
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("cifar10:" + files.Directory, DatasetSplit.Train));
        Assert.Contains("data_batch_5.bin not found", error.Message);
    }

    [Fact]
    public void MalformedFileInDirectoryIsAFormatError()
    {
        using var files = new SyntheticDataFiles();
        files.WriteIdxDataset(Labels(10, 10), Labels(4, 10), gzip: false);
        files.Write("t10k-labels-idx1-ubyte", SyntheticDataFiles.IdxLabels(Labels(3, 10)));
        var error = Assert.Throws<DatasetFormatException>(() => DatasetCatalog.Load("mnist:" + files.Directory, DatasetSplit.Test));
        Assert.Contains("count mismatch", error.Message);
    }

    [Fact]
    public void ValidationLargerThanTrainingIsRejected()
    {
        using var files = new SyntheticDataFiles();
        files.WriteIdxDataset(Labels(10, 10), Labels(4, 10), gzip: false);
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetCatalog.Load("mnist:" + files.Directory, DatasetSplit.Train));
    }

    [MnistAbsentFact]
    public void MnistWithoutDirectorySaysToPassOne()
    {
        var error = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("mnist", DatasetSplit.Test));
        Assert.Contains("Debian does not package MNIST", error.Message);
        Assert.Contains("mnist:/path/to/dir", error.Message);
    }

    private sealed class MnistAbsentFactAttribute : FactAttribute
    {
        public MnistAbsentFactAttribute()
        {
            if (Directory.Exists(Path.Combine(DatasetCatalog.DebianDatasetRoot, "mnist")))
                Skip = "An MNIST directory exists under /usr/share/datasets, so the not-found message cannot be observed.";
        }
    }
}
