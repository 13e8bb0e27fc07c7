using System.Diagnostics;

namespace Elide.Onnx.Tests;

/// <summary>
/// Mutates valid model bytes (bit flips, truncations, insertions, overwrites) and checks that loading
/// either succeeds or throws <see cref="OnnxFormatException"/>: never another exception, never a hang.
/// Seeded for reproducibility; bounded by an iteration count, with a wall-clock guard (0.75 s per case,
/// about 3 s in all) so a slow machine cannot stretch the suite.
/// </summary>
public class FuzzTests
{
    private const int Iterations = 4000;

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    public void MutatedModelsFailOnlyWithOnnxFormatException(int seed, bool subgraphs)
    {
        var model = subgraphs ? TestModels.WithSubgraphs() : TestModels.Linear();
        model.Graph.Node[0].Attribute.Add(TestModels.IntsAttribute("perm", 1, 0));
        model.Graph.Node[1].Attribute.Add(TestModels.StringAttribute("mode", "constant"));
        byte[] original = OnnxModelFile.Serialize(model);
        var random = new Random(seed);
        var guard = Stopwatch.StartNew();
        int rejected = 0, accepted = 0;
        for (int i = 0; i < Iterations && guard.Elapsed < TimeSpan.FromSeconds(0.75); i++)
        {
            byte[] mutated = Mutate(original, random);
            try
            {
                var loaded = OnnxModelFile.Load(mutated, null);
                // Whatever was accepted must also survive tensor decoding without foreign exceptions.
                foreach (var t in loaded.Graph.Initializer)
                {
                    try { _ = OnnxTensor.FromProto(t).ElementCount; }
                    catch (OnnxFormatException) { }
                }
                accepted++;
            }
            catch (OnnxFormatException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, iteration {i}: {e.GetType().Name}: {e.Message}\nbytes: {Convert.ToHexString(mutated)}");
            }
        }
        Assert.True(rejected > 0, "no mutation was rejected; the fuzzer is not mutating anything meaningful");
        Assert.True(rejected + accepted > 100, $"only {rejected + accepted} iterations ran");
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;                       // bit flip
                case 1: bytes.RemoveRange(at, bytes.Count - at); break;                        // truncation
                case 2: bytes.Insert(at, (byte)random.Next(256)); break;                       // insertion
                case 3: bytes[at] = (byte)random.Next(256); break;                             // overwrite
                default: bytes.RemoveAt(at); break;                                            // deletion
            }
        }
        return bytes.ToArray();
    }
}
