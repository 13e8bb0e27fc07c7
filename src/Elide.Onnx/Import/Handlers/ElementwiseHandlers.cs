using Elide.Kernels;
using Elide.Ops;
using Elide.Tensors;

namespace Elide.Onnx.Import.Handlers;

/// <summary>
/// Add, Sub, Mul, Div, PRelu (and variadic Max, Min) → <see cref="BinaryOp"/> with NumPy broadcasting; evaluated at import
/// time when every input is static (shape arithmetic, folded constants). Integer division truncates, as in C.
/// </summary>
internal static class ElementwiseHandlers
{
    public static void Binary(NodeContext n)
    {
        var operation = Operation(n.Proto.OpType);
        if (n.IsStatic(0) && n.IsStatic(1))
        {
            n.SetStatic(0, Fold(n, operation, n.Static(0, "A"), n.Static(1, "B")));
            return;
        }
        n.Emit(new BinaryOp(operation), n.Runtime(0).Value, n.Runtime(1).Value);
    }

    /// <summary>
    /// Opset 6 (and earlier): without broadcast = 1 the shapes must match; with it, B is broadcast to A — aligned at
    /// the trailing axes, or at <c>axis</c> when given — which is NumPy broadcasting after reshaping B.
    /// </summary>
    public static void LegacyBroadcast(NodeContext n)
    {
        var operation = Operation(n.Proto.OpType);
        int rankA = n.Input(0) switch { RuntimeBinding r => r.Rank, StaticBinding s => s.Dims.Length, _ => 0 };
        bool broadcast = n.Proto.GetInt("broadcast", 0) != 0;
        if (broadcast && n.Proto.HasAttribute("axis"))
        {
            var b = n.Input(1);
            int[] dims = b switch { RuntimeBinding r => r.Dims, StaticBinding s => s.Dims, _ => [] };
            int axis = StaticMath.Axis(n.Proto.GetInt("axis", 0), Math.Max(rankA, 1), n.Display);
            if (axis + dims.Length > rankA) throw n.Invalid($"B of rank {dims.Length} does not fit A of rank {rankA} at axis {axis}");
            var aligned = new int[rankA - axis];
            Array.Fill(aligned, 1);
            dims.CopyTo(aligned, 0);
            if (n.IsStatic(1))
            {
                var bs = n.Static(1, "B").WithDims(aligned);
                if (n.IsStatic(0)) { n.SetStatic(0, Fold(n, operation, n.Static(0, "A"), bs)); return; }
                var bv = n.Context.Materialize(n.Proto.Input[1] + "/aligned", new StaticBinding(bs));
                n.Emit(new BinaryOp(operation), n.Runtime(0).Value, bv);
                return;
            }
            var rb = n.Runtime(1);
            var reshaped = n.EmitReshape(rb, rb.ProbeShapes.Select(_ => new Shape(aligned)).ToArray(), final: false);
            n.Emit(new BinaryOp(operation), n.Runtime(0).Value, reshaped.Value);
            return;
        }
        Binary(n);
    }

    /// <summary>
    /// PRelu before opset 7: a 1-D slope of C values is per channel (axis 1), not NumPy-aligned to the last axis;
    /// a single value is shared. The slope is reshaped to [C, 1, …, 1] and the op is the opset-7+ PRelu.
    /// </summary>
    public static void PRelu6(NodeContext n)
    {
        int rankX = n.Input(0) switch { RuntimeBinding r => r.Rank, StaticBinding s => s.Dims.Length, _ => 0 };
        int[] slopeDims = n.Input(1) switch { RuntimeBinding r => r.Dims, StaticBinding s => s.Dims, _ => [] };
        if (slopeDims.Length != 1 || slopeDims[0] == 1 || rankX < 3)
        {
            Binary(n);
            return;
        }
        var aligned = new int[rankX - 1];
        Array.Fill(aligned, 1);
        aligned[0] = slopeDims[0];
        if (n.IsStatic(1))
        {
            var bs = n.Static(1, "slope").WithDims(aligned);
            if (n.IsStatic(0)) { n.SetStatic(0, Fold(n, BinaryOperation.PRelu, n.Static(0, "X"), bs)); return; }
            var bv = n.Context.Materialize(n.Proto.Input[1] + "/per_channel", new StaticBinding(bs));
            n.Emit(new BinaryOp(BinaryOperation.PRelu), n.Runtime(0).Value, bv);
            return;
        }
        var rb = n.Runtime(1);
        var reshaped = n.EmitReshape(rb, rb.ProbeShapes.Select(_ => new Shape(aligned)).ToArray(), final: false);
        n.Emit(new BinaryOp(BinaryOperation.PRelu), n.Runtime(0).Value, reshaped.Value);
    }

