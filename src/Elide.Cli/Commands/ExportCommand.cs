using System.CommandLine;
using Elide.Adaptive;
using Elide.Onnx.Export;

namespace Elide.Cli.Commands;

/// <summary>`elide export`: writes a model as a standard ONNX file (opset 17) that any ONNX runtime can run.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = ModelSource.Help, Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output .onnx path (written atomically).", Required = true };
        var optimized = new Option<bool>("--optimized") { Description = "Export the optimized graph (BatchNorm folded into convolutions) instead of the graph as built." };
        var config = new Option<string?>("--config", "-c") { Description = "Write only this skip configuration ('1' run, '0' skip, one per residual block): a standalone model without the skipped blocks." };
        var unscaled = UnscaledOption.Create();
        var cmd = new Command("export", "Write a model as an ONNX file (opset 17) with Elide's metadata in metadata_props.") { model, output, optimized, config, unscaled };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            var graph = UnscaledOption.Load(p.GetValue(model)!, p.GetValue(unscaled));
            if (p.GetValue(config) is { } text) graph = SkipMaskPruner.Prune(graph, ResidualBlockDetector.Detect(graph), SkipMask.Parse(text));
            if (p.GetValue(optimized)) graph = Planning.GraphOptimizer.Optimize(graph);
            string path = p.GetValue(output)!;
            OnnxExporter.Save(graph, path);
            Console.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1024.0:F1} KiB, {graph.Nodes.Count} nodes, opset {OnnxExporter.Opset})");
            return 0;
        }));
        return cmd;
    }
}
