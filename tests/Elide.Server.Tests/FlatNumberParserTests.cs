using System.Globalization;
using System.Text;
using Elide.Server.Protocol;

namespace Elide.Server.Tests;

/// <summary>The one-pass reader of flat number arrays against the general float parser.</summary>
public sealed class FlatNumberParserTests
{
    private static float Reference(string number) => float.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("1")]
    [InlineData("0.1")]
    [InlineData("0.4123")]
    [InlineData("-0.5")]
    [InlineData("9999999")]
    [InlineData("0.9999999")]
    [InlineData("0.0000001")]
    [InlineData("0.0000000001")]
    [InlineData("0.00000000001")]
    [InlineData("16777217")]
    [InlineData("123456789.123")]
    [InlineData("3.4028235e38")]
    [InlineData("1e39")]
    [InlineData("1.5E-3")]
    [InlineData("2e+2")]
    [InlineData("0.30000001192092896")]
    [InlineData("1.401298464324817e-45")]
    [InlineData("255")]
    [InlineData("-128.5")]
    public void EveryNumberParsesToTheGeneralParsersFloat(string number)
    {
        float expected = Reference(number);
        float actual = FlatNumberParser.Parse(Encoding.UTF8.GetBytes(number));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
    }

    [Fact]
    public void RandomDecimalsInEveryCommonFormatParseBitExactly()
    {
        var rng = new Random(11);
        string[] formats = ["R", "G9", "0.####", "0.#######", "F2", "E3", "0.##########"];
        for (int i = 0; i < 20_000; i++)
        {
            float value = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-8, 9)));
            string text = value.ToString(formats[i % formats.Length], CultureInfo.InvariantCulture);
            float actual = FlatNumberParser.Parse(Encoding.UTF8.GetBytes(text));
            Assert.True(BitConverter.SingleToInt32Bits(Reference(text)) == BitConverter.SingleToInt32Bits(actual), $"'{text}'");
        }
    }

    [Theory]
    [InlineData("[]", 0)]
    [InlineData(" [ ] ", 0)]
    [InlineData("[1]", 1)]
    [InlineData("[1,2.5,-3e1]", 3)]
    [InlineData("[ 1 ,\n 2 ,\t3\r\n]", 3)]
    [InlineData("[1,2,3,4,5]", 5)] // more values than the buffer: counted, not stored
    [InlineData("[[1,2],[3]]", -1)]
    [InlineData("[1,\"2\"]", -1)]
    [InlineData("[1,null]", -1)]
    [InlineData("[true]", -1)]
    [InlineData("{}", -1)]
    public void ArraysAreCountedAndAnythingButNumbersIsLeftToTheGeneralPath(string json, int expected)
    {
        var data = new float[3];
        Assert.Equal(expected, FlatNumberParser.Read(Encoding.UTF8.GetBytes(json), data));
        if (json == "[1,2.5,-3e1]") Assert.Equal([1f, 2.5f, -30f], data);
        if (json == "[1,2,3,4,5]") Assert.Equal([1f, 2f, 3f], data);
    }
}