    public static void Variadic(NodeContext n)
    {
        var operation = Operation(n.Proto.OpType);
        if (n.InputCount == 0) throw n.Invalid("needs at least one input");
        if (Enumerable.Range(0, n.InputCount).All(n.IsStatic))
        {
            var acc = n.Static(0, "data_0");
            for (int i = 1; i < n.InputCount; i++) acc = Fold(n, operation, acc, n.Static(i, $"data_{i}"));
            n.SetStatic(0, acc);
            return;
        }
        if (n.InputCount == 1)
        {
            n.SetRuntime(0, n.Runtime(0));
            return;
        }
        var current = n.Runtime(0).Value;
        for (int i = 1; i < n.InputCount; i++)
        {
            var op = new BinaryOp(operation);
            current = i == n.InputCount - 1 ? n.Emit(op, current, n.Runtime(i).Value).Value : n.EmitHelper(op, current, n.Runtime(i).Value).Value;
        }
    }

    private static BinaryOperation Operation(string opType) => opType switch
    {
        "Add" => BinaryOperation.Add,
        "Sub" => BinaryOperation.Subtract,
        "Mul" => BinaryOperation.Multiply,
        "Div" => BinaryOperation.Divide,
        "Max" => BinaryOperation.Maximum,
        "Min" => BinaryOperation.Minimum,
        "PRelu" => BinaryOperation.PRelu,
        _ => throw new ArgumentException($"not an elementwise operator: {opType}"),
    };

    private static StaticTensor Fold(NodeContext n, BinaryOperation op, StaticTensor a, StaticTensor b)
    {
        if (a.IsInteger != b.IsInteger) throw n.Invalid($"inputs have different element types ({a.Type} and {b.Type})");
        Func<long, long, long> ints = op switch
        {
            BinaryOperation.Add => (x, y) => unchecked(x + y),
            BinaryOperation.Subtract => (x, y) => unchecked(x - y),
            BinaryOperation.Multiply => (x, y) => unchecked(x * y),
            BinaryOperation.Divide => (x, y) => y == 0 ? throw n.Invalid("integer division by zero") : x / y,
            BinaryOperation.Maximum => Math.Max,
            BinaryOperation.PRelu => (x, y) => x < 0 ? unchecked(x * y) : x,
            _ => Math.Min,
        };
        Func<double, double, double> reals = (x, y) => BinaryOp.Compute(op, (float)x, (float)y);
        if (a.Type is OnnxElementType.Double) reals = op switch
        {
            BinaryOperation.Add => (x, y) => x + y,
            BinaryOperation.Subtract => (x, y) => x - y,
            BinaryOperation.Multiply => (x, y) => x * y,
            BinaryOperation.Divide => (x, y) => x / y,
            BinaryOperation.Maximum => (x, y) => double.IsNaN(x) || double.IsNaN(y) ? double.NaN : Math.Max(x, y),
            BinaryOperation.PRelu => (x, y) => x < 0 ? x * y : x,
            _ => (x, y) => double.IsNaN(x) || double.IsNaN(y) ? double.NaN : Math.Min(x, y),
        };
        return StaticMath.Binary(a, b, null, ints, reals);
    }
}
