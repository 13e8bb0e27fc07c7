using Elide.Onnx.Protos;

namespace Elide.Onnx.Import.Handlers;

/// <summary>Operators evaluated at import time: Constant, Shape, Cast, ConstantOfShape, Range, Equal, Where.</summary>
internal static class StaticHandlers
{
    /// <summary>Constant: value (tensor), or from opset 12 value_float(s) / value_int(s). Sparse and string values are not supported.</summary>
    public static void Constant(NodeContext n)
    {
        int probes = n.Context.Probes;
        if (n.Proto.GetTensor("value") is { } t) n.SetStatic(0, StaticTensor.FromOnnx(OnnxTensor.FromProto(t), probes));
        else if (n.Proto.HasAttribute("value_float")) n.SetStatic(0, StaticTensor.FromReals(OnnxElementType.Float, [], [n.Proto.GetRequiredFloat("value_float")], probes));
        else if (n.Proto.HasAttribute("value_floats"))
        {
            var v = n.Proto.GetRequiredFloats("value_floats");
            n.SetStatic(0, StaticTensor.FromReals(OnnxElementType.Float, [v.Length], v.Select(f => (double)f).ToArray(), probes));
        }
        else if (n.Proto.HasAttribute("value_int")) n.SetStatic(0, StaticTensor.FromInts(OnnxElementType.Int64, [], [n.Proto.GetRequiredInt("value_int")], probes));
        else if (n.Proto.HasAttribute("value_ints"))
        {
            var v = n.Proto.GetRequiredInts("value_ints");
            n.SetStatic(0, StaticTensor.FromInts(OnnxElementType.Int64, [v.Length], v, probes));
        }
        else if (n.Proto.HasAttribute("sparse_value")) throw NodeContext.Unsupported("sparse_value");
        else if (n.Proto.HasAttribute("value_string") || n.Proto.HasAttribute("value_strings")) throw NodeContext.Unsupported("string constants");
        else throw n.Invalid("has no value attribute");
    }

    /// <summary>Shape (start/end from opset 15): the input's dimensions, the batch differing per probe.</summary>
    public static void Shape(NodeContext n)
    {
        var input = n.Input(0);
        int probes = n.Context.Probes;
        long[][] dims = input switch
        {
            RuntimeBinding r => r.ProbeShapes.Select(s => s.Select(d => (long)d).ToArray()).ToArray(),
            StaticBinding s => Enumerable.Repeat(s.Dims.Select(d => (long)d).ToArray(), probes).ToArray(),
            PendingPadBinding => throw NodeContext.Unsupported("Shape of a pending Pad"),
            _ => throw n.Invalid("input is not available"),
        };
        int rank = dims[0].Length;
        long start = n.Opset >= 15 ? n.Proto.GetInt("start", 0) : 0;
        long end = n.Opset >= 15 ? n.Proto.GetInt("end", rank) : rank;
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = Math.Clamp(start, 0, rank);
        end = Math.Clamp(end, start, rank);
        var sliced = dims.Select(d => d[(int)start..(int)end]).ToArray();
        n.SetStatic(0, StaticTensor.FromInts(OnnxElementType.Int64, [(int)(end - start)], sliced));
    }

    /// <summary>Cast: static values convert (float → int truncates toward zero); on run-time data only float32 → float32.</summary>
    public static void Cast(NodeContext n)
    {
        long to = n.Proto.GetRequiredInt("to");
        if (!OnnxDataTypes.TryGetElementType((int)to, out var type) || type == OnnxElementType.String)
            throw NodeContext.Unsupported($"casting to {OnnxDataTypes.Name((int)to)}");
        if (n.Input(0) is not StaticBinding)
        {
            if (type != OnnxElementType.Float) throw NodeContext.Unsupported($"casting run-time data to {type} (Elide computes in float32)");
            n.SetRuntime(0, n.Input(0));
            return;
        }
        var s = n.Static(0, "input");
        if (StaticTensor.IsFloating(type))
        {
            var values = Enumerable.Range(0, s.Probes).Select(p => s.RealsAt(p).ToArray()).ToArray();
            n.SetStatic(0, StaticTensor.FromReals(type, s.Dims, values));
            return;
        }
        var ints = Enumerable.Range(0, s.Probes).Select(p => s.IsInteger
            ? s.Ints![p].Select(v => StaticTensor.WrapTo(type, v)).ToArray()
            : s.Reals![p].Select(v => type == OnnxElementType.Bool ? (v != 0 ? 1L : 0L) : StaticTensor.WrapTo(type, double.IsNaN(v) ? 0 : (long)Math.Truncate(v))).ToArray()).ToArray();
        n.SetStatic(0, StaticTensor.FromInts(type, s.Dims, ints));
    }

