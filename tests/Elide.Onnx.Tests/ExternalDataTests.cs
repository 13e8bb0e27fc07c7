using Google.Protobuf;
using Elide.Onnx.Protos;

namespace Elide.Onnx.Tests;

public class ExternalDataTests
{
    private static TensorProto ExternalTensor(string location, long? offset = null, long? length = null)
    {
        var t = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.AddRange([2, 2]);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is not null) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.Value.ToString() });
        if (length is not null) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.Value.ToString() });
        return t;
    }

    private static ModelProto ModelWith(TensorProto initializer)
    {
        var model = TestModels.Linear();
        model.Graph.Initializer[0] = initializer;
        return model;
    }

    private static OnnxFormatException LoadFails(TestModels.TempDirectory dir, ModelProto model)
    {
        string path = dir.File("model.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(path));
    }

    [Fact]
    public void SaveWithExternalDataMovesLargeTensorsAndLoadsBack()
    {
        using var dir = new TestModels.TempDirectory();
        var model = TestModels.Linear(rows: 64, columns: 32); // W is 8 KiB, B is 128 bytes
        string path = dir.File("big.onnx");
        OnnxModelFile.Save(model, path, new ExternalDataOptions { FileName = "big.onnx.data", SizeThresholdBytes = 1024 });

        Assert.Equal(["big.onnx", "big.onnx.data"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
        Assert.Equal(TensorProto.Types.DataLocation.Default, model.Graph.Initializer[0].DataLocation); // caller's object untouched

        var loaded = OnnxModelFile.Load(path);
        var w = loaded.Graph.Initializer[0];
        Assert.Equal(TensorProto.Types.DataLocation.External, w.DataLocation);
        Assert.Equal(0, w.RawData.Length);
        Assert.Equal(TensorProto.Types.DataLocation.Default, loaded.Graph.Initializer[1].DataLocation); // below threshold
        Assert.Equal(OnnxTensor.FromProto(model.Graph.Initializer[0]).ToFloatArray(), OnnxTensor.FromProto(w, dir.Path).ToFloatArray());

        var inlined = OnnxModelFile.Load(path, new OnnxLoadOptions { InlineExternalData = true });
        Assert.Equal(model, inlined);
    }

    [Fact]
    public void ExternalOffsetsAreAligned()
    {
        using var dir = new TestModels.TempDirectory();
        var model = TestModels.Linear(rows: 20, columns: 20);
        model.Graph.Initializer[1] = OnnxTensor.ToProto("B", [20], Enumerable.Range(0, 20).Select(i => (float)i).ToArray());
        OnnxModelFile.Save(model, dir.File("m.onnx"), new ExternalDataOptions { FileName = "m.bin", SizeThresholdBytes = 0, Alignment = 64 });
        var loaded = OnnxModelFile.Load(dir.File("m.onnx"));
        var offsets = loaded.Graph.Initializer.Select(t => long.Parse(t.ExternalData.Single(e => e.Key == "offset").Value)).ToArray();
        Assert.Equal([0L, 1600L], offsets); // 1600 is already a multiple of 64
        Assert.All(offsets, o => Assert.Equal(0, o % 64));
        Assert.Equal(model, OnnxModelFile.Load(dir.File("m.onnx"), new OnnxLoadOptions { InlineExternalData = true }));
    }

    [Fact]
    public void TypedFieldTensorsAreMovedOutAsRawBytes()
    {
        using var dir = new TestModels.TempDirectory();
        var model = TestModels.Linear();
        var b = model.Graph.Initializer[1];
        b.ClearRawData();
        b.FloatData.AddRange([0f, 1f, 2f]);
        OnnxModelFile.Save(model, dir.File("m.onnx"), new ExternalDataOptions { FileName = "m.bin", SizeThresholdBytes = 0 });
        var loaded = OnnxModelFile.Load(dir.File("m.onnx"), new OnnxLoadOptions { InlineExternalData = true });
        Assert.Equal(new float[] { 0f, 1f, 2f }, OnnxTensor.FromProto(loaded.Graph.Initializer[1]).ToFloatArray());
    }

    [Fact]
    public void SavingAModelThatStillReferencesExternalFilesIsRefused()
    {
        using var dir = new TestModels.TempDirectory();
        var model = TestModels.Linear(rows: 64, columns: 32);
        OnnxModelFile.Save(model, dir.File("a.onnx"), new ExternalDataOptions { FileName = "a.bin" });
        var loaded = OnnxModelFile.Load(dir.File("a.onnx"));
        var e = Assert.Throws<InvalidOperationException>(() => OnnxModelFile.Save(loaded, dir.File("b.onnx")));
        Assert.Contains("InlineExternalData", e.Message);
    }

    [Theory]
    [InlineData("sub/data.bin")]
    [InlineData("data\\bin")]
    [InlineData("..")]
    [InlineData("")]
    public void ExternalFileNameMustBePlain(string fileName)
    {
        using var dir = new TestModels.TempDirectory();
        Assert.Throws<ArgumentException>(() => OnnxModelFile.Save(TestModels.Linear(), dir.File("m.onnx"), new ExternalDataOptions { FileName = fileName }));
    }

    [Fact]
    public void MissingExternalFileIsReported()
    {
        using var dir = new TestModels.TempDirectory();
        var e = LoadFails(dir, ModelWith(ExternalTensor("weights.bin")));
        Assert.Contains("model.onnx: graph 'linear': initializer 'W': external data file 'weights.bin' does not exist", e.Message);
    }

    [Fact]
    public void OffsetBeyondTheFileIsReported()
    {
        using var dir = new TestModels.TempDirectory();
        File.WriteAllBytes(dir.File("weights.bin"), new byte[16]);
        var e = LoadFails(dir, ModelWith(ExternalTensor("weights.bin", offset: 32)));
        Assert.Contains("external data offset 32 is beyond the end of 'weights.bin' (16 bytes)", e.Message);
    }

    [Fact]
    public void RangeBeyondTheFileIsReported()
    {
        using var dir = new TestModels.TempDirectory();
        File.WriteAllBytes(dir.File("weights.bin"), new byte[16]);
        var e = LoadFails(dir, ModelWith(ExternalTensor("weights.bin", offset: 8, length: 16)));
        Assert.Contains("external data range [8, 24) is beyond the end of 'weights.bin' (16 bytes)", e.Message);
    }

    [Fact]
    public void LengthNotMatchingDimsIsReported()
    {
        using var dir = new TestModels.TempDirectory();
        File.WriteAllBytes(dir.File("weights.bin"), new byte[64]);
        var e = LoadFails(dir, ModelWith(ExternalTensor("weights.bin", offset: 0, length: 12)));
        Assert.Contains("external data has 12 bytes but the dims need 16", e.Message);
    }

    [Fact]
    public void MissingLengthMeansTheRestOfTheFile()
    {
        using var dir = new TestModels.TempDirectory();
        byte[] data = new byte[4 + 16];
        BitConverter.GetBytes(2.5f).CopyTo(data, 4);
        File.WriteAllBytes(dir.File("weights.bin"), data);
        var tensor = ExternalTensor("weights.bin", offset: 4);
        Assert.Equal(new[] { 2.5f, 0f, 0f, 0f }, OnnxTensor.FromProto(tensor, dir.Path).ToFloatArray());
    }

    [Theory]
    [InlineData("../secret.bin", "contains '..'")]
    [InlineData("sub/../../secret.bin", "contains '..'")]
    [InlineData("/etc/passwd", "is an absolute path")]
    [InlineData("\\\\server\\share\\x.bin", "is an absolute path")]
    [InlineData("C:\\x.bin", "is an absolute path")]
    public void PathTraversalIsRejected(string location, string expected)
    {
        using var dir = new TestModels.TempDirectory();
        var e = LoadFails(dir, ModelWith(ExternalTensor(location)));
        Assert.Contains($"external data location '{location}' {expected}", e.Message);
    }

    [Fact]
    public void SymbolicLinkLeadingOutsideIsRejected()
    {
        using var outside = new TestModels.TempDirectory();
        using var dir = new TestModels.TempDirectory();
        File.WriteAllBytes(outside.File("secret.bin"), new byte[16]);
        File.CreateSymbolicLink(dir.File("weights.bin"), outside.File("secret.bin"));
        var e = LoadFails(dir, ModelWith(ExternalTensor("weights.bin")));
        Assert.Contains("symbolic link leading outside the model directory", e.Message);
    }

    [Fact]
    public void SymbolicLinkInsideTheDirectoryIsAccepted()
    {
        using var dir = new TestModels.TempDirectory();
        File.WriteAllBytes(dir.File("real.bin"), new byte[16]);
        File.CreateSymbolicLink(dir.File("weights.bin"), dir.File("real.bin"));
        string path = dir.File("model.onnx");
        File.WriteAllBytes(path, ModelWith(ExternalTensor("weights.bin")).ToByteArray());
        Assert.NotNull(OnnxModelFile.Load(path, new OnnxLoadOptions { InlineExternalData = true }));
    }

    [Fact]
    public void ExternalDataWithoutABaseDirectoryIsReported()
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(ModelWith(ExternalTensor("w.bin")).ToByteArray(), null));
        Assert.Contains("uses external data ('w.bin') but no model directory is known", e.Message);
    }

    [Theory]
    [InlineData("offset", "-4")]
    [InlineData("length", "12abc")]
    public void MalformedOffsetOrLengthIsReported(string key, string value)
    {
        using var dir = new TestModels.TempDirectory();
        var t = ExternalTensor("w.bin");
        t.ExternalData.Add(new StringStringEntryProto { Key = key, Value = value });
        var e = LoadFails(dir, ModelWith(t));
        Assert.Contains($"external_data '{key}' is '{value}', not a non-negative integer", e.Message);
    }

    [Fact]
    public void MissingLocationIsReported()
    {
        using var dir = new TestModels.TempDirectory();
        var t = ExternalTensor("w.bin");
        t.ExternalData.RemoveAt(0);
        Assert.Contains("data_location is EXTERNAL but external_data has no 'location'", LoadFails(dir, ModelWith(t)).Message);
    }

    [Fact]
    public void LocationsWithForwardSlashSubfoldersWork()
    {
        using var dir = new TestModels.TempDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, "weights"));
        File.WriteAllBytes(Path.Combine(dir.Path, "weights", "w.bin"), new byte[16]);
        var tensor = ExternalTensor("weights/w.bin");
        Assert.Equal(4, OnnxTensor.FromProto(tensor, dir.Path).ElementCount);
    }
}
