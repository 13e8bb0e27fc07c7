using Spectre.Console;

namespace Elide.Cli;

/// <summary>The progress display of long CLI stages: a Spectre progress bar on stderr, plain stage lines when stderr is redirected.</summary>
internal static class CliProgress
{
    /// <summary>Runs <paramref name="body"/> under a progress display on stderr (plain stage lines when stderr is redirected).</summary>
    public static T Run<T>(string title, Func<Action<string, double>, T> body)
    {
        if (Console.IsErrorRedirected)
        {
            string last = "";
            return body((stage, _) =>
            {
                if (stage == last || stage == "configurations scored") return;
                Console.Error.WriteLine($"{title}: {stage}");
                last = stage;
            });
        }
        T result = default!;
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
            .Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                ProgressTask? scored = null;
                result = body((stage, value) =>
                {
                    if (stage == "configurations scored")
                    {
                        scored ??= ctx.AddTask("configurations scored").IsIndeterminate();
                        scored.Description = $"{title}: {value:F0} configurations scored";
                        return;
                    }
                    if (!tasks.TryGetValue(stage, out var task)) tasks[stage] = task = ctx.AddTask($"{title}: {stage}", maxValue: 1.0);
                    task.Value = value;
                });
            });
        return result;
    }
}
