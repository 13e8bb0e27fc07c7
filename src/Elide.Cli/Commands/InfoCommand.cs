using System.CommandLine;
using Elide.Models;
using Elide.Runtime;

namespace Elide.Cli.Commands;

/// <summary>`elide info`: the planned layers of a model with parameters, shapes and FLOPs.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = ModelSource.Help + " Or a training checkpoint (.ckpt): its recipe, position and per-epoch history." };
        var batch = new Option<int>("--batch", "-b") { Description = "Batch size to plan for.", DefaultValueFactory = _ => 1 };
        var cmd = new Command("info", "Show a model's layers (after BatchNorm folding and fusion), parameters, activation memory and FLOPs; " +
                                      "or a training checkpoint's recipe, position and per-epoch history (a Markdown table).") { model, batch };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            string spec = p.GetValue(model)!;
            if (CheckpointInfo.IsCheckpoint(spec) || spec.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase))
            {
                Console.Write(CheckpointInfo.Describe(spec));
                return 0;
            }
            var graph = ModelSource.Load(spec);
            long parameters = graph.Values.Values.Where(v => v.IsConstant).Sum(v => v.Constant!.Shape.ElementCount);
            var session = new InferenceSession(graph, new SessionOptions { Threads = 1 });
            var plan = session.GetPlan(ModelSource.InputShape(graph, p.GetValue(batch)));
            Console.WriteLine($"model: {spec}");
            foreach (var (k, v) in graph.Metadata.Where(kv => kv.Key != CifarResNet.BlockMapKey)) Console.WriteLine($"  {k}: {v}");
            Console.WriteLine($"inputs:  {string.Join(", ", graph.Inputs.Select(v => $"{v.Name} {v.Shape}"))}");
            Console.WriteLine($"outputs: {string.Join(", ", graph.Outputs.Select(v => v.Name))}");
            Console.WriteLine($"nodes: {graph.Nodes.Count} as given, {plan.Steps.Count} after folding and fusion");
            Console.WriteLine();
            Console.WriteLine($"{"#",4}  {"layer",-28} {"operation",-44} {"output",-18} {"MMACs",9}  method");
            for (int i = 0; i < plan.Steps.Count; i++)
            {
                var s = plan.Steps[i];
                Console.WriteLine($"{i,4}  {Trim(s.NodeName, 28),-28} {Trim(s.Operation, 44),-44} {s.OutputShape.ToString(),-18} {s.MultiplyAccumulates / 1e6,9:F2}  {s.Method}");
            }
            var blocks = CifarResNet.Blocks(graph);
            Console.WriteLine();
            Console.WriteLine($"parameters:        {parameters:N0} ({parameters * 4 / 1024.0 / 1024.0:F2} MiB as float32)");
            Console.WriteLine($"MACs per image:    {plan.TotalMultiplyAccumulates / p.GetValue(batch):N0} ({2.0 * plan.TotalMultiplyAccumulates / p.GetValue(batch) / 1e6:F1} MFLOP)");
            Console.WriteLine($"activation arena:  {plan.ArenaBytes / 1024.0:F1} KiB (+ {plan.WorkspaceBytes / 1024.0:F1} KiB kernel scratch) at batch {p.GetValue(batch)}");
            if (blocks.Count > 0) Console.WriteLine($"residual blocks:   {blocks.Count} ({blocks.Count(b => !b.Downsample)} skippable identity blocks)");
            return 0;
        }));
        return cmd;
    }

    private static string Trim(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";
}
