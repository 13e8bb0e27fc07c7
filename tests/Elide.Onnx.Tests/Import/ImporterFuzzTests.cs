using Elide.Graph;
using Elide.Onnx.Import;
using Elide.Onnx.Protos;
using Google.Protobuf;
using static Elide.Onnx.Tests.TestModels;

namespace Elide.Onnx.Tests.Import;

/// <summary>
/// Mutated bytes of small valid models (seeded, a bounded number of mutations): the importer may only throw
/// <see cref="OnnxImportException"/>, <see cref="OnnxFormatException"/> or <see cref="GraphException"/>, and never hang.
/// </summary>
public sealed class ImporterFuzzTests
{
    private static IEnumerable<byte[]> Seeds()
    {
        var conv = new ModelBuilder(13).Input("x", -1, 2, 5, 5)
            .Floats("w", [3, 2, 3, 3], ModelBuilder.Random(54, 1)).Floats("b", [3], [0.1f, 0.2f, 0.3f])
            .Floats("s", [3], [1, 1, 1]).Floats("m", [3], [0, 0, 0]).Floats("v", [3], [1, 1, 1])
            .Ints("pads", 0, 0, 1, 1, 0, 0, 1, 1)
            .Node("Pad", "pad", ["x", "pads"], ["p"])
            .Node("Conv", "conv", ["p", "w", "b"], ["c"], IntsAttribute("strides", 1, 1))
            .Node("BatchNormalization", "bn", ["c", "s", "b", "m", "v"], ["n"])
            .Node("Relu", "relu", ["n"], ["r"])
            .Node("MaxPool", "pool", ["r"], ["q"], IntsAttribute("kernel_shape", 2, 2))
            .Node("GlobalAveragePool", "gap", ["q"], ["g"])
            .Node("Flatten", "flat", ["g"], ["y"])
            .Output("y").Build();
        var shape = new ModelBuilder(13).Input("x", -1, 4, 2, 2)
            .Ints("axes", 0).Ints("minus", -1).Ints("starts", 1).Ints("ends", 3).Ints("sliceaxes", 1)
            .Node("Shape", "shape", ["x"], ["s"])
            .Node("Slice", "takefirst", ["s", "zero", "one"], ["n"])
            .Node("Concat", "concat", ["n", "minus"], ["t"], IntAttribute("axis", 0))
            .Node("Slice", "slice", ["x", "starts", "ends", "sliceaxes"], ["xs"])
            .Node("Reshape", "reshape", ["xs", "t"], ["r"])
            .Node("Softmax", "sm", ["r"], ["y"], IntAttribute("axis", 1))
            .Output("y").Build();
        shape.Graph.Initializer.Add(OnnxTensor.ToProto("zero", [1], new long[] { 0 }));
        shape.Graph.Initializer.Add(OnnxTensor.ToProto("one", [1], new long[] { 1 }));
        yield return conv.ToByteArray();
        yield return shape.ToByteArray();
    }

    [Fact]
    public void SeedsImport()
    {
        foreach (var bytes in Seeds()) Assert.NotNull(OnnxImporter.Load(OnnxModelFile.Load(bytes, null)).Graph);
    }

    [Fact]
    public async Task MutatedModelsFailOnlyWithImportErrors()
    {
        var rng = new Random(20261122);
        var seeds = Seeds().ToArray();
        int imported = 0, rejected = 0;
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            var bytes = Mutate(seeds[iteration % seeds.Length], rng);
            var task = Task.Run(() => OnnxImporter.Load(OnnxModelFile.Load(bytes, null)));
            try
            {
                // A hang shows as a TimeoutException, which is not an allowed outcome.
                await task.WaitAsync(TimeSpan.FromSeconds(20));
                imported++;
            }
            catch (Exception e) when (e is OnnxImportException or OnnxFormatException or GraphException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        Assert.True(imported > 0 && rejected > 0, $"imported {imported}, rejected {rejected}: the mutations should produce both");
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var bytes = (byte[])seed.Clone();
        int edits = 1 + rng.Next(4);
        for (int e = 0; e < edits; e++)
        {
            switch (rng.Next(4))
            {
                case 0: bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256); break;
                case 1: bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8)); break;
                case 2: bytes = bytes[..Math.Max(1, bytes.Length - 1 - rng.Next(16))]; break;
                default:
                    // Small integers (dims, attribute values, enum codes) are where importers break.
                    int at = rng.Next(bytes.Length);
                    bytes[at] = (byte)rng.Next(0, 8);
                    break;
            }
        }
        return bytes;
    }
}
