namespace Elide.Cli.Tests;

/// <summary>Runs the `elide` entry point in-process with stdout/stderr captured (tests in this assembly run serially).</summary>
internal static class InProcessCli
{
    /// <summary>Exit code, stdout and stderr of `elide <paramref name="args"/>`.</summary>
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var oldOut = Console.Out;
        var oldErr = Console.Error;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try { return (Program.Main(args), stdout.ToString(), stderr.ToString()); }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    /// <summary>The repository root: the directory holding Elide.slnx above the test binaries.</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Elide.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root (Elide.slnx) not found");
    }
}
