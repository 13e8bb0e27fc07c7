using Elide.Graph;
using Elide.Kernels.Threading;
using Elide.Tensors;

namespace Elide.Planning;

/// <summary>Plan-time context handed to <see cref="Ops.Op"/>.CreateStep: shapes, slots, constants, scratch requests.</summary>
internal sealed class StepBuilder(
    IReadOnlyDictionary<Value, Shape> shapes,
    IReadOnlyDictionary<Value, int> slots,
    WorkerPool pool)
{
    /// <summary>Largest scratch request so far, in floats.</summary>
    public long WorkspaceFloats { get; private set; }

    /// <summary>The pool the plan runs on.</summary>
    public WorkerPool Pool => pool;

    /// <summary>Concrete shape of a value in this plan.</summary>
    public Shape ShapeOf(Value v) => shapes[v];

    /// <summary>Slot of a runtime value (constants read at run time have slots too).</summary>
    public int SlotOf(Value v) => slots[v];

    /// <summary>The constant data of <paramref name="v"/>, or a GraphException naming the node.</summary>
    public Tensor ConstantOf(Node node, Value v) =>
        v.Constant ?? throw new GraphException(node, $"input '{v.Name}' must be a constant for this op");

    /// <summary>Records that a step needs <paramref name="floats"/> of scratch while it runs.</summary>
    public void RequestWorkspace(long floats) => WorkspaceFloats = Math.Max(WorkspaceFloats, floats);
}
