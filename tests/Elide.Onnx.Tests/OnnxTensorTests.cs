using System.Buffers.Binary;
using Elide.Onnx.Protos;
using Google.Protobuf;

namespace Elide.Onnx.Tests;

public class OnnxTensorTests
{
    private static TensorProto Proto(TensorProto.Types.DataType type, params long[] dims)
    {
        var t = new TensorProto { Name = "t", DataType = (int)type };
        t.Dims.AddRange(dims);
        return t;
    }

    [Fact]
    public void FloatsRoundTripThroughRawData()
    {
        var proto = OnnxTensor.ToProto("w", [2, 2], [1.5f, -2f, 0f, float.MaxValue]);
        Assert.Equal((int)TensorProto.Types.DataType.Float, proto.DataType);
        Assert.Equal(16, proto.RawData.Length);
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(proto.RawData.Span)); // little-endian on the wire
        var tensor = OnnxTensor.FromProto(proto);
        Assert.Equal("w", tensor.Name);
        Assert.Equal([2L, 2L], tensor.Dims);
        Assert.Equal(4, tensor.ElementCount);
        Assert.Equal(new[] { 1.5f, -2f, 0f, float.MaxValue }, tensor.ToFloatArray());
    }

    [Fact]
    public void ScalarHasRankZeroAndOneElement()
    {
        var tensor = OnnxTensor.FromProto(OnnxTensor.ToProto("s", [], [7L]));
        Assert.Equal(0, tensor.Rank);
        Assert.Equal(1, tensor.ElementCount);
        Assert.Equal([7L], tensor.ToInt64Array());
    }

    [Fact]
    public void EmptyTensorNeedsNoData()
    {
        var tensor = OnnxTensor.FromProto(Proto(TensorProto.Types.DataType.Float, 0, 3));
        Assert.Equal(0, tensor.ElementCount);
        Assert.Empty(tensor.ToFloatArray());
    }

    [Fact]
    public void TypedFloatAndDoubleAndInt64Fields()
    {
        var f = Proto(TensorProto.Types.DataType.Float, 2);
        f.FloatData.AddRange([1f, 2f]);
        Assert.Equal(new[] { 1f, 2f }, OnnxTensor.FromProto(f).ToFloatArray());

        var d = Proto(TensorProto.Types.DataType.Double, 2);
        d.DoubleData.AddRange([0.1, 1e300]);
        Assert.Equal(new[] { 0.1, 1e300 }, OnnxTensor.FromProto(d).ToDoubleArray());
        Assert.Equal(new[] { 0.1f, float.PositiveInfinity }, OnnxTensor.FromProto(d).ToFloatArray());

        var l = Proto(TensorProto.Types.DataType.Int64, 3);
        l.Int64Data.AddRange([long.MinValue, -1, long.MaxValue]);
        Assert.Equal(new[] { long.MinValue, -1, long.MaxValue }, OnnxTensor.FromProto(l).ToInt64Array());
    }

    [Theory]
    [InlineData(TensorProto.Types.DataType.Int8, new[] { -128, -1, 0, 127 }, new long[] { -128, -1, 0, 127 })]
    [InlineData(TensorProto.Types.DataType.Uint8, new[] { 0, 1, 200, 255 }, new long[] { 0, 1, 200, 255 })]
    [InlineData(TensorProto.Types.DataType.Int16, new[] { -32768, -1, 0, 32767 }, new long[] { -32768, -1, 0, 32767 })]
    [InlineData(TensorProto.Types.DataType.Uint16, new[] { 0, 1, 40000, 65535 }, new long[] { 0, 1, 40000, 65535 })]
    [InlineData(TensorProto.Types.DataType.Int32, new[] { int.MinValue, -1, 0, int.MaxValue }, new long[] { int.MinValue, -1, 0, int.MaxValue })]
    [InlineData(TensorProto.Types.DataType.Bool, new[] { 0, 1, 1, 0 }, new long[] { 0, 1, 1, 0 })]
    public void Int32DataHoldsEveryNarrowIntegerType(TensorProto.Types.DataType type, int[] stored, long[] expected)
    {
        var proto = Proto(type, 4);
        proto.Int32Data.AddRange(stored);
        var tensor = OnnxTensor.FromProto(proto);
        Assert.Equal((int)type, (int)tensor.ElementType);
        Assert.Equal(expected, tensor.ToInt64Array());
        Assert.Equal(expected.Select(v => (float)v).ToArray(), tensor.ToFloatArray());
        // Re-encoding uses raw_data and decodes to the same values.
        Assert.Equal(expected, OnnxTensor.FromProto(tensor.ToProto()).ToInt64Array());
    }

    [Fact]
    public void UInt64DataHoldsUInt32AndUInt64()
    {
        var u32 = Proto(TensorProto.Types.DataType.Uint32, 2);
        u32.Uint64Data.AddRange([0ul, uint.MaxValue]);
        Assert.Equal(new long[] { 0, uint.MaxValue }, OnnxTensor.FromProto(u32).ToInt64Array());
        Assert.Equal(8, OnnxTensor.FromProto(u32).RawData.Length);

        var u64 = Proto(TensorProto.Types.DataType.Uint64, 2);
        u64.Uint64Data.AddRange([1ul, ulong.MaxValue]);
        Assert.Equal(new long[] { 1, -1 }, OnnxTensor.FromProto(u64).ToInt64Array()); // documented C-cast wrap
        Assert.Equal(new[] { 1f, 1.8446744e19f }, OnnxTensor.FromProto(u64).ToFloatArray());
    }

    [Fact]
    public void Float16FromInt32DataBitPatternsAndFromRawData()
    {
        Half[] values = [(Half)1.5f, (Half)(-0.0009765625f), Half.MaxValue, Half.NegativeInfinity];
        var typed = Proto(TensorProto.Types.DataType.Float16, 4);
        typed.Int32Data.AddRange(values.Select(h => (int)BitConverter.HalfToUInt16Bits(h)));
        float[] expected = values.Select(h => (float)h).ToArray();
        Assert.Equal(expected, OnnxTensor.FromProto(typed).ToFloatArray());

        var raw = Proto(TensorProto.Types.DataType.Float16, 4);
        raw.RawData = ByteString.CopyFrom(values.SelectMany(h => BitConverter.GetBytes(BitConverter.HalfToUInt16Bits(h))).ToArray());
        Assert.Equal(expected, OnnxTensor.FromProto(raw).ToFloatArray());
    }

    [Fact]
    public void BFloat16DecodingAndRounding()
    {
        float[] values = [1f, -2.5f, 3.140625f, float.PositiveInfinity];
        var proto = Proto(TensorProto.Types.DataType.Bfloat16, 4);
        proto.Int32Data.AddRange(values.Select(v => (int)BFloat16.FromSingle(v)));
        Assert.Equal(values, OnnxTensor.FromProto(proto).ToFloatArray()); // all exactly representable

        // Round to nearest even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 and rounds to 1 (even);
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6 and rounds up to the even 1 + 2^-6.
        Assert.Equal(1f, BFloat16.ToSingle(BFloat16.FromSingle(1f + 1f / 256)));
        Assert.Equal(1f + 1f / 64, BFloat16.ToSingle(BFloat16.FromSingle(1f + 3f / 256)));
        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(float.NaN))));
    }

    [Fact]
    public void StringsRoundTrip()
    {
        var tensor = OnnxTensor.FromStrings("s", [3], ["a", "", "δ€"]);
        var proto = tensor.ToProto();
        Assert.Equal(3, proto.StringData.Count);
        Assert.Equal(0, proto.RawData.Length);
        Assert.Equal(["a", "", "δ€"], OnnxTensor.FromProto(proto).ToStringArray());
        Assert.Throws<InvalidOperationException>(() => tensor.ToFloatArray());
        Assert.Throws<InvalidOperationException>(() => tensor.ToInt64Array());
    }

    [Fact]
    public void ToInt64ArrayRefusesFloatingPoint()
    {
        var e = Assert.Throws<InvalidOperationException>(() => OnnxTensor.FromFloats("f", [1], [1f]).ToInt64Array());
        Assert.Contains("tensor 'f' has element type Float", e.Message);
        Assert.Throws<InvalidOperationException>(() => OnnxTensor.FromFloats("f", [1], [1f]).ToStringArray());
    }

    [Fact]
    public void UnsupportedElementTypesAreReported()
    {
        var proto = Proto(TensorProto.Types.DataType.Complex64, 1);
        proto.FloatData.AddRange([1f, 2f]);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.FromProto(proto));
        Assert.StartsWith("tensor 't': element type COMPLEX64 is not supported", e.Message);
    }

    [Fact]
    public void SegmentedTensorsAreReported()
    {
        var proto = OnnxTensor.ToProto("t", [2], [1f, 2f]);
        proto.Segment = new TensorProto.Types.Segment { Begin = 0, End = 1 };
        Assert.Contains("segmented tensors", Assert.Throws<OnnxFormatException>(() => OnnxTensor.FromProto(proto)).Message);
    }

    [Fact]
    public void FactoriesValidateTheirArguments()
    {
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromFloats("x", [2, 2], [1f, 2f, 3f]));
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromFloats("x", [-1], []));
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromRawBytes("x", OnnxElementType.String, [0], []));
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromStrings("x", [2], ["only one"]));
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromFloats("x", [1], [1f]).Reinterpret(OnnxElementType.Int64));
    }

    [Fact]
    public void ParseReportsGarbageWithTheSourceName()
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.Parse([0x0A, 0xFF], "input_0.pb"));
        Assert.StartsWith("input_0.pb: not a valid serialized TensorProto", e.Message);
        var bad = OnnxTensor.ToProto("x", [3], [1f, 2f, 3f]);
        bad.Dims[0] = 4;
        e = Assert.Throws<OnnxFormatException>(() => OnnxTensor.Parse(bad.ToByteArray(), "input_1.pb"));
        Assert.StartsWith("input_1.pb: tensor 'x' (FLOAT, dims [4]): raw_data has 12 bytes but the dims need 16", e.Message);
    }

    [Fact]
    public void EveryElementTypeRoundTripsThroughRawBytes()
    {
        foreach (var type in Enum.GetValues<OnnxElementType>().Where(t => t != OnnxElementType.String))
        {
            byte[] bytes = Enumerable.Range(1, 3 * type.ByteSize()).Select(i => (byte)(i % 2)).ToArray();
            var tensor = OnnxTensor.FromRawBytes("r", type, [3], bytes);
            var back = OnnxTensor.FromProto(tensor.ToProto());
            Assert.Equal(type, back.ElementType);
            Assert.Equal(bytes, back.RawData.ToArray());
            Assert.Equal(3, back.ToDoubleArray().Length);
        }
    }
}
