using System.CommandLine;
using Elide.Adaptive;

namespace Elide.Cli.Commands;

/// <summary>
/// `elide merge-fronts`: one front over both branch-scaling variants of a Stochastic-Depth model, for `elide serve`,
/// which runs each point on the variant it was measured with (<see cref="ParetoFront.Merge"/>).
/// </summary>
internal static class MergeFrontsCommand
{
    public static Command Create()
    {
        var scaled = new Argument<string>("scaled") { Description = "Front of the model as trained (`elide explore --report`)." };
        var unscaled = new Argument<string>("unscaled") { Description = "Front of the same model explored with `elide explore --unscaled`." };
        var output = new Option<string>("--out", "-o") { Description = "Merged front JSON to write (atomically).", Required = true };
        var cmd = new Command("merge-fronts",
            "Merge a Stochastic-Depth model's scaled and unscaled fronts into one (accuracy vs MACs; points marked \"unscaled\": true). " +
            "Kept blocks scaled by p_l are better near full depth, unscaled ones once several blocks are skipped (docs/adaptive.md); " +
            "`elide serve --front` runs every point of the merged front on its own variant, switching per batch.")
        {
            scaled, unscaled, output,
        };
        cmd.SetAction(p => CliErrors.Guard(() =>
        {
            var a = RunCommand.ReadFront(p.GetValue(scaled)!);
            var b = RunCommand.ReadFront(p.GetValue(unscaled)!);
            var merged = ParetoFront.Merge(a, b);
            string path = p.GetValue(output)!;
            File.WriteAllText(path + ".tmp", merged.ToJson());
            File.Move(path + ".tmp", path, overwrite: true);
            var all = merged.AllBlocks;
            Console.WriteLine($"{merged.Model}: {merged.Front.Count} points ({merged.Front.Count(q => q.Unscaled)} unscaled) from {a.Front.Count} scaled and {b.Front.Count} unscaled");
            Console.WriteLine($"{"config",-28} {"variant",-9} {"val %",7} {"test %",7} {"M MACs",8} {"less work",9}");
            foreach (var q in merged.Front)
            {
                string config = q.Config.Length > 28 ? q.Config[..25] + "…" : q.Config;
                Console.WriteLine($"{config,-28} {(q.Unscaled ? "unscaled" : "scaled"),-9} {100 * q.ValAccuracy,7:F2} {(q.TestAccuracy is { } t ? $"{100 * t:F2}" : "-"),7} " +
                                  $"{q.Macs / 1e6,8:F1} {(all is null ? "" : $"{(double)all.Macs / q.Macs:F2}x"),9}");
            }
            Console.WriteLine($"wrote {path}");
            return 0;
        }));
        return cmd;
    }
}
