using Elide.Graph;

namespace Elide.Cli;

/// <summary>Turns expected failures (bad model, bad arguments, missing files) into one clear line and exit code 2.</summary>
internal static class CliErrors
{
    /// <summary>Runs <paramref name="body"/>; known error types print "elide: error: …" to stderr and return 2.</summary>
    public static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (e is GraphException or ArgumentException or FileNotFoundException or DirectoryNotFoundException
                                      or InvalidDataException or IOException or FormatException or UnauthorizedAccessException
                                      || e.GetType().Name.EndsWith("FormatException", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"elide: error: {e.Message}");
            return 2;
        }
    }
}
