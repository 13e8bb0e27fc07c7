using Elide.Onnx.Protos;
using Google.Protobuf;

namespace Elide.Onnx.Tests;

public class OnnxModelFileTests
{
    private static byte[] Bytes(ModelProto model) => model.ToByteArray();

    private static OnnxFormatException LoadFails(ModelProto model) =>
        Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(Bytes(model), null, new OnnxLoadOptions { SourceName = "bad.onnx" }));

    [Fact]
    public void RoundTripInMemoryPreservesTheModel()
    {
        var model = TestModels.Linear();
        model.MetadataProps.Add(new StringStringEntryProto { Key = "author", Value = "tests" });
        var loaded = OnnxModelFile.Load(OnnxModelFile.Serialize(model), null);
        Assert.Equal(model, loaded);
        Assert.Equal(new float[] { -1f, -0.75f, -0.5f }, OnnxTensor.FromProto(loaded.Graph.Initializer[0]).ToFloatArray()[..3]);
    }

    [Fact]
    public void RoundTripThroughAFileAndAStream()
    {
        using var dir = new TestModels.TempDirectory();
        var model = TestModels.Linear();
        string path = dir.File("linear.onnx");
        OnnxModelFile.Save(model, path);
        Assert.Equal(model, OnnxModelFile.Load(path));
        using var stream = File.OpenRead(path);
        Assert.Equal(model, OnnxModelFile.Load(stream, dir.Path));
        // The atomic write leaves no temporary files behind.
        Assert.Equal(["linear.onnx"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void ModelWithSubgraphsRoundTripsAndKeepsSubgraphInitializers()
    {
        var model = TestModels.WithSubgraphs();
        var loaded = OnnxModelFile.Load(OnnxModelFile.Serialize(model), null);
        Assert.Equal(model, loaded);
        var elseBranch = loaded.Graph.Node[3].GetGraph("else_branch")!;
        Assert.Equal(new[] { 2f }, OnnxTensor.FromProto(elseBranch.Initializer[0]).ToFloatArray());
    }

    [Fact]
    public void SaveReplacesAnExistingFile()
    {
        using var dir = new TestModels.TempDirectory();
        string path = dir.File("m.onnx");
        File.WriteAllText(path, "old content");
        var model = TestModels.Linear();
        OnnxModelFile.Save(model, path);
        Assert.Equal(model, OnnxModelFile.Load(path));
    }

    [Fact]
    public void SaveRejectsAnInvalidModelAndLeavesNoFile()
    {
        using var dir = new TestModels.TempDirectory();
        var model = TestModels.Linear();
        model.Graph.Initializer[0].Dims[0] = 5; // data no longer matches dims
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Save(model, dir.File("m.onnx")));
        Assert.Contains("initializer 'W'", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        var e = Assert.Throws<FileNotFoundException>(() => OnnxModelFile.Load("/nonexistent/elide/model.onnx"));
        Assert.Contains("/nonexistent/elide/model.onnx", e.Message);
    }

    [Fact]
    public void EmptyFileIsReported()
    {
        using var dir = new TestModels.TempDirectory();
        string path = dir.File("empty.onnx");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(path));
        Assert.Contains("empty.onnx", e.Message);
        Assert.Contains("the file is empty", e.Message);
    }

    [Fact]
    public void TruncatedFileIsReported()
    {
        byte[] bytes = Bytes(TestModels.Linear());
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(bytes.AsSpan(0, bytes.Length - 7), null, new OnnxLoadOptions { SourceName = "cut.onnx" }));
        Assert.StartsWith("cut.onnx: not a valid ONNX protobuf (truncated or corrupt file?)", e.Message);
        Assert.IsType<InvalidProtocolBufferException>(e.InnerException);
    }

    public static TheoryData<string, byte[]> ForeignFiles => new()
    {
        { "NumPy .npy", [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0x76, 0] },
        { "zip archive", [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0] },
        { "gzip-compressed", [0x1F, 0x8B, 8, 0, 0, 0] },
        { "HDF5", [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A, 0] },
        { "TensorFlow Lite", [0x1C, 0, 0, 0, (byte)'T', (byte)'F', (byte)'L', (byte)'3', 0] },
        { "ONNX Runtime .ort", [0x1C, 0, 0, 0, (byte)'O', (byte)'R', (byte)'T', (byte)'M', 0] },
        { "Python pickle", [0x80, 0x02, (byte)'c', 0] },
        { "Git LFS pointer", "version https://git-lfs.github.com/spec/v1\noid sha256:abc\n"u8.ToArray() },
        { "JSON", "{\"model\": 1}"u8.ToArray() },
        { "ONNX text format", "ir_version: 8\ngraph {\n}\n"u8.ToArray() },
        { "XML/HTML", "<html><body>404</body></html>"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(ForeignFiles))]
    public void ForeignFormatsAreRecognizedAndNamed(string expected, byte[] content)
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(content, null, new OnnxLoadOptions { SourceName = "x.onnx" }));
        Assert.StartsWith("x.onnx: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void RandomBinaryIsNotAValidProtobuf()
    {
        byte[] noise = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(noise, null));
        Assert.Contains("not a valid ONNX protobuf", e.Message);
    }

    [Fact]
    public void MissingGraphIsReported()
    {
        var model = TestModels.Linear();
        model.Graph = null;
        Assert.Equal("bad.onnx: the model has no graph", LoadFails(model).Message);
    }

    [Fact]
    public void MissingIrVersionIsReported()
    {
        var model = TestModels.Linear();
        model.ClearIrVersion();
        Assert.Contains("ir_version is missing", LoadFails(model).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(12)]
    [InlineData(-1)]
    public void UnsupportedIrVersionIsReported(long irVersion)
    {
        var model = TestModels.Linear();
        model.IrVersion = irVersion;
        Assert.Equal($"bad.onnx: ir_version {irVersion} is not supported (supported: 3..11)", LoadFails(model).Message);
    }

    [Fact]
    public void MissingOpsetImportIsReported()
    {
        var model = TestModels.Linear();
        model.OpsetImport.Clear();
        Assert.Contains("opset_import is empty", LoadFails(model).Message);
    }

    [Fact]
    public void NegativeDimIsReported()
    {
        var model = TestModels.Linear();
        model.Graph.Initializer[1].Dims[0] = -3;
        Assert.Equal("bad.onnx: graph 'linear': initializer 'B': dimension 0 is negative (-3) in dims [-3]", LoadFails(model).Message);
    }

    [Fact]
    public void DimsBeyondTwoToThe31ElementsAreReported()
    {
        var model = TestModels.Linear();
        var b = model.Graph.Initializer[1];
        b.Dims.Clear();
        b.Dims.AddRange([65536, 32768]); // exactly 2^31
        Assert.Contains("describe more than 2147483647 elements", LoadFails(model).Message);
    }

    [Fact]
    public void DimsWhoseProductOverflowsAreReported()
    {
        var model = TestModels.Linear();
        var b = model.Graph.Initializer[1];
        b.Dims.Clear();
        b.Dims.AddRange([long.MaxValue, long.MaxValue, 4]);
        Assert.Contains("describe more than 2147483647 elements", LoadFails(model).Message);
    }

    [Fact]
    public void RawDataSizeMismatchIsReported()
    {
        var model = TestModels.Linear();
        model.Graph.Initializer[0].Dims[0] = 5;
        Assert.Equal("bad.onnx: graph 'linear': initializer 'W' (FLOAT, dims [5,3]): raw_data has 48 bytes but the dims need 60", LoadFails(model).Message);
    }

    [Fact]
    public void TypedFieldCountMismatchIsReported()
    {
        var model = TestModels.Linear();
        var b = model.Graph.Initializer[1];
        b.ClearRawData();
        b.FloatData.AddRange([1f, 2f]);
        Assert.Equal("bad.onnx: graph 'linear': initializer 'B' (FLOAT, dims [3]): float_data has 2 values but the dims need 3", LoadFails(model).Message);
    }

    [Fact]
    public void DataInTheWrongTypedFieldIsReported()
    {
        var model = TestModels.Linear();
        var b = model.Graph.Initializer[1];
        b.ClearRawData();
        b.Int64Data.AddRange([1, 2, 3]);
        Assert.Contains("data is in int64_data, which is not valid for FLOAT", LoadFails(model).Message);
    }

    [Fact]
    public void DataInTwoFieldsIsReported()
    {
        var model = TestModels.Linear();
        model.Graph.Initializer[1].FloatData.AddRange([1f, 2f, 3f]);
        Assert.Contains("more than one field (raw_data, float_data)", LoadFails(model).Message);
    }

    [Fact]
    public void TensorWithoutDataIsReported()
    {
        var model = TestModels.Linear();
        model.Graph.Initializer[1].ClearRawData();
        Assert.Contains("has no element data but its dims describe 3 elements", LoadFails(model).Message);
    }

    [Fact]
    public void UnknownDataTypeIsReported()
    {
        var model = TestModels.Linear();
        model.Graph.Initializer[1].DataType = 99;
        Assert.Contains("initializer 'B': data_type 99 is not a known ONNX data type", LoadFails(model).Message);
    }

    [Fact]
    public void DuplicateInitializerNameIsReported()
    {
        var model = TestModels.Linear();
        model.Graph.Initializer.Add(model.Graph.Initializer[1].Clone());
        Assert.Equal("bad.onnx: graph 'linear': duplicate initializer name 'B'", LoadFails(model).Message);
    }

    [Fact]
    public void DuplicateGraphInputIsReported()
    {
        var model = TestModels.Linear();
        model.Graph.Input.Add(model.Graph.Input[0].Clone());
        Assert.Equal("bad.onnx: graph 'linear': duplicate graph input 'X'", LoadFails(model).Message);
    }

    [Fact]
    public void ValueDefinedTwiceIsReported()
    {
        var model = TestModels.Linear();
        model.Graph.Node[2].Output[0] = "XW"; // Relu now redefines MatMul's output
        Assert.Equal("bad.onnx: graph 'linear': node 2 'relu' (Relu): output 'XW' is already defined by a graph input, an initializer or an earlier node", LoadFails(model).Message);
    }

    [Fact]
    public void DuplicateAttributeIsReported()
    {
        var model = TestModels.Linear();
        model.Graph.Node[0].Attribute.Add(TestModels.IntAttribute("k", 1));
        model.Graph.Node[0].Attribute.Add(TestModels.IntAttribute("k", 2));
        Assert.Equal("bad.onnx: graph 'linear': node 0 'matmul' (MatMul): duplicate attribute 'k'", LoadFails(model).Message);
    }

    [Fact]
    public void ErrorsInsideSubgraphsNameTheirPath()
    {
        var model = TestModels.Linear();
        var body = new GraphProto { Name = "then" };
        body.Initializer.Add(new TensorProto { Name = "c", DataType = 1, Dims = { 2 } });
        model.Graph.Node[2].Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = body });
        Assert.Equal("bad.onnx: graph 'linear': node 2 'relu' (Relu) attribute 'then_branch' subgraph 'then': initializer 'c' (FLOAT, dims [2]): has no element data but its dims describe 2 elements",
            LoadFails(model).Message);
    }

    [Fact]
    public void BadTensorInAConstantAttributeIsReported()
    {
        var model = TestModels.Linear();
        var t = OnnxTensor.ToProto("value", [2], [1f, 2f]);
        t.Dims[0] = 3;
        model.Graph.Node.Add(TestModels.Node("Constant", "const", [], ["K"], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t }));
        Assert.Contains("node 3 'const' (Constant) attribute 'value' (FLOAT, dims [3]): raw_data has 8 bytes but the dims need 12", LoadFails(model).Message);
    }

    [Fact]
    public void UnknownFieldsFromNewerVersionsSurviveARoundTrip()
    {
        // Field 99 on the model is unknown to us; it must be kept and written back.
        byte[] original = Bytes(TestModels.Linear());
        byte[] extra = [.. original, 0x98, 0x06, 0x2A]; // tag (99 << 3 | varint) = 0x318 → 0x98 0x06, value 42
        var model = OnnxModelFile.Load(extra, null);
        Assert.Equal(extra, model.ToByteArray());
    }
}
