using System.Diagnostics;

namespace Elide.Onnx.Tests.Export;

/// <summary>Finds and runs the peers the export tests compare against (Debian python3-onnx, onnxruntime-node).</summary>
internal static class ExternalTools
{
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Elide.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root (Elide.slnx) not found above the test binaries");
    }

    public static (int Exit, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(" ", args)} did not finish in 3 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Null when Debian's python3 with the onnx package is available, else the reason.</summary>
    public static string? PythonOnnxMissing()
    {
        if (!File.Exists("/usr/bin/python3")) return "/usr/bin/python3 not found";
        var (exit, _, err) = Run("/usr/bin/python3", "-c", "import onnx");
        return exit == 0 ? null : "python3-onnx is not installed (apt-get install python3-onnx): " + err.Trim();
    }

    /// <summary>Null when node and onnxruntime-node (bench/peers/node_modules) are available, else the reason.</summary>
    public static string? OnnxRuntimeMissing()
    {
        if (!File.Exists("/usr/bin/node") && !File.Exists("/usr/local/bin/node")) return "node is not installed";
        if (!Directory.Exists(Path.Combine(RepoRoot, "bench", "peers", "node_modules", "onnxruntime-node")))
            return "onnxruntime-node is not installed (run bench/peers/setup.sh)";
        return null;
    }
}
