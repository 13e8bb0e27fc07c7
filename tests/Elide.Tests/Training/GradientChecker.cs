using Elide.Tensors;
using Elide.Training;

namespace Elide.Tests.Training;

/// <summary>
/// Compares the tape's gradients with double-precision central differences (f(x + h) − f(x − h))/2h of the float
/// forward pass, on sampled entries of every checked variable.
/// </summary>
internal static class GradientChecker
{
    /// <summary>
    /// <paramref name="loss"/> builds a scalar loss on the given tape from the variables in <paramref name="checkedVariables"/>
    /// (it is called once with a recording tape, then repeatedly with a non-recording one).
    /// The error measure is max |analytic − numeric| / max |numeric| per variable, or, when
    /// <paramref name="globalScale"/> is set: by the largest analytic gradient entry of all variables (for whole networks, whose parameters' gradients differ by orders of magnitude while the difference
    /// quotient's rounding noise is the same absolute size for all of them).
    /// </summary>
    public static void Check(Func<Tape, Variable> loss, IReadOnlyList<(string Name, Variable Variable)> checkedVariables,
        double step = 1e-2, double tolerance = 1e-3, int maxEntries = 40, int seed = 0, bool skipKinks = false, bool globalScale = false)
    {
        foreach (var (_, v) in checkedVariables) v.ZeroGradient();
        var tape = new Tape();
        tape.Backward(loss(tape));
        double? scale = globalScale ? checkedVariables.Max(v => v.Variable.Gradient?.Data.Max(Math.Abs) ?? 0) : null;
        var rng = new Random(seed);
        int total = 0, skipped = 0;
        foreach (var (name, v) in checkedVariables)
        {
            var data = v.Value.Data;
            var analytic = v.Gradient?.Data ?? new float[data.Length];
            var entries = data.Length <= maxEntries
                ? Enumerable.Range(0, data.Length).ToArray()
                : Enumerable.Range(0, maxEntries).Select(_ => rng.Next(data.Length)).Distinct().ToArray();
            var numeric = entries.Select(i => CentralDifference(loss, data, i, step)).ToArray();
            var half = skipKinks ? entries.Select(i => CentralDifference(loss, data, i, step / 2)).ToArray() : numeric;
            double maxRef = scale ?? Math.Max(1e-12, numeric.Max(Math.Abs));
            Assert.True(maxRef > 1e-6, $"{name}: every checked gradient entry is ~0, the check would prove nothing");
            double maxDiff = 0;
            string worst = "";
            for (int j = 0; j < entries.Length; j++)
            {
                total++;
                // A ReLU or max-pool kink inside [x − h, x + h] makes the difference quotient depend on h; such entries
                // measure the kink, not the gradient, and are left out (the count is bounded below).
                if (skipKinks && Math.Abs(numeric[j] - half[j]) > tolerance / 2 * maxRef)
                {
                    skipped++;
                    continue;
                }
                double diff = Math.Abs(half[j] - analytic[entries[j]]);
                if (diff > maxDiff) worst = $"[{entries[j]}] analytic {analytic[entries[j]]:g6} numeric {half[j]:g6}";
                maxDiff = Math.Max(maxDiff, diff);
            }
            double err = maxDiff / maxRef;
            Assert.True(err <= tolerance, $"{name}: relative error {err:g3} > {tolerance:g3}; worst entry {worst}");
        }
        Assert.True(skipped <= total / 5, $"{skipped} of {total} entries straddle a kink: too few smooth entries to trust the check");
    }

    private static double CentralDifference(Func<Tape, Variable> loss, float[] data, int i, double step)
    {
        float original = data[i];
        float up = (float)(original + step), down = (float)(original - step);
        data[i] = up;
        double plus = Evaluate(loss);
        data[i] = down;
        double minus = Evaluate(loss);
        data[i] = original;
        return (plus - minus) / ((double)up - down);
    }

    /// <summary>Σ_i r_i·y_i for fixed pseudo-random r: turns any op output into a scalar with a generic upstream gradient.</summary>
    public static Variable ProjectToScalar(Tape tape, Variable y, int seed = 99)
    {
        var r = Tensor.Random(new Shape(1, y.Value.Length), seed, -1f, 1f);
        return tape.Linear(tape.Flatten(y, 0), new Variable(r), null);
    }

    private static double Evaluate(Func<Tape, Variable> loss) => loss(new Tape(recording: false)).Value.Data[0];
}
