using System.Text;
using Elide.Onnx.Conformance;
using Elide.Onnx.Import;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Onnx.Tests.Conformance;

/// <summary>Outcome of one conformance case.</summary>
public enum CaseOutcome
{
    /// <summary>Imported and every data set matched through both the reference interpreter and the session.</summary>
    Passed,
    /// <summary>Imported (or should have) but failed: an exception or a mismatch.</summary>
    Failed,
    /// <summary>The importer reported unsupported operators, variants or element types.</summary>
    Unsupported,
}

/// <summary>One case's result.</summary>
public sealed record CaseResult(string Name, IReadOnlyList<string> OpTypes, CaseOutcome Outcome, string Detail);

/// <summary>
/// Runs ONNX's backend conformance cases (Debian libonnx-testdata) through the importer: every case the importer
/// accepts is run on each of its data sets through <see cref="ReferenceInterpreter"/> and through
/// <see cref="InferenceSession"/> (planned, folded, fused) and compared at ONNX's tolerance, as numpy's
/// assert_allclose(rtol = 1e-3, atol = 1e-7) in onnx/backend/test/runner.
/// </summary>
public static class ImporterConformance
{
    public const double RelativeTolerance = 1e-3;
    public const double AbsoluteTolerance = 1e-7;

    /// <summary>Runs every case under <paramref name="dataRoot"/>.</summary>
    public static IReadOnlyList<CaseResult> RunAll(string dataRoot) =>
        OnnxConformance.EnumerateAllCases(dataRoot).Select(Run).ToArray();

    /// <summary>Runs one case.</summary>
    public static CaseResult Run(OnnxConformanceCase testCase)
    {
        string name = $"{testCase.Category}/{testCase.Name}";
        IReadOnlyList<string> ops;
        try { ops = testCase.OpTypes(); }
        catch (OnnxFormatException e) { return new CaseResult(name, [], CaseOutcome.Unsupported, "model: " + e.Message); }

        var first = Import(testCase, testCase.DataSets.FirstOrDefault());
        if (first.Unsupported is { } why) return new CaseResult(name, ops, CaseOutcome.Unsupported, why);
        if (first.Error is { } error) return new CaseResult(name, ops, CaseOutcome.Failed, error);
        try
        {
            foreach (var set in testCase.DataSets)
            {
                var imported = first.Frozen.Count == 0 ? first : Import(testCase, set);
                if (imported.Model is null) return new CaseResult(name, ops, CaseOutcome.Failed, $"data set {set.Index}: {imported.Error ?? imported.Unsupported}");
                var graph = imported.Model.Graph;
                var fed = testCase.FedInputs().Select(v => v.Name).ToList();
                var all = set.LoadInputs();
                var inputs = graph.Inputs.Select(v =>
                {
                    int k = fed.IndexOf(v.Name);
                    var t = all[k];
                    return new Tensor(new Shape(t.Dims.Select(d => (int)d).ToArray()), t.ToFloatArray());
                }).ToArray();
                var expected = set.LoadOutputs();
                var reference = ReferenceInterpreter.Run(graph, inputs);
                if (Compare(expected, reference, graph) is { } r) return new CaseResult(name, ops, CaseOutcome.Failed, $"data set {set.Index}, reference interpreter: {r}");
                var session = new InferenceSession(graph, new SessionOptions { Threads = 2 });
                var planned = session.Run(inputs);
                if (Compare(expected, planned, graph) is { } s) return new CaseResult(name, ops, CaseOutcome.Failed, $"data set {set.Index}, inference session: {s}");
            }
        }
        catch (Exception e)
        {
            return new CaseResult(name, ops, CaseOutcome.Failed, $"{e.GetType().Name}: {e.Message}");
        }
        return new CaseResult(name, ops, CaseOutcome.Passed, "");
    }

    private sealed record Attempt(ImportedModel? Model, string? Unsupported, string? Error, IReadOnlyCollection<string> Frozen);

