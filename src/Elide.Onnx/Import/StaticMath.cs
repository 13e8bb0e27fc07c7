namespace Elide.Onnx.Import;

/// <summary>NumPy-style broadcasting and elementwise evaluation of <see cref="StaticTensor"/>s, per probe.</summary>
internal static class StaticMath
{
    /// <summary>The broadcast of several shapes (ONNX multidirectional broadcasting).</summary>
    /// <exception cref="OnnxImportException">The shapes are incompatible.</exception>
    public static int[] BroadcastShape(params int[][] shapes)
    {
        int rank = shapes.Max(s => s.Length);
        var dims = Enumerable.Repeat(1, rank).ToArray();
        foreach (var s in shapes)
            for (int i = 0; i < s.Length; i++)
            {
                int d = rank - s.Length + i;
                if (s[i] == dims[d] || s[i] == 1) continue;
                if (dims[d] != 1) throw new OnnxImportException($"shapes {string.Join(" and ", shapes.Select(Format))} cannot be broadcast together");
                dims[d] = s[i];
            }
        return dims;
    }

    /// <summary>For each element of a tensor of shape <paramref name="outDims"/>, the flat index of the element of <paramref name="inDims"/> it broadcasts from.</summary>
    public static int[] SourceIndices(int[] outDims, int[] inDims)
    {
        long total = 1;
        foreach (var d in outDims) total *= d;
        if (total > 1 << 26) throw new OnnxImportException($"a static tensor of shape {Format(outDims)} is too large to evaluate at import time");
        var result = new int[total];
        int rank = outDims.Length, offset = rank - inDims.Length;
        var index = new int[rank];
        for (int flat = 0; flat < total; flat++)
        {
            int src = 0;
            for (int d = 0; d < inDims.Length; d++) src = src * inDims[d] + (inDims[d] == 1 ? 0 : index[d + offset]);
            result[flat] = src;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < outDims[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }

    /// <summary>Applies a function to every element: integer tensors use <paramref name="ints"/> (required for them),
    /// floating ones <paramref name="reals"/>; the element type is kept.</summary>
    public static StaticTensor Map(StaticTensor x, Func<long, long>? ints, Func<double, double> reals)
    {
        if (x.IsInteger)
        {
            if (ints is null) throw new ArgumentException($"no integer form for {x.Type} data");
            return StaticTensor.FromInts(x.Type, x.Dims, x.Ints!.Select(p => p.Select(v => StaticTensor.WrapTo(x.Type, ints(v))).ToArray()).ToArray());
        }
        return StaticTensor.FromReals(x.Type, x.Dims, x.Reals!.Select(p => p.Select(reals).ToArray()).ToArray());
    }

    /// <summary>Applies a binary function elementwise with broadcasting; integer tensors use <paramref name="ints"/>, floating ones <paramref name="reals"/>.</summary>
    public static StaticTensor Binary(StaticTensor a, StaticTensor b, OnnxElementType? resultType,
        Func<long, long, long>? ints, Func<double, double, double> reals)
    {
        var dims = BroadcastShape(a.Dims, b.Dims);
        var ia = SourceIndices(dims, a.Dims);
        var ib = SourceIndices(dims, b.Dims);
        int probes = a.Probes;
        if (a.IsInteger && b.IsInteger && ints is not null)
        {
            var type = resultType ?? a.Type;
            var values = new long[probes][];
            for (int p = 0; p < probes; p++)
            {
                var x = a.Ints![p];
                var y = b.Ints![p];
                values[p] = new long[ia.Length];
                for (int i = 0; i < ia.Length; i++) values[p][i] = StaticTensor.WrapTo(type, ints(x[ia[i]], y[ib[i]]));
            }
            return StaticTensor.FromInts(type, dims, values);
        }
        var rtype = resultType ?? (a.IsInteger ? b.Type : a.Type);
        var reals2 = new double[probes][];
        for (int p = 0; p < probes; p++)
        {
            var x = a.RealsAt(p);
            var y = b.RealsAt(p);
            reals2[p] = new double[ia.Length];
            for (int i = 0; i < ia.Length; i++) reals2[p][i] = reals(x[ia[i]], y[ib[i]]);
        }
        if (!StaticTensor.IsFloating(rtype))
            return StaticTensor.FromInts(rtype, dims, reals2.Select(r => r.Select(v => StaticTensor.WrapTo(rtype, (long)v)).ToArray()).ToArray());
        return StaticTensor.FromReals(rtype, dims, reals2);
    }

    public static string Format(int[] dims) => "[" + string.Join(",", dims) + "]";

    /// <summary>Product of dimensions.</summary>
    public static long Product(IEnumerable<int> dims) => dims.Aggregate(1L, (p, d) => p * d);

    /// <summary>Normalizes an ONNX axis (negative counts from the end).</summary>
    /// <exception cref="OnnxImportException">Out of range.</exception>
    public static int Axis(long axis, int rank, string display)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new OnnxImportException($"{display}: axis {axis} is out of range for rank {rank}");
        return (int)a;
    }
}