    /// <summary>ConstantOfShape: a tensor of the given (static) shape filled with 'value' (default float32 0).</summary>
    public static void ConstantOfShape(NodeContext n)
    {
        var shape = n.StaticInts(0, "shape");
        if (shape.Any(d => d < 0 || d > int.MaxValue)) throw n.Invalid($"invalid shape [{string.Join(",", shape)}]");
        var dims = shape.Select(d => (int)d).ToArray();
        long count = StaticMath.Product(dims);
        if (count > 1 << 26) throw n.Invalid($"shape [{string.Join(",", shape)}] is too large to build at import time");
        var fill = n.Proto.GetTensor("value") is { } t ? StaticTensor.FromOnnx(OnnxTensor.FromProto(t), 1) : null;
        if (fill is not null && fill.Count != 1) throw n.Invalid("value must hold exactly one element");
        int probes = n.Context.Probes;
        if (fill is null) n.SetStatic(0, StaticTensor.FromReals(OnnxElementType.Float, dims, new double[count], probes));
        else if (fill.IsInteger) n.SetStatic(0, StaticTensor.FromInts(fill.Type, dims, Enumerable.Repeat(fill.Ints![0][0], (int)count).ToArray(), probes));
        else n.SetStatic(0, StaticTensor.FromReals(fill.Type, dims, Enumerable.Repeat(fill.Reals![0][0], (int)count).ToArray(), probes));
    }

    /// <summary>Range(start, limit, delta): max(⌈(limit − start) / delta⌉, 0) elements start + i·delta.</summary>
    public static void Range(NodeContext n)
    {
        var start = n.Static(0, "start");
        var limit = n.Static(1, "limit");
        var delta = n.Static(2, "delta");
        if (start.Count != 1 || limit.Count != 1 || delta.Count != 1) throw n.Invalid("start, limit and delta must be scalars");
        int probes = n.Context.Probes;
        if (start.IsInteger)
        {
            var values = new long[probes][];
            for (int p = 0; p < probes; p++)
            {
                long s = start.Ints![p][0], l = limit.Ints![p][0], d = delta.Ints![p][0];
                if (d == 0) throw n.Invalid("delta must not be 0");
                long count = Math.Max((long)Math.Ceiling((double)(l - s) / d), 0);
                if (count > 1 << 26) throw n.Invalid($"range of {count} elements is too large");
                values[p] = Enumerable.Range(0, (int)count).Select(i => s + i * d).ToArray();
            }
            if (values.Any(v => v.Length != values[0].Length)) throw NodeContext.Unsupported("a range whose length depends on the batch size");
            n.SetStatic(0, StaticTensor.FromInts(start.Type, [values[0].Length], values));
        }
        else
        {
            var values = new double[probes][];
            for (int p = 0; p < probes; p++)
            {
                double s = start.Reals![p][0], l = limit.RealsAt(p)[0], d = delta.RealsAt(p)[0];
                if (d == 0) throw n.Invalid("delta must not be 0");
                double count = Math.Max(Math.Ceiling((l - s) / d), 0);
                if (!(count <= 1 << 26)) throw n.Invalid($"range of {count} elements is too large");
                values[p] = Enumerable.Range(0, (int)count).Select(i => s + i * d).ToArray();
            }
            if (values.Any(v => v.Length != values[0].Length)) throw NodeContext.Unsupported("a range whose length depends on the batch size");
            n.SetStatic(0, StaticTensor.FromReals(start.Type, [values[0].Length], values));
        }
    }

    /// <summary>Equal on static inputs (a bool tensor).</summary>
    public static void Equal(NodeContext n)
    {
        if (!n.IsStatic(0) || !n.IsStatic(1)) throw NodeContext.Unsupported("Equal on run-time data (bool tensors)");
        var a = n.Static(0, "A");
        var b = n.Static(1, "B");
        n.SetStatic(0, StaticMath.Binary(a, b, OnnxElementType.Bool, (x, y) => x == y ? 1 : 0, (x, y) => x == y ? 1 : 0));
    }

    /// <summary>Where(condition, X, Y) on static inputs, with broadcasting.</summary>
    public static void Where(NodeContext n)
    {
        if (!n.IsStatic(0) || !n.IsStatic(1) || !n.IsStatic(2)) throw NodeContext.Unsupported("Where on run-time data");
        var c = n.Static(0, "condition");
        var x = n.Static(1, "X");
        var y = n.Static(2, "Y");
        if (x.IsInteger != y.IsInteger) throw n.Invalid("X and Y have different element types");
        var dims = StaticMath.BroadcastShape(c.Dims, x.Dims, y.Dims);
        var ic = StaticMath.SourceIndices(dims, c.Dims);
        var ix = StaticMath.SourceIndices(dims, x.Dims);
        var iy = StaticMath.SourceIndices(dims, y.Dims);
        int probes = n.Context.Probes;
        bool Pick(int p, int i) => c.IsInteger ? c.Ints![p][ic[i]] != 0 : c.Reals![p][ic[i]] != 0;
        if (x.IsInteger)
        {
            var values = Enumerable.Range(0, probes).Select(p => Enumerable.Range(0, ic.Length).Select(i => Pick(p, i) ? x.Ints![p][ix[i]] : y.Ints![p][iy[i]]).ToArray()).ToArray();
            n.SetStatic(0, StaticTensor.FromInts(x.Type, dims, values));
        }
        else
        {
            var values = Enumerable.Range(0, probes).Select(p => Enumerable.Range(0, ic.Length).Select(i => Pick(p, i) ? x.Reals![p][ix[i]] : y.Reals![p][iy[i]]).ToArray()).ToArray();
            n.SetStatic(0, StaticTensor.FromReals(x.Type, dims, values));
        }
    }
}