    /// <summary>
    /// Imports the case's model. Node tests feed weights (Conv W, BatchNorm statistics, Clip bounds, Reshape shapes) as
    /// graph inputs; when the importer asks for such inputs to be constant, they are frozen to the data set's values.
    /// </summary>
    private static Attempt Import(OnnxConformanceCase testCase, OnnxConformanceDataSet? set)
    {
        var frozen = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        for (int attempt = 0; attempt < 12; attempt++)
        {
            try
            {
                var model = OnnxImporter.Load(testCase.LoadModel(), new ImportOptions { ConstantInputs = frozen, SourceName = testCase.Name }, testCase.Directory);
                return new Attempt(model, null, null, frozen.Keys);
            }
            catch (OnnxImportException e) when (e.IsUnsupported)
            {
                var needed = e.Unsupported.Where(p => p.ConstantInput is not null).Select(p => p.ConstantInput!).Distinct().ToList();
                if (needed.Count == 0 || set is null || needed.Any(frozen.ContainsKey) || !testCase.IsTensorOnly())
                    return new Attempt(null, string.Join("; ", e.Unsupported.Select(p => $"{p.OpType}: {(p.Reason.Length == 0 ? "operator not supported" : p.Reason)}").Distinct()), null, frozen.Keys);
                var fed = testCase.FedInputs().Select(v => v.Name).ToList();
                var data = set.LoadInputs();
                foreach (var n in needed) frozen[n] = data[fed.IndexOf(n)];
            }
            catch (Exception e) when (e is OnnxImportException or OnnxFormatException or Elide.Graph.GraphException)
            {
                return new Attempt(null, null, $"import: {e.GetType().Name}: {e.Message}", frozen.Keys);
            }
        }
        return new Attempt(null, null, "import: constant inputs did not converge", frozen.Keys);
    }

    /// <summary>Null when every output matches; else the first difference.</summary>
    private static string? Compare(IReadOnlyList<OnnxTensor> expected, Tensor[] actual, Elide.Graph.ComputeGraph graph)
    {
        if (expected.Count != actual.Length) return $"{actual.Length} outputs, expected {expected.Count}";
        for (int o = 0; o < actual.Length; o++)
        {
            var dims = expected[o].Dims.Select(d => (int)d).ToArray();
            if (!actual[o].Shape.AsSpan().SequenceEqual(dims))
                return $"output '{graph.Outputs[o].Name}' has shape {actual[o].Shape}, expected [{string.Join(",", dims)}]";
            var want = expected[o].ToFloatArray();
            for (int i = 0; i < want.Length; i++)
            {
                float a = actual[o].Data[i], e = want[i];
                if (float.IsNaN(e) && float.IsNaN(a)) continue;
                if (a == e) continue; // equal infinities
                if (!(Math.Abs((double)a - e) <= AbsoluteTolerance + RelativeTolerance * Math.Abs((double)e)))
                    return $"output '{graph.Outputs[o].Name}' element {i}: {a:G9}, expected {e:G9}";
            }
        }
        return null;
    }

    /// <summary>A markdown report: per-operator cases run (imported) / passed, then the unsupported and failed cases.</summary>
    public static string Report(IReadOnlyList<CaseResult> results)
    {
        var sb = new StringBuilder();
        int run = results.Count(r => r.Outcome != CaseOutcome.Unsupported);
        sb.AppendLine($"ONNX backend conformance (Debian libonnx-testdata): {results.Count} cases, {run} imported and run, {results.Count(r => r.Outcome == CaseOutcome.Passed)} passed, {results.Count(r => r.Outcome == CaseOutcome.Failed)} failed, {results.Count(r => r.Outcome == CaseOutcome.Unsupported)} unsupported.");
        sb.AppendLine($"Tolerance |actual − expected| ≤ {AbsoluteTolerance:G1} + {RelativeTolerance:G1}·|expected|, through the reference interpreter and the inference session.");
        sb.AppendLine();
        sb.AppendLine("| Operator | Cases run | Passed | Unsupported |");
        sb.AppendLine("|---|---:|---:|---:|");
        foreach (var op in results.SelectMany(r => r.OpTypes).Distinct().Order(StringComparer.Ordinal))
        {
            var with = results.Where(r => r.OpTypes.Contains(op)).ToList();
            int ran = with.Count(r => r.Outcome != CaseOutcome.Unsupported);
            if (ran == 0) continue;
            sb.AppendLine($"| {op} | {ran} | {with.Count(r => r.Outcome == CaseOutcome.Passed)} | {with.Count(r => r.Outcome == CaseOutcome.Unsupported)} |");
        }
        var failed = results.Where(r => r.Outcome == CaseOutcome.Failed).ToList();
        if (failed.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Failed:");
            foreach (var r in failed) sb.AppendLine($"- {r.Name} [{string.Join(",", r.OpTypes)}]: {r.Detail}");
        }
        sb.AppendLine();
        sb.AppendLine("Unsupported (case: reason):");
        foreach (var r in results.Where(r => r.Outcome == CaseOutcome.Unsupported))
            sb.AppendLine($"- {r.Name}: {r.Detail}");
        return sb.ToString();
    }
}
