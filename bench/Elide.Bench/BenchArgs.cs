namespace Elide.Bench;

/// <summary>Parses <c>--name value</c> options of a bench subcommand.</summary>
public sealed class BenchArgs
{
    private readonly Dictionary<string, string> values = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads options from <paramref name="args"/>.</summary>
    /// <exception cref="ArgumentException">An option lacks its value or does not start with <c>--</c>.</exception>
    public BenchArgs(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"expected an option like --threads, got '{args[i]}'");
            if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value");
            values[args[i][2..]] = args[++i];
        }
    }

    /// <summary>An integer option, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ArgumentException">The value is not an integer.</exception>
    public int Int(string name, int fallback) =>
        !values.TryGetValue(name, out var text) ? fallback :
        int.TryParse(text, out int value) ? value : throw new ArgumentException($"--{name} must be an integer, got '{text}'");

    /// <summary>A text option, or <paramref name="fallback"/> when absent.</summary>
    public string Text(string name, string fallback) => values.TryGetValue(name, out var text) ? text : fallback;

    /// <summary>A comma-separated integer list option, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ArgumentException">An element is not an integer.</exception>
    public int[] IntList(string name, int[] fallback) =>
        !values.TryGetValue(name, out var text) ? fallback :
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, out int v) ? v : throw new ArgumentException($"--{name}: '{s}' is not an integer"))
            .ToArray();
}
