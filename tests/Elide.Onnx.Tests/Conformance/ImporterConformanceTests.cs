using Elide.Onnx.Conformance;
using Xunit.Abstractions;

namespace Elide.Onnx.Tests.Conformance;

/// <summary>The ONNX backend conformance suite through the importer; fails if any case the importer accepts fails.</summary>
public sealed class ImporterConformanceTests(ITestOutputHelper output)
{
    /// <summary>File the report is written to, beside the test binaries (for docs).</summary>
    public const string ReportFileName = "onnx-conformance.md";

    [ConformanceFact]
    public void EveryImportedCasePasses()
    {
        var results = ImporterConformance.RunAll(OnnxConformance.FindDataRoot()!);
        string report = ImporterConformance.Report(results);
        output.WriteLine(report);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, ReportFileName), report);
        var failed = results.Where(r => r.Outcome == CaseOutcome.Failed).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} imported conformance cases failed:\n" + string.Join("\n", failed.Select(f => $"{f.Name}: {f.Detail}")));
        // The corpus exercises every operator family the importer claims; a silent regression to "unsupported" shows here.
        Assert.True(results.Count(r => r.Outcome == CaseOutcome.Passed) >= 150, "fewer conformance cases pass than expected");
    }
}
