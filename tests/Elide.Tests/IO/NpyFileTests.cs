using System.Runtime.CompilerServices;
using System.Text;
using Elide.IO;

namespace Elide.Tests.IO;

/// <summary>
/// .npy reading and writing, checked against fixtures written by NumPy 1.24 (Fixtures/generate_fixtures.py)
/// and against hand-made malformed files.
/// </summary>
public class NpyFileTests
{
    // Fixtures are read from the source tree (next to this file), so the test project needs no copy rules.
    private static string Fixture(string name, [CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "Fixtures", name);

    [Fact]
    public void ReadsFloat32Matrix()
    {
        var a = NpyFile.Read(Fixture("f4_2x3.npy"));
        Assert.Equal(NpyDType.Float32, a.DType);
        Assert.Equal([2L, 3L], a.Shape);
        Assert.Equal(new[] { -1f, -0.5f, 0f, 0.5f, 1f, 1.5f }, a.ToFloatArray());
        Assert.Equal(new[] { -1.0, -0.5, 0, 0.5, 1, 1.5 }, a.ToDoubleArray());
    }

    [Fact]
    public void ReadsZeroDimensionalFloat64()
    {
        var a = NpyFile.Read(Fixture("f8_scalar.npy"));
        Assert.Equal(NpyDType.Float64, a.DType);
        Assert.Empty(a.Shape);
        Assert.Equal(1, a.ElementCount);
        Assert.Equal(new[] { 3.25 }, a.ToDoubleArray());
    }

    [Fact]
    public void ReadsFloat16()
    {
        var a = NpyFile.Read(Fixture("f2_4.npy"));
        Assert.Equal(NpyDType.Float16, a.DType);
        Assert.Equal(new[] { 0.5f, -2f, 65504f, (float)(Half)1e-4f }, a.ToFloatArray());
    }

    [Theory]
    [InlineData("i1_5.npy", NpyDType.Int8, new long[] { -128, -1, 0, 1, 127 })]
    [InlineData("u1_3.npy", NpyDType.UInt8, new long[] { 0, 128, 255 })]
    [InlineData("i2_2x2.npy", NpyDType.Int16, new long[] { -32768, 1, 2, 32767 })]
    [InlineData("i4_3.npy", NpyDType.Int32, new long[] { int.MinValue, 7, int.MaxValue })]
    [InlineData("i8_2.npy", NpyDType.Int64, new long[] { long.MinValue, long.MaxValue })]
    [InlineData("b1_4.npy", NpyDType.Bool, new long[] { 1, 0, 0, 1 })]
    public void ReadsIntegerAndBoolDtypes(string file, NpyDType dtype, long[] expected)
    {
        var a = NpyFile.Read(Fixture(file));
        Assert.Equal(dtype, a.DType);
        Assert.Equal(expected, a.ToInt64Array());
        Assert.Equal(expected.Select(v => (float)v), a.ToFloatArray());
    }

    [Fact]
    public void ReadsEmptyArray()
    {
        var a = NpyFile.Read(Fixture("f4_0x3.npy"));
        Assert.Equal([0L, 3L], a.Shape);
        Assert.Empty(a.ToFloatArray());
    }

    [Theory]
    [InlineData("f4_v2.npy")]
    [InlineData("f4_v3.npy")]
    public void ReadsFormatVersions2And3(string file)
    {
        Assert.Equal(new[] { 1.5f, 2.5f }, NpyFile.Read(Fixture(file)).ToFloatArray());
    }

    [Theory]
    [InlineData("f4_2x3.npy")]
    [InlineData("f8_scalar.npy")]
    [InlineData("f2_4.npy")]
    [InlineData("i1_5.npy")]
    [InlineData("u1_3.npy")]
    [InlineData("i2_2x2.npy")]
    [InlineData("i4_3.npy")]
    [InlineData("i8_2.npy")]
    [InlineData("b1_4.npy")]
    [InlineData("f4_0x3.npy")]
    public void WritingReproducesNumPysBytes(string file)
    {
        byte[] original = File.ReadAllBytes(Fixture(file));
        Assert.Equal(original, NpyFile.Serialize(NpyFile.Read(original, file)));
    }

    [Fact]
    public void FortranOrderIsRejected()
    {
        var e = Assert.Throws<NpyFormatException>(() => NpyFile.Read(Fixture("fortran_2x3.npy")));
        Assert.Contains("fortran_2x3.npy: the array is stored in Fortran (column-major) order", e.Message);
    }

    [Fact]
    public void BigEndianIsRejected()
    {
        var e = Assert.Throws<NpyFormatException>(() => NpyFile.Read(Fixture("bigendian_f4.npy")));
        Assert.Contains("dtype '>f4' is big-endian", e.Message);
    }

    [Fact]
    public void UnsupportedDtypeIsRejected()
    {
        var e = Assert.Throws<NpyFormatException>(() => NpyFile.Read(Fixture("complex_c8.npy")));
        Assert.Contains("dtype '<c8' is not supported", e.Message);
    }

    [Fact]
    public void RoundTripPreservesTheOriginalDtype()
    {
        using var dir = new TempDirectory();
        var original = NpyFile.Read(Fixture("f2_4.npy"));
        float[] values = original.ToFloatArray();
        values[0] = 0.25f;
        var modified = NpyArray.FromFloats(original.CopyShape(), values, original.DType);
        string path = Path.Combine(dir.Path, "out.npy");
        NpyFile.Write(path, modified);
        var back = NpyFile.Read(path);
        Assert.Equal(NpyDType.Float16, back.DType);
        Assert.Equal(values, back.ToFloatArray());
        Assert.Equal(["out.npy"], Directory.GetFiles(dir.Path).Select(Path.GetFileName)); // no temp file left
    }

    [Fact]
    public void IntegerDtypesRefuseUnrepresentableValues()
    {
        Assert.Throws<ArgumentException>(() => NpyArray.FromFloats([1], [1.5f], NpyDType.Int32));
        Assert.Throws<ArgumentException>(() => NpyArray.FromFloats([1], [300f], NpyDType.UInt8));
        Assert.Throws<ArgumentException>(() => NpyArray.FromInt64s([1], [2], NpyDType.Bool));
        Assert.Throws<ArgumentException>(() => NpyArray.FromInt64s([1], [1], NpyDType.Float32));
        Assert.Throws<ArgumentException>(() => NpyArray.FromFloats([2], [1f]));
        Assert.Equal([-5L], NpyArray.FromFloats([1], [-5f], NpyDType.Int8).ToInt64Array());
        Assert.Throws<InvalidOperationException>(() => NpyArray.FromFloats([1], [1f]).ToInt64Array());
    }

    [Fact]
    public void Int64ValuesRoundTripThroughAStream()
    {
        var array = NpyArray.FromInt64s([2, 2], [1, -2, 3, long.MaxValue]);
        using var stream = new MemoryStream();
        NpyFile.Write(stream, array);
        stream.Position = 0;
        Assert.Equal([1L, -2, 3, long.MaxValue], NpyFile.Read(stream).ToInt64Array());
    }

    // ---------------------------------------------------------------------------------------------
    // Hand-made headers and malformed files
    // ---------------------------------------------------------------------------------------------

    private static byte[] Npy(string header, int dataBytes, byte major = 1)
    {
        var h = Encoding.ASCII.GetBytes(header);
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
        if (major == 1) bytes.AddRange(BitConverter.GetBytes((ushort)h.Length));
        else bytes.AddRange(BitConverter.GetBytes((uint)h.Length));
        bytes.AddRange(h);
        bytes.AddRange(new byte[dataBytes]);
        return bytes.ToArray();
    }

    [Theory]
    [InlineData("{'descr':'<f4','fortran_order':False,'shape':(2,3)}\n")]
    [InlineData("{ \"shape\" : ( 2 , 3 ) , \"descr\" : \"<f4\" , \"fortran_order\" : False }    \n")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n")]
    [InlineData("{'descr': 'f4', 'fortran_order': False, 'shape': (2, 3,), }\t\n")]
    public void HeaderSpacingVariantsAreAccepted(string header)
    {
        var a = NpyFile.Read(Npy(header, 24), "variant.npy");
        Assert.Equal([2L, 3L], a.Shape);
        Assert.Equal(NpyDType.Float32, a.DType);
    }

    [Fact]
    public void FortranOrderOfAVectorIsTheSameAsCOrder()
    {
        Assert.Equal(3, NpyFile.Read(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }\n", 12)).ElementCount);
    }

    public static TheoryData<string, byte[]> MalformedFiles => new()
    {
        { "not a .npy file", "PK\u0003\u0004 not npy"u8.ToArray() },
        { "not a .npy file", [] },
        { "truncated .npy file (", [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1] },
        { "format version 4.0 is not supported", [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 4, 0, 0, 0] },
        { "the header length field is incomplete", [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 5, 0] },
        { "the header needs 118 bytes, only 10 present", [.. Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" + new string(' ', 60) + "\n", 0).Take(20)] },
        { "longer than the 65535-byte limit", [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0, 0, 0, 1] },
        { "truncated .npy data: shape (2, 3) of <f4 needs 24 bytes, only 20 present", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 20) },
        { "4 unexpected bytes after the array data", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 28) },
        { "missing 'shape'", Npy("{'descr': '<f4', 'fortran_order': False}\n", 0) },
        { "unexpected key 'order'", Npy("{'descr': '<f4', 'order': 'C', 'shape': ()}\n", 4) },
        { "expected True or False", Npy("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}\n", 4) },
        { "expected a non-negative integer", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}\n", 0) },
        { "dimension 99999999999999999999 is too large", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}\n", 0) },
        { "has more than 2147483647 elements", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536)}\n", 0) },
        { "structured dtypes", Npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}\n", 4) },
        { "dtype '|O' is not supported", Npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}\n", 8) },
        { "dtype '>i4' is big-endian", Npy("{'descr': '>i4', 'fortran_order': False, 'shape': (1,)}\n", 4) },
        { "unterminated string", Npy("{'descr: <f4}\n", 0) },
        { "text after the closing '}'", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': ()} junk\n", 4) },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void MalformedFilesGiveClearErrors(string expected, byte[] content)
    {
        var e = Assert.Throws<NpyFormatException>(() => NpyFile.Read(content, "bad.npy"));
        Assert.StartsWith("bad.npy: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void FuzzedHeadersFailOnlyWithNpyFormatException()
    {
        byte[] valid = File.ReadAllBytes(Fixture("f4_2x3.npy"));
        var random = new Random(7);
        int rejected = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] mutated = (byte[])valid.Clone();
            int at = random.Next(Math.Min(mutated.Length, 140));
            mutated[at] = (byte)random.Next(256);
            if (random.Next(4) == 0) mutated = mutated[..random.Next(mutated.Length)];
            try { NpyFile.Read(mutated, "fuzz.npy"); }
            catch (NpyFormatException) { rejected++; }
        }
        Assert.True(rejected > 100, $"only {rejected} mutations were rejected");
    }

    private sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "elide-npy-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
