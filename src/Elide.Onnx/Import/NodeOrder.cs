using Elide.Onnx.Protos;

namespace Elide.Onnx.Import;

/// <summary>
/// Orders a graph's nodes so every value is defined before it is read (ONNX requires this, but files are not
/// always sorted) and checks the graph's naming: no value defined twice, no value read that nothing defines.
/// </summary>
internal static class NodeOrder
{
    /// <summary>"node 'name' (OpType)", or "node #index (OpType)" for an unnamed node.</summary>
    public static string Describe(NodeProto node, int index) =>
        node.Name.Length > 0 ? $"node '{node.Name}' ({node.OpType})" : $"node #{index} ({node.OpType})";

    /// <summary>Indices of <paramref name="graph"/>'s nodes in a valid execution order (stable: file order where possible).</summary>
    /// <exception cref="OnnxImportException">A duplicate definition, an undefined input, or a cycle; the message names the nodes.</exception>
    public static int[] Sort(GraphProto graph, ISet<string> predefined)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
        {
            foreach (var o in graph.Node[i].Output)
            {
                if (o.Length == 0) continue;
                if (predefined.Contains(o))
                    throw new OnnxImportException($"{Describe(graph.Node[i], i)} redefines '{o}', which is already a graph input or initializer");
                if (producer.TryGetValue(o, out int other))
                    throw new OnnxImportException($"{Describe(graph.Node[i], i)} redefines '{o}', already the output of {Describe(graph.Node[other], other)}");
                producer[o] = i;
            }
        }

        // Kahn's algorithm; a min-heap on the file index keeps the original order where it is already valid.
        var waiting = new int[graph.Node.Count];
        var readers = new Dictionary<int, List<int>>();
        for (int i = 0; i < graph.Node.Count; i++)
        {
            foreach (var input in graph.Node[i].Input.Where(n => n.Length > 0).Distinct(StringComparer.Ordinal))
            {
                if (predefined.Contains(input)) continue;
                if (!producer.TryGetValue(input, out int p))
                    throw new OnnxImportException($"{Describe(graph.Node[i], i)} reads '{input}', which is not a graph input, an initializer or the output of any node (missing initializer?)");
                waiting[i]++;
                if (!readers.TryGetValue(p, out var list)) readers[p] = list = [];
                list.Add(i);
            }
        }
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < waiting.Length; i++) if (waiting[i] == 0) ready.Enqueue(i, i);
        var order = new List<int>(graph.Node.Count);
        while (ready.TryDequeue(out int n, out _))
        {
            order.Add(n);
            if (!readers.TryGetValue(n, out var list)) continue;
            foreach (int r in list)
                if (--waiting[r] == 0) ready.Enqueue(r, r);
        }
        if (order.Count < graph.Node.Count)
        {
            var stuck = Enumerable.Range(0, graph.Node.Count).Where(i => waiting[i] > 0).ToList();
            string names = string.Join(", ", stuck.Take(6).Select(i => Describe(graph.Node[i], i))) + (stuck.Count > 6 ? $" and {stuck.Count - 6} more" : "");
            throw new OnnxImportException($"the graph has a cycle: {names} depend on each other's outputs");
        }
        return order.ToArray();
    }
}
