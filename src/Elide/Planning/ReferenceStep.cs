using Elide.Graph;
using Elide.Tensors;

namespace Elide.Planning;

/// <summary>
/// Runs an op's reference <see cref="Ops.Op.Evaluate"/> on copies of its operands. Correct for every op but slow
/// and allocating; only ops without a fast step use it.
/// </summary>
internal sealed unsafe class ReferenceStep : IExecutionStep
{
    private readonly Node node;
    private readonly (int Slot, Shape Shape)?[] inputs;
    private readonly (int Slot, Shape Shape)[] outputs;
    private readonly Tensor?[] constants;

    public ReferenceStep(Node node, StepBuilder builder)
    {
        this.node = node;
        inputs = node.Inputs.Select(v => v is null || v.IsConstant ? ((int, Shape)?)null : (builder.SlotOf(v), builder.ShapeOf(v))).ToArray();
        constants = node.Inputs.Select(v => v?.Constant).ToArray();
        outputs = node.Outputs.Select(v => (builder.SlotOf(v), builder.ShapeOf(v))).ToArray();
    }

    public void Execute(ExecutionFrame frame)
    {
        var ins = new Tensor?[inputs.Length];
        for (int i = 0; i < ins.Length; i++)
        {
            if (constants[i] is { } c) { ins[i] = c; continue; }
            if (inputs[i] is not { } io) continue;
            var t = new Tensor(io.Shape);
            new ReadOnlySpan<float>(frame[io.Slot], t.Length).CopyTo(t.Data);
            ins[i] = t;
        }
        var outs = outputs.Select(o => new Tensor(o.Shape)).ToArray();
        node.Op.Evaluate(node, ins, outs);
        for (int i = 0; i < outs.Length; i++) outs[i].Data.CopyTo(new Span<float>(frame[outputs[i].Slot], outs[i].Length));
    }
}
