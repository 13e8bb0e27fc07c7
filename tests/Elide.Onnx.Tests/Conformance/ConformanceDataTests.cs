using Elide.Onnx.Conformance;
using Elide.Onnx.Protos;
using Google.Protobuf;

namespace Elide.Onnx.Tests.Conformance;

/// <summary>Reads the whole ONNX backend conformance corpus (libonnx-testdata) through our proto and loader.</summary>
public class ConformanceDataTests
{
    private static string Root => OnnxConformance.FindDataRoot()!;

    [ConformanceFact]
    public void EveryModelLoadsAndValidates()
    {
        var cases = OnnxConformance.EnumerateAllCases(Root);
        Assert.True(cases.Count > 1000, $"expected the full corpus, found {cases.Count} cases under {Root}");
        var failures = new List<string>();
        foreach (var c in cases)
        {
            try { c.LoadModel(); }
            catch (OnnxFormatException e) { failures.Add(e.Message); }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} models failed:\n" + string.Join("\n", failures.Take(20)));
    }

    [ConformanceFact]
    public void ReserializingEveryModelReproducesItsBytes()
    {
        // Byte equality proves our field numbers, wire types and packing match what onnx itself writes.
        var mismatches = new List<string>();
        foreach (var c in OnnxConformance.EnumerateAllCases(Root))
        {
            byte[] original = File.ReadAllBytes(c.ModelPath);
            byte[] again = ModelProto.Parser.ParseFrom(original).ToByteArray();
            if (!original.AsSpan().SequenceEqual(again)) mismatches.Add(c.ToString());
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} models re-serialize differently:\n" + string.Join("\n", mismatches.Take(20)));
    }

    [ConformanceFact]
    public void EveryTensorDataSetLoadsAndMatchesTheDeclaredTypes()
    {
        int loaded = 0;
        var failures = new List<string>();
        foreach (var c in OnnxConformance.EnumerateAllCases(Root))
        {
            if (!c.IsTensorOnly()) continue;
            var inputs = c.FedInputs();
            var outputs = c.Outputs();
            foreach (var set in c.DataSets)
            {
                try
                {
                    Check(set.LoadInputs(), inputs, c, "input");
                    Check(set.LoadOutputs(), outputs, c, "output");
                    loaded++;
                }
                catch (Exception e) when (e is OnnxFormatException or InvalidOperationException)
                {
                    failures.Add($"{c} set {set.Index}: {e.Message}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} data sets failed:\n" + string.Join("\n", failures.Take(20)));
        Assert.True(loaded > 1000, $"only {loaded} data sets loaded");
    }

    private static void Check(IReadOnlyList<OnnxTensor> tensors, IReadOnlyList<ValueInfoProto> declared, OnnxConformanceCase c, string role)
    {
        // Optional trailing inputs may be omitted from a data set, never the other way round.
        if (tensors.Count > declared.Count)
            throw new InvalidOperationException($"{tensors.Count} {role}s for {declared.Count} declared");
        for (int k = 0; k < tensors.Count; k++)
        {
            int declaredType = declared[k].Type.TensorType.ElemType;
            // Known corpus quirk: NumPy has no bfloat16, so BFLOAT16 values are stored as UINT16 tensors.
            bool bfloat16AsUInt16 = declaredType == (int)TensorProto.Types.DataType.Bfloat16 && tensors[k].ElementType == OnnxElementType.UInt16;
            if ((int)tensors[k].ElementType != declaredType && !bfloat16AsUInt16)
                throw new InvalidOperationException($"{role} {k} is {tensors[k].ElementType}, declared {OnnxDataTypes.Name(declaredType)}");
            if (tensors[k].ElementType != OnnxElementType.String) _ = tensors[k].ToDoubleArray();
        }
    }

    [ConformanceFact]
    public void AbsCaseOutputIsTheAbsoluteValueOfItsInput()
    {
        var c = OnnxConformanceCase.Open(Path.Combine(Root, "node", "test_abs"));
        var set = Assert.Single(c.DataSets);
        var input = Assert.Single(set.LoadInputs());
        var output = Assert.Single(set.LoadOutputs());
        Assert.Equal(input.Dims, output.Dims);
        float[] x = input.ToFloatArray(), y = output.ToFloatArray();
        Assert.True(x.Any(v => v < 0), "test_abs input should contain negatives");
        for (int i = 0; i < x.Length; i++) Assert.Equal(MathF.Abs(x[i]), y[i]);
        Assert.Equal(["Abs"], c.OpTypes());
    }

    [ConformanceFact]
    public void CastToFloat16CaseMatchesHalfRounding()
    {
        // Exercises Float16 decoding: the expected output must equal the input rounded to binary16.
        var c = OnnxConformanceCase.Open(Path.Combine(Root, "node", "test_cast_FLOAT_to_FLOAT16"));
        var set = c.DataSets[0];
        float[] x = set.LoadInputs()[0].ToFloatArray();
        var output = set.LoadOutputs()[0];
        Assert.Equal(OnnxElementType.Float16, output.ElementType);
        float[] y = output.ToFloatArray();
        for (int i = 0; i < x.Length; i++) Assert.Equal((float)(Half)x[i], y[i]);
    }

    [ConformanceFact]
    public void CastFromBFloat16CaseMatchesBFloat16Widening()
    {
        var c = OnnxConformanceCase.Open(Path.Combine(Root, "node", "test_cast_BFLOAT16_to_FLOAT"));
        var set = c.DataSets[0];
        var stored = set.LoadInputs()[0];
        Assert.Equal(OnnxElementType.UInt16, stored.ElementType); // the corpus quirk documented above
        float[] x = stored.Reinterpret(OnnxElementType.BFloat16).ToFloatArray();
        float[] y = set.LoadOutputs()[0].ToFloatArray();
        Assert.Equal(y.Length, x.Length);
        for (int i = 0; i < x.Length; i++)
        {
            if (float.IsNaN(y[i])) Assert.True(float.IsNaN(x[i]));
            else Assert.Equal(y[i], x[i]);
        }
    }

    [ConformanceFact]
    public void SequenceInputsAreRejectedWithAClearMessage()
    {
        var sequenceCase = OnnxConformance.EnumerateCases(Path.Combine(Root, "node"))
            .First(c => c.FedInputs().Any(i => i.Type?.ValueCase == TypeProto.ValueOneofCase.SequenceType));
        Assert.False(sequenceCase.IsTensorOnly());
        var e = Assert.Throws<OnnxFormatException>(() => sequenceCase.DataSets[0].LoadInputs());
        Assert.Contains("SequenceType, not a tensor", e.Message);
    }
}
