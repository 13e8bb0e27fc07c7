using System.Globalization;
using System.Security;
using System.Text;

namespace Elide.Adaptive;

/// <summary>One point of a plotted front.</summary>
/// <param name="Latency">x: latency in milliseconds.</param>
/// <param name="Accuracy">y: accuracy (0..1).</param>
/// <param name="Label">Tooltip (the configuration and its figures).</param>
public readonly record struct PlotPoint(double Latency, double Accuracy, string Label);

/// <summary>One model's front on the plot.</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="Color">Stroke colour (any SVG colour).</param>
/// <param name="Points">Points in any order (drawn by increasing latency).</param>
public sealed record PlotSeries(string Name, string Color, IReadOnlyList<PlotPoint> Points);

/// <summary>
/// Accuracy-versus-latency plot of one or more fronts on shared axes, as a self-contained SVG 1.1 document (no
/// scripts, no external fonts). Each front is drawn as a staircase (a Pareto front's attainment curve: at latency t
/// the best accuracy available is that of the last point at or before t) with a marker per configuration and a
/// tooltip naming it; the rightmost point of each series (all blocks) gets a ring.
/// </summary>
public static class FrontPlot
{
    private const int Width = 760, Height = 480, Left = 70, Right = 200, Top = 44, Bottom = 56;

    /// <summary>Default palette: colour-blind-safe (Okabe &amp; Ito 2008).</summary>
    public static readonly string[] Palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

    /// <summary>The series of a front: validation (or test) accuracy against measured batch-1 latency.</summary>
    public static PlotSeries FromFront(ParetoFront front, string name, string color, bool testAccuracy = false) =>
        new(name, color, front.Front.Select(p => new PlotPoint(p.LatencyMsBatch1,
            testAccuracy && p.TestAccuracy is { } t ? t : p.ValAccuracy,
            $"{p.Config}: {100 * p.ValAccuracy:F2}% val{(p.TestAccuracy is { } ta ? $", {100 * ta:F2}% test" : "")}, {p.LatencyMsBatch1:F3} ms, {p.Macs / 1e6:F1} M MACs")).ToList());

    /// <summary>Renders the SVG document.</summary>
    /// <exception cref="ArgumentException">No series, or no points at all.</exception>
    public static string Render(IReadOnlyList<PlotSeries> series, string title, string xLabel = "latency per image at batch 1 (ms)", string yLabel = "top-1 accuracy (%)")
    {
        ArgumentNullException.ThrowIfNull(series);
        var all = series.SelectMany(s => s.Points).ToList();
        if (all.Count == 0) throw new ArgumentException("nothing to plot: no points", nameof(series));
        var (x0, x1, xStep) = NiceRange(0, all.Max(p => p.Latency));
        var (y0, y1, yStep) = NiceRange(100 * all.Min(p => p.Accuracy), 100 * all.Max(p => p.Accuracy));
        int plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(double v) => Left + (v - x0) / (x1 - x0) * plotW;
        double Y(double v) => Top + plotH - (100 * v - y0) / (y1 - y0) * plotH;

        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append($"<text x=\"{Left + plotW / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>\n");
        // Grid and ticks.
        for (double v = x0; v <= x1 + xStep / 2; v += xStep)
        {
            svg.Append($"<line x1=\"{F(X(v))}\" y1=\"{Top}\" x2=\"{F(X(v))}\" y2=\"{Top + plotH}\" stroke=\"#e4e4e4\"/>");
            svg.Append($"<text x=\"{F(X(v))}\" y=\"{Top + plotH + 18}\" text-anchor=\"middle\">{Tick(v, xStep)}</text>\n");
        }
        for (double v = y0; v <= y1 + yStep / 2; v += yStep)
        {
            svg.Append($"<line x1=\"{Left}\" y1=\"{F(Y(v / 100))}\" x2=\"{Left + plotW}\" y2=\"{F(Y(v / 100))}\" stroke=\"#e4e4e4\"/>");
            svg.Append($"<text x=\"{Left - 8}\" y=\"{F(Y(v / 100) + 4)}\" text-anchor=\"end\">{Tick(v, yStep)}</text>\n");
        }
        svg.Append($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#333\"/>\n");
        svg.Append($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 14}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n");
        svg.Append($"<text transform=\"translate(18 {Top + plotH / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>\n");

        for (int s = 0; s < series.Count; s++)
        {
            var pts = series[s].Points.OrderBy(p => p.Latency).ToList();
            string color = Escape(series[s].Color);
            if (pts.Count > 0)
            {
                // Staircase: horizontal at each point's accuracy until the next point's latency, then up.
                var path = new StringBuilder($"M{F(X(pts[0].Latency))},{F(Y(pts[0].Accuracy))}");
                double best = pts[0].Accuracy;
                for (int i = 1; i < pts.Count; i++)
                {
                    path.Append($" H{F(X(pts[i].Latency))}");
                    best = Math.Max(best, pts[i].Accuracy);
                    path.Append($" V{F(Y(best))}");
                }
                svg.Append($"<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" stroke-opacity=\"0.6\"/>\n");
                foreach (var p in pts)
                    svg.Append($"<circle cx=\"{F(X(p.Latency))}\" cy=\"{F(Y(p.Accuracy))}\" r=\"4\" fill=\"{color}\"><title>{Escape(series[s].Name + " " + p.Label)}</title></circle>\n");
                var reference = pts[^1];
                svg.Append($"<circle cx=\"{F(X(reference.Latency))}\" cy=\"{F(Y(reference.Accuracy))}\" r=\"8\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"/>\n");
            }
            int ly = Top + 14 + 22 * s;
            svg.Append($"<line x1=\"{Width - Right + 16}\" y1=\"{ly}\" x2=\"{Width - Right + 40}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"3\"/>");
            svg.Append($"<text x=\"{Width - Right + 46}\" y=\"{ly + 4}\">{Escape(series[s].Name)}</text>\n");
        }
        svg.Append($"<text x=\"{Width - Right + 16}\" y=\"{Top + 14 + 22 * series.Count + 8}\" font-size=\"11\" fill=\"#555\">ring: all blocks</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>A range covering [lo, hi] with about five ticks at 1, 2 or 5 × 10^k.</summary>
    internal static (double Lo, double Hi, double Step) NiceRange(double lo, double hi)
    {
        if (!(hi > lo)) { hi = lo + Math.Max(Math.Abs(lo) * 0.1, 1e-3); }
        double raw = (hi - lo) / 5;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(f => f * magnitude).First(s => s >= raw);
        return (Math.Floor(lo / step) * step, Math.Ceiling(hi / step) * step, step);
    }

    private static string Tick(double v, double step)
    {
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        return v.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    private static string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

    private static string Escape(string s) => SecurityElement.Escape(s) ?? "";
}
