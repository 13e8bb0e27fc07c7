using System.CommandLine;
using Elide.Cli.Commands;

namespace Elide.Cli;

/// <summary>The `elide` command: a thin layer of argument parsing over the Elide library.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand(
            "Elide: adaptive deep-learning inference on CPUs.\n" +
            "One model, many operating points (skip configurations), chosen at run time.\n" +
            "Models: a built-in CIFAR-style ResNet name (resnet20, resnet56, resnet<6n+2>) or a path to an .onnx file.")
        {
            BenchCommand.Create(),
            InfoCommand.Create(),
            ExportCommand.Create(),
            InferCommand.Create(),
            ExploreCommand.Create(),
            RunCommand.Create(),
            ServeCommand.Create(),
            TrainCommand.Create(),
            EvalCommand.Create(),
            MergeFrontsCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}
