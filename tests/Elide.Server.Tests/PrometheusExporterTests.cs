using System.Diagnostics.Metrics;
using Elide.Server.Telemetry;

namespace Elide.Server.Tests;

/// <summary>The text exposition format, checked line by line.</summary>
public sealed class PrometheusExporterTests
{
    [Fact]
    public void CountersHistogramsAndGaugesInTextFormat()
    {
        using var meter = new Meter("Test.Exporter");
        using var exporter = new PrometheusExporter(meter);
        var counter = meter.CreateCounter<long>("things_total", null, "Things.\nCounted.");
        var histogram = meter.CreateHistogram("wait_seconds", "s", "Waits.", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        int gaugeValue = 7;
        meter.CreateObservableGauge("depth", () => new Measurement<int>(gaugeValue, new KeyValuePair<string, object?>("model", "m\"1")));
        counter.Add(2, new KeyValuePair<string, object?>("b", "x"), new KeyValuePair<string, object?>("a", "y"));
        counter.Add(3, new KeyValuePair<string, object?>("a", "y"), new KeyValuePair<string, object?>("b", "x"));
        histogram.Record(0.05);
        histogram.Record(0.5);
        histogram.Record(5);

        var lines = exporter.Scrape().Split('\n');
        Assert.Contains("# HELP things_total Things.\\nCounted.", lines);
        Assert.Contains("# TYPE things_total counter", lines);
        Assert.Contains("things_total{a=\"y\",b=\"x\"} 5", lines);
        Assert.Contains("# TYPE wait_seconds histogram", lines);
        Assert.Contains("wait_seconds_bucket{le=\"0.1\"} 1", lines);
        Assert.Contains("wait_seconds_bucket{le=\"1\"} 2", lines);
        Assert.Contains("wait_seconds_bucket{le=\"+Inf\"} 3", lines);
        Assert.Contains("wait_seconds_sum 5.55", lines);
        Assert.Contains("wait_seconds_count 3", lines);
        Assert.Contains("# TYPE depth gauge", lines);
        Assert.Contains("depth{model=\"m\\\"1\"} 7", lines);

        gaugeValue = 9;
        Assert.Contains("depth{model=\"m\\\"1\"} 9", exporter.Scrape().Split('\n'));
    }

    [Fact]
    public void ObservableCountersReportTheirRunningTotalAsCounters()
    {
        using var meter = new Meter("Test.ObservableCounter");
        using var exporter = new PrometheusExporter(meter);
        double total = 1.5;
        meter.CreateObservableCounter("paused_seconds_total", () => total, "s", "Paused.");
        var lines = exporter.Scrape().Split('\n');
        Assert.Contains("# TYPE paused_seconds_total counter", lines);
        Assert.Contains("paused_seconds_total 1.5", lines);
        total = 4;
        Assert.Contains("paused_seconds_total 4", exporter.Scrape().Split('\n')); // the total as observed, not added to the last one
    }

    [Fact]
    public void OtherMetersAreIgnored()
    {
        using var mine = new Meter("Test.Mine");
        using var other = new Meter("Test.Other");
        using var exporter = new PrometheusExporter(mine);
        other.CreateCounter<long>("foreign_total").Add(1);
        mine.CreateCounter<long>("own_total").Add(1);
        string text = exporter.Scrape();
        Assert.DoesNotContain("foreign_total", text);
        Assert.Contains("own_total 1", text);
    }
}
