namespace Elide.Planning;

/// <summary>A buffer the plan needs: its size and the step interval [FirstStep, LastStep] during which it is live.</summary>
/// <param name="Floats">Size in floats.</param>
/// <param name="FirstStep">Index of the step that writes it first (−1 for buffers filled before step 0).</param>
/// <param name="LastStep">Index of the last step that reads it (int.MaxValue for buffers read after the last step).</param>
public readonly record struct BufferRequest(long Floats, int FirstStep, int LastStep)
{
    /// <summary>True when the two buffers are live at the same time.</summary>
    public bool OverlapsInTime(BufferRequest other) => FirstStep <= other.LastStep && other.FirstStep <= LastStep;
}

/// <summary>
/// Static memory planning: every intermediate tensor gets a fixed offset in one arena, and tensors whose lifetimes
/// do not overlap share memory. Greedy by size: the largest buffers are placed first, each at the lowest offset
/// free of every already-placed buffer that is live at the same time (the strategy TensorFlow Lite's arena
/// planner popularized; within a few percent of optimal on CNNs, and deterministic).
/// </summary>
public static class MemoryPlanner
{
    /// <summary>Offsets are multiples of this many floats (64 bytes: one cache line, one Vector512).</summary>
    public const int AlignmentFloats = 16;

    /// <summary>Assigns an offset (in floats) to every request and returns the arena size.</summary>
    public static (long[] Offsets, long ArenaFloats) Plan(IReadOnlyList<BufferRequest> requests)
    {
        var offsets = new long[requests.Count];
        var order = Enumerable.Range(0, requests.Count)
            .OrderByDescending(i => requests[i].Floats)
            .ThenBy(i => requests[i].FirstStep)
            .ThenBy(i => i)
            .ToArray();
        var placed = new List<int>(requests.Count);
        long arena = 0;
        var conflicts = new List<(long Start, long End)>();
        foreach (int i in order)
        {
            var r = requests[i];
            long size = Align(r.Floats);
            conflicts.Clear();
            foreach (int j in placed)
                if (r.OverlapsInTime(requests[j])) conflicts.Add((offsets[j], offsets[j] + Align(requests[j].Floats)));
            conflicts.Sort((a, b) => a.Start.CompareTo(b.Start));
            long candidate = 0;
            foreach (var (start, end) in conflicts)
            {
                if (candidate + size <= start) break;
                candidate = Math.Max(candidate, end);
            }
            offsets[i] = candidate;
            arena = Math.Max(arena, candidate + size);
            placed.Add(i);
        }
        return (offsets, arena);
    }

    private static long Align(long floats) => Math.Max(AlignmentFloats, (floats + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats);
}
