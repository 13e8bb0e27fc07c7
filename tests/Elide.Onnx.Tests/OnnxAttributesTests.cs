using Elide.Onnx.Protos;
using Google.Protobuf;

namespace Elide.Onnx.Tests;

public class OnnxAttributesTests
{
    private static NodeProto Conv() => TestModels.Node("Conv", "conv1", ["X", "W"], ["Y"],
        TestModels.IntAttribute("group", 2),
        TestModels.IntsAttribute("strides", 2, 2),
        TestModels.FloatAttribute("alpha", 0.5f),
        TestModels.StringAttribute("auto_pad", "SAME_UPPER"),
        new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = OnnxTensor.ToProto("v", [1], [3f]) },
        new AttributeProto { Name = "scales", Type = AttributeProto.Types.AttributeType.Floats, Floats = { 1f, 2f } },
        new AttributeProto { Name = "modes", Type = AttributeProto.Types.AttributeType.Strings, Strings = { ByteString.CopyFromUtf8("a"), ByteString.CopyFromUtf8("b") } });

    [Fact]
    public void PresentAttributesAreRead()
    {
        var node = Conv();
        Assert.Equal(2, node.GetInt("group", 1));
        Assert.Equal(2, node.GetRequiredInt("group"));
        Assert.Equal([2L, 2L], node.GetInts("strides", [1, 1]));
        Assert.Equal(0.5f, node.GetFloat("alpha", 1f));
        Assert.Equal("SAME_UPPER", node.GetString("auto_pad", "NOTSET"));
        Assert.Equal([1f, 2f], node.GetRequiredFloats("scales"));
        Assert.Equal(["a", "b"], node.GetStrings("modes", []));
        Assert.Equal([3f], OnnxTensor.FromProto(node.GetRequiredTensor("value")).ToFloatArray());
        Assert.True(node.HasAttribute("strides"));
    }

    [Fact]
    public void AbsentAttributesGiveTheDefault()
    {
        var node = Conv();
        Assert.Equal(7, node.GetInt("missing", 7));
        Assert.Equal([0L, 0L, 0L, 0L], node.GetInts("pads", [0, 0, 0, 0]));
        Assert.Equal(1e-5f, node.GetFloat("epsilon", 1e-5f));
        Assert.Equal("NOTSET", node.GetString("mode", "NOTSET"));
        Assert.Null(node.GetTensor("weights"));
        Assert.Null(node.GetGraph("body"));
        Assert.False(node.HasAttribute("pads"));
    }

    [Fact]
    public void WrongTypeNamesNodeOpAndAttribute()
    {
        var e = Assert.Throws<OnnxAttributeException>(() => Conv().GetInt("strides", 1));
        Assert.Equal("node 'conv1' (Conv): attribute 'strides' has type INTS but INT was expected", e.Message);
        Assert.Equal("conv1", e.NodeName);
        Assert.Equal("Conv", e.OpType);
        Assert.Equal("strides", e.AttributeName);
        Assert.Throws<OnnxAttributeException>(() => Conv().GetFloat("group", 1f));
        Assert.Throws<OnnxAttributeException>(() => Conv().GetString("alpha", ""));
        Assert.Throws<OnnxAttributeException>(() => Conv().GetTensor("group"));
    }

    [Fact]
    public void MissingRequiredAttributeIsReported()
    {
        var e = Assert.Throws<OnnxAttributeException>(() => Conv().GetRequiredInts("kernel_shape"));
        Assert.Equal("node 'conv1' (Conv): attribute 'kernel_shape' is required (INTS) but missing", e.Message);
        Assert.IsAssignableFrom<OnnxFormatException>(e);
    }

    [Fact]
    public void UntypedAttributeIsReported()
    {
        var node = TestModels.Node("Relu", "r", ["x"], ["y"], new AttributeProto { Name = "alpha", F = 1f });
        var e = Assert.Throws<OnnxAttributeException>(() => node.GetFloat("alpha", 0f));
        Assert.Equal("node 'r' (Relu): attribute 'alpha' has no type (UNDEFINED) but FLOAT was expected", e.Message);
    }

    [Fact]
    public void ReturnedArraysAreCopies()
    {
        var node = Conv();
        node.GetInts("strides", [])[0] = 99;
        Assert.Equal([2L, 2L], node.GetInts("strides", []));
    }
}
