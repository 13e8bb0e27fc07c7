using System.CommandLine;
using Elide.Adaptive;
using Elide.IO;
using Elide.Runtime;
using Elide.Tensors;

namespace Elide.Cli.Commands;

/// <summary>`elide infer`: runs a model on NumPy .npy inputs and writes .npy outputs.</summary>
internal static class InferCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = ModelSource.Help, Required = true };
        var inputs = new Option<string[]>("--input", "-i")
        {
            Description = "Input .npy file; repeat for several inputs in graph order, or write name=path.",
            Required = true, AllowMultipleArgumentsPerToken = false,
        };
        var outputs = new Option<string[]>("--output", "-o")
        {
            Description = "Output .npy file; repeat for several outputs in graph order, or write name=path. Written atomically as float32.",
            Required = true,
        };
        var threads = new Option<int>("--threads", "-t") { Description = "Kernel threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var config = new Option<string?>("--config", "-c") { Description = "Skip configuration: one '1' (run) or '0' (skip) per residual block, e.g. 110111111." };
        threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--threads must be ≥ 1"); });
        var unscaled = UnscaledOption.Create();
        var cmd = new Command("infer", "Run a model on .npy inputs (float32, or any numeric dtype converted to float32) and write .npy outputs.")
        {
            model, inputs, outputs, threads, config, unscaled,
        };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            var graph = UnscaledOption.Load(p.GetValue(model)!, p.GetValue(unscaled));
            var inputNames = graph.Inputs.Select(v => v.Name).ToList();
            var outputNames = graph.Outputs.Select(v => v.Name).ToList();
            var inputPaths = Bind(p.GetValue(inputs)!, inputNames, "input");
            var outputPaths = Bind(p.GetValue(outputs)!, outputNames, "output");

            var tensors = new Tensor[inputNames.Count];
            for (int i = 0; i < tensors.Length; i++)
            {
                var array = NpyFile.Read(inputPaths[i]!);
                var shape = new Shape(array.CopyShape().Select(d => checked((int)d)).ToArray());
                var data = array.ToFloatArray();
                int bad = Array.FindIndex(data, v => !float.IsFinite(v));
                if (bad >= 0) throw new ArgumentException($"input '{inputNames[i]}' ({inputPaths[i]}) holds a non-finite value ({data[bad]}) at flat index {bad}");
                tensors[i] = new Tensor(shape, data);
            }
            var session = new InferenceSession(graph, new SessionOptions { Threads = p.GetValue(threads) });
            var results = session.Run(p.GetValue(config) is { } mask ? SkipMask.Parse(mask) : null, tensors);
            for (int i = 0; i < results.Length; i++)
            {
                if (outputPaths[i] is not { } path) continue;
                NpyFile.Write(path, NpyArray.FromFloats(results[i].Shape.Select(d => (long)d).ToArray(), results[i].Data));
                Console.WriteLine($"{outputNames[i]} {results[i].Shape} → {path}");
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>Maps "path" (positional, graph order) or "name=path" arguments onto the graph's names.</summary>
    private static string?[] Bind(string[] args, IReadOnlyList<string> names, string kind)
    {
        var bound = new string?[names.Count];
        int next = 0;
        foreach (var arg in args)
        {
            int eq = arg.IndexOf('=');
            if (eq > 0 && names.Contains(arg[..eq]))
            {
                int idx = names.ToList().IndexOf(arg[..eq]);
                if (bound[idx] is not null) throw new ArgumentException($"{kind} '{arg[..eq]}' is given twice");
                bound[idx] = arg[(eq + 1)..];
                continue;
            }
            while (next < bound.Length && bound[next] is not null) next++;
            if (next >= bound.Length)
                throw new ArgumentException($"too many --{kind} arguments: the model has {names.Count} {kind}s ({string.Join(", ", names)})");
            bound[next++] = arg;
        }
        if (kind == "input")
            for (int i = 0; i < bound.Length; i++)
                if (bound[i] is null) throw new ArgumentException($"model input '{names[i]}' has no --input (inputs: {string.Join(", ", names)})");
        return bound;
    }
}
