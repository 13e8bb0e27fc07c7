using System.Diagnostics;

namespace Elide.Onnx.Tests.RealNetworks;

/// <summary>
/// Runs bench/peers/export_models.py (Debian's python3-torch, torchvision and onnx) once per opset into a temporary
/// directory: NAME.onnx plus NAME.input.npy (batch 2) and NAME.output.npy (PyTorch's eager output).
/// </summary>
internal static class TorchExports
{
    public const string Python = "/usr/bin/python3";

    /// <summary>The torchvision and CIFAR models the export script knows.</summary>
    public static readonly string[] Models =
    [
        "resnet20", "resnet56", "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small",
        "squeezenet1_1", "shufflenet_v2_x1_0", "efficientnet_b0",
    ];

    public static readonly int[] Opsets = [13, 17];

    private static readonly Lazy<string?> MissingReason = new(FindMissing);
    private static readonly Dictionary<int, Lazy<string>> Directories =
        Opsets.ToDictionary(o => o, o => new Lazy<string>(() => Export(o), LazyThreadSafetyMode.ExecutionAndPublication));

    /// <summary>Null when the exports can run, else why not.</summary>
    public static string? Missing => MissingReason.Value;

    /// <summary>The directory holding the exports for <paramref name="opset"/> (exported on first use).</summary>
    public static string DirectoryFor(int opset) => Directories[opset].Value;

    public static string? ScriptPath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            string candidate = Path.Combine(dir.FullName, "bench", "peers", "export_models.py");
            if (File.Exists(candidate)) return candidate;
            dir = dir.Parent;
        }
        return null;
    }

    private static string? FindMissing()
    {
        if (ScriptPath() is null) return "bench/peers/export_models.py not found above the test binaries";
        if (!File.Exists(Python)) return $"{Python} not found (apt-get install python3-torch python3-torchvision python3-onnx)";
        var (exit, _, err) = Run(Python, TimeSpan.FromMinutes(2), "-c", "import torch, torchvision, onnx, numpy");
        return exit == 0 ? null : "PyTorch is unavailable (apt-get install python3-torch python3-torchvision python3-onnx): " + err.Trim().Split('\n').Last();
    }

    private static string Export(int opset)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"elide-torch-exports-{Environment.ProcessId}", $"opset{opset}");
        Directory.CreateDirectory(dir);
        var (exit, stdout, stderr) = Run(Python, TimeSpan.FromMinutes(10), ScriptPath()!, "--out", dir, "--opset", opset.ToString());
        if (exit != 0) throw new InvalidOperationException($"export_models.py --opset {opset} failed ({exit}):\n{stdout}\n{stderr}");
        return dir;
    }

    private static (int Exit, string Stdout, string Stderr) Run(string file, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(" ", args)} did not finish in {timeout}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A theory skipped, with the reason, when PyTorch or the export script is unavailable.</summary>
public sealed class TorchExportTheoryAttribute : TheoryAttribute
{
    public TorchExportTheoryAttribute()
    {
        if (TorchExports.Missing is { } reason) Skip = reason;
    }
}
