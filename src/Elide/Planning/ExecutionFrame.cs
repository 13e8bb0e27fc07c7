using Elide.Kernels.Threading;

namespace Elide.Planning;

/// <summary>
/// What a step sees while it runs: one pointer per buffer slot, the shared scratch buffer and the thread pool.
/// Steps read their operands through slots (one array load) rather than fixed pointers, so an adaptive run can
/// rebind a skipped block's output to its input without rebuilding anything.
/// </summary>
internal sealed unsafe class ExecutionFrame(int slotCount, WorkerPool pool)
{
    /// <summary>Current address of every slot.</summary>
    public readonly nint[] Slots = new nint[slotCount];

    /// <summary>Thread pool for kernels that fan out.</summary>
    public WorkerPool Pool { get; } = pool;

    /// <summary>Shared scratch memory, sized for the most demanding step.</summary>
    public float* Workspace;

    /// <summary>The address bound to <paramref name="slot"/>.</summary>
    public float* this[int slot] => (float*)Slots[slot];
}

/// <summary>One planned unit of work. Steps are built once per plan and allocate nothing when executed.</summary>
internal interface IExecutionStep
{
    /// <summary>Runs the step against the frame's current slot bindings.</summary>
    void Execute(ExecutionFrame frame);
}

/// <summary>A node that needs no work at run time (a view such as Reshape).</summary>
internal sealed class NoStep : IExecutionStep
{
    public static readonly NoStep Instance = new();

    public void Execute(ExecutionFrame frame) { }
}
