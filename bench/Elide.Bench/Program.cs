using Elide.Bench;

// Subcommand dispatch: `dotnet run -c Release --project bench/Elide.Bench -- <command> [options]`.
var commands = new Dictionary<string, (string Help, Func<BenchArgs, int> Run)>(StringComparer.OrdinalIgnoreCase)
{
    ["gemm"] = ("gemm [--threads T] [--sizes 256,512,1024,2048] [--trans NN|NT|TN|TT] [--samples S]   Elide SGEMM vs OpenBLAS cblas_sgemm", GemmBench.Run),
    ["conv"] = ("conv [--threads T] [--batch B] [--samples S] [--method auto|implicit-gemm|direct-nchw8c|compare] [--only NAME-PART]   ResNet / MobileNet convolution layers", ConvBench.Run),
    ["switch"] = ("switch [--model resnet56] [--batch 1] [--samples 9] [--switches 200000]   cost of switching skip configurations (ExecutionPlan.SelectMask) vs one inference", SwitchBench.Run),
    ["train"] = ("train [--arch resnet20] [--batch 128] [--threads T] [--warmup 3] [--iters 10] [--min-seconds 5]   SGD training-step throughput (JSON, the PyTorch peer's schema)", TrainBench.Run),
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine(args.Length == 0 ? "missing subcommand" : $"unknown subcommand '{args[0]}'");
    Console.Error.WriteLine("usage: Elide.Bench <command> [options]");
    foreach (var (_, (help, _)) in commands) Console.Error.WriteLine("  " + help);
    return 2;
}

try
{
    return command.Run(new BenchArgs(args[1..]));
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{args[0]}: {e.Message}");
    return 2;
}
