using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Elide.Server.Telemetry;

/// <summary>
/// Aggregates one meter's measurements with a <see cref="MeterListener"/> and writes them in the Prometheus text
/// exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/): counters as running
/// sums, histograms as cumulative `_bucket{le=…}` series with `_sum` and `_count`, observable gauges sampled at
/// scrape time. Thread-safe.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>The content type Prometheus expects for this format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener listener = new();
    private readonly Dictionary<Instrument, InstrumentState> states = [];
    private readonly object gate = new();

    private sealed class Series(string labels, int buckets)
    {
        public readonly string Labels = labels;
        public double Value;
        public readonly long[] BucketCounts = new long[buckets + 1]; // last: +Inf
        public long Count;
    }

    private sealed class InstrumentState(Instrument instrument, string type, double[] bounds)
    {
        public readonly Instrument Instrument = instrument;
        public readonly string Type = type;
        public readonly double[] Bounds = bounds;
        public readonly SortedDictionary<string, Series> Series = new(StringComparer.Ordinal);
    }

    /// <summary>Starts listening to every instrument of <paramref name="meter"/>.</summary>
    public PrometheusExporter(Meter meter)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (!ReferenceEquals(instrument.Meter, meter)) return;
            lock (gate) states[instrument] = new InstrumentState(instrument, TypeOf(instrument), BoundsOf(instrument));
            l.EnableMeasurementEvents(instrument);
        };
        listener.MeasurementsCompleted = (instrument, _) => { lock (gate) states.Remove(instrument); };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();
    }

    /// <summary>Samples the observable gauges and returns the whole exposition.</summary>
    public string Scrape()
    {
        lock (gate)
            foreach (var s in states.Values)
                if (s.Type == "gauge") s.Series.Clear(); // gauges report what exists now, not what existed once
        listener.RecordObservableInstruments();
        var text = new StringBuilder();
        lock (gate)
        {
            foreach (var s in states.Values.OrderBy(s => s.Instrument.Name, StringComparer.Ordinal))
            {
                string name = s.Instrument.Name;
                text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(s.Instrument.Description ?? name)).Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(s.Type).Append('\n');
                foreach (var series in s.Series.Values)
                {
                    if (s.Type != "histogram")
                    {
                        text.Append(name).Append(Braces(series.Labels)).Append(' ').Append(Format(series.Value)).Append('\n');
                        continue;
                    }
                    long cumulative = 0;
                    for (int b = 0; b <= s.Bounds.Length; b++)
                    {
                        cumulative += series.BucketCounts[b];
                        string le = b < s.Bounds.Length ? Format(s.Bounds[b]) : "+Inf";
                        string labels = series.Labels.Length == 0 ? $"le=\"{le}\"" : $"{series.Labels},le=\"{le}\"";
                        text.Append(name).Append("_bucket{").Append(labels).Append("} ").Append(cumulative).Append('\n');
                    }
                    text.Append(name).Append("_sum").Append(Braces(series.Labels)).Append(' ').Append(Format(series.Value)).Append('\n');
                    text.Append(name).Append("_count").Append(Braces(series.Labels)).Append(' ').Append(series.Count).Append('\n');
                }
            }
        }
        return text.ToString();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string labels = Labels(tags);
        lock (gate)
        {
            if (!states.TryGetValue(instrument, out var state)) return;
            if (!state.Series.TryGetValue(labels, out var series)) state.Series[labels] = series = new Series(labels, state.Bounds.Length);
            switch (state.Type)
            {
                case "gauge": series.Value = value; break;
                case "counter" when instrument.IsObservable: series.Value = value; break; // observable counters report running totals
                case "counter": series.Value += value; break;
                default:
                    int bucket = 0;
                    while (bucket < state.Bounds.Length && value > state.Bounds[bucket]) bucket++;
                    series.BucketCounts[bucket]++;
                    series.Count++;
                    series.Value += value;
                    break;
            }
        }
    }

    private static string TypeOf(Instrument instrument)
    {
        var generic = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : instrument.GetType();
        if (generic == typeof(Counter<>) || generic == typeof(ObservableCounter<>)) return "counter";
        if (generic == typeof(Histogram<>)) return "histogram";
        return "gauge"; // observable gauges, up-down counters
    }

    private static double[] BoundsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray() ?? DefaultBuckets,
        Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray() ?? DefaultBuckets,
        Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray() ?? DefaultBuckets,
        _ => [],
    };

    /// <summary>`k1="v1",k2="v2"` sorted by key, values escaped per the format (backslash, quote, newline).</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<(string Key, string Value)>(tags.Length);
        foreach (var t in tags) pairs.Add((t.Key, Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""));
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return string.Join(",", pairs.Select(p => $"{p.Key}=\"{p.Value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n")}\""));
    }

    private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

    private static string EscapeHelp(string help) => help.Replace("\\", "\\\\").Replace("\n", "\\n");

    private static string Format(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public void Dispose() => listener.Dispose();
}
